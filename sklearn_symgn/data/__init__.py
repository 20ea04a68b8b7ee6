"""Graph construction and input adapters."""

from .graphs import CompleteGraph, FixedGraph, KNNGraph, RadiusGraph

__all__ = ["CompleteGraph", "FixedGraph", "KNNGraph", "RadiusGraph"]
