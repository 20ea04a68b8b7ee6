"""Graph construction and input adapters."""

from .builders import (
    CompleteGraph,
    FixedGraph,
    GraphBuilder,
    KNNGraph,
    NoEdges,
    Periodic,
    RadiusGraph,
    minimum_image,
)

__all__ = ["CompleteGraph", "FixedGraph", "GraphBuilder", "KNNGraph", "NoEdges", "Periodic",
           "RadiusGraph", "minimum_image"]
