"""Simulated data sets of the paper's systems."""

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
    nbody_energy,
    nbody_feature_names,
    pair_potential,
    pairwise_forces,
)

__all__ = [
    "HALO_CONSTANTS", "HALO_FEATURE_NAMES", "NBODY_LAWS", "halo_ood_split", "halo_overdensity",
    "make_halos", "integrate_nbody", "make_nbody", "nbody_energy", "nbody_feature_names",
    "pair_potential", "pairwise_forces",
]
