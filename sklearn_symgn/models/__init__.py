"""Message-passing layers, the networks in the user's units, and the message strategies."""

from .hamiltonian import HamiltonianLayer, HamiltonianNetwork
from .interaction import InteractionLayer
from .network import GraphNetwork
from .strategies import KL, L1, Bottleneck, MessageStrategy, Standard

__all__ = [
    "KL", "L1", "Bottleneck", "GraphNetwork", "HamiltonianLayer", "HamiltonianNetwork",
    "InteractionLayer", "MessageStrategy", "Standard",
]
