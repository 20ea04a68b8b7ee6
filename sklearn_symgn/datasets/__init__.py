"""Simulated data sets of the paper's systems."""

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
    "NBODY_LAWS", "integrate_nbody", "make_nbody", "nbody_energy", "nbody_feature_names",
    "pair_potential", "pairwise_forces",
]
