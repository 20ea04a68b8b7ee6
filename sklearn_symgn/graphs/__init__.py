"""Graph construction and input adapters."""

from .builders import CompleteGraph, FixedGraph, GraphBuilder, KNNGraph, NoEdges, RadiusGraph

__all__ = ["CompleteGraph", "FixedGraph", "GraphBuilder", "KNNGraph", "NoEdges", "RadiusGraph"]
