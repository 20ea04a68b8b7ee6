"""Graph construction and input adapters."""

from .builders import CompleteGraph, FixedGraph, GraphBuilder, KNNGraph, RadiusGraph

__all__ = ["CompleteGraph", "FixedGraph", "GraphBuilder", "KNNGraph", "RadiusGraph"]
