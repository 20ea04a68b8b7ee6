"""Simulated data sets of the paper's systems."""

from ._nbody import NBODY_LAWS, make_nbody, nbody_feature_names, pairwise_forces

__all__ = ["NBODY_LAWS", "make_nbody", "nbody_feature_names", "pairwise_forces"]
