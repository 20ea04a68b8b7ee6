"""Simulated data sets of the paper's systems, and the N-body quantities they conserve."""

from ._ase import ASE_FEATURE_NAMES, from_ase
from ._halos import (
    HALO_CONSTANTS,
    HALO_FEATURE_NAMES,
    halo_ood_split,
    halo_overdensity,
    make_halos,
)
from ._nbody import (
    NBODY_LAWS,
    integrate_nbody,
    make_nbody,
    nbody_accelerations,
    nbody_feature_names,
    pair_potential,
    pairwise_forces,
)
from .quantities import energy_function, nbody_energy, total_momentum

__all__ = [
    "ASE_FEATURE_NAMES", "from_ase", "HALO_CONSTANTS", "HALO_FEATURE_NAMES", "NBODY_LAWS", "energy_function", "halo_ood_split",
    "halo_overdensity", "integrate_nbody", "make_halos", "make_nbody", "nbody_accelerations", "nbody_energy",
    "nbody_feature_names", "pair_potential", "pairwise_forces", "total_momentum",
]
