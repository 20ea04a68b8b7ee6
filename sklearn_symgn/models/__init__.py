"""Message-passing layers and the graph network."""

from .interaction import InteractionLayer
from .mlp import make_mlp
from .network import GraphNetwork

__all__ = ["GraphNetwork", "InteractionLayer", "make_mlp"]
