"""Message-passing layers and the graph network."""

from .hamiltonian import HamiltonianLayer, HamiltonianNetwork
from .interaction import InteractionLayer
from .mlp import make_mlp
from .network import GraphNetwork

__all__ = [
    "GraphNetwork", "HamiltonianLayer", "HamiltonianNetwork", "InteractionLayer", "make_mlp",
]
