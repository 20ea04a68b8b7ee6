"""Graph construction and input adapters."""

from .builders import CompleteGraph, FixedGraph, KNNGraph, RadiusGraph

__all__ = ["CompleteGraph", "FixedGraph", "KNNGraph", "RadiusGraph"]
