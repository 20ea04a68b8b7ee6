"""A synthetic dark-matter-halo catalogue with the overdensity law of Cranmer et al. (2020).

The paper's graph network read a halo's overdensity off its neighbours in a Quijote simulation
and was distilled into ``delta_i = C1 + e_i / (C2 + C3 M_i)`` with
``e_i = sum_{|r_i - r_j| < R} (C4 + M_j) / (C5 + (C6 |r_i - r_j|)**C7)``. Here that law *generates*
the target, so a distillation can be checked against the truth.
"""

from numbers import Real

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from torch_geometric.data import Data

from .._validation import Int, validate_params

__all__ = ["HALO_CONSTANTS", "HALO_FEATURE_NAMES", "halo_ood_split", "halo_overdensity",
           "make_halos"]

#: ``(C1, ..., C7)``: C1-C4 as distilled in the paper; C5-C7 chosen so that the kernel varies
#: inside the cut-off radius 1 (0.96 at r = 0.5, 0.38 at r = 1): a kernel to discover, where the
#: paper's (C7 = 20.3) was flat there.
HALO_CONSTANTS = (-0.156, 3.80, 0.0809, 0.438, 1.0, 1.25, 4.0)

#: Node features of a halo graph: position relative to the centre halo, and mass.
HALO_FEATURE_NAMES = ["x", "y", "z", "M"]


def _masses(kind, n, rng):
    if kind == "powerlaw":  # dn/dM ~ M**-1.9 on [1, 100], a halo-mass-function-like slope
        a, lo, hi = 1.0 - 1.9, 1.0, 100.0
        u = rng.uniform(size=n)
        return (lo**a + u * (hi**a - lo**a)) ** (1.0 / a)
    return rng.lognormal(mean=1.0, sigma=0.8, size=n)


def _minimum_image(delta, box_size):
    return delta - box_size * np.round(delta / box_size)


@validate_params({
    "distances": ["array-like"], "neighbour_masses": ["array-like"],
    "centre_mass": ["array-like", Real], "constants": ["array-like"],
})
def halo_overdensity(distances, neighbour_masses, centre_mass, constants=HALO_CONSTANTS):
    """The law: ``e = sum_j (C4 + M_j) / (C5 + (C6 r_j)**C7)``, ``delta = C1 + e / (C2 + C3 M)``.

    Parameters
    ----------
    distances, neighbour_masses : ndarray of shape (n_neighbours,)
        Of one halo's neighbours.
    centre_mass : float
    constants : tuple of 7 floats, default=HALO_CONSTANTS

    Returns
    -------
    delta, e : float
        Overdensity and its neighbour term.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_symgn.datasets import halo_overdensity
    >>> delta, e = halo_overdensity(np.array([0.0]), np.array([1.0]), 1.0)
    >>> round(e, 3)
    1.438
    """
    c1, c2, c3, c4, c5, c6, c7 = constants
    e = float(np.sum((c4 + neighbour_masses) / (c5 + (c6 * distances) ** c7)))
    return c1 + e / (c2 + c3 * centre_mass), e


@validate_params(
    {
        "n_halos": [Int(2)],
        "box_size": [Interval(Real, 0, None, closed="neither")],
        "radius": [Interval(Real, 0, None, closed="neither")],
        "n_clusters": [Int(0)],
        "cluster_fraction": [Interval(Real, 0, 1, closed="both")],
        "cluster_scale": [Interval(Real, 0, None, closed="neither")],
        "mass_function": [StrOptions({"powerlaw", "lognormal"})],
        "noise": [Interval(Real, 0, None, closed="left")],
        "constants": ["array-like", None],
        "random_state": ["random_state"],
        "return_catalogue": ["boolean"],
    },
)
def make_halos(n_halos=2000, *, box_size=12.0, radius=1.0, n_clusters=40, cluster_fraction=0.6,
               cluster_scale=0.6, mass_function="powerlaw", noise=0.01, constants=None,
               random_state=None, return_catalogue=False):
    """Simulate a halo catalogue in a periodic box and return one neighbourhood graph per halo.

    Halos are placed partly in Gaussian clusters (a Neyman-Scott process, so neighbourhood sizes
    and overdensities span a wide range with a high tail), partly uniformly; masses follow a
    power-law (``dn/dM ~ M**-1.9`` on ``[1, 100]``) or log-normal mass function. Each halo's
    overdensity is :func:`halo_overdensity` over its neighbours closer than ``radius`` (periodic
    minimum-image distances), plus Gaussian noise.

    Parameters
    ----------
    n_halos : int, default=2000
        Halos in the box; one graph (one sample) each.
    box_size : float, default=12.0
        Side of the periodic box, in units of the cut-off radius's units.
    radius : float, default=1.0
        Neighbours closer than this enter a halo's graph and its overdensity.
    n_clusters : int, default=40
        Number of clusters.
    cluster_fraction : float, default=0.6
        Fraction of halos placed in clusters.
    cluster_scale : float, default=0.6
        Standard deviation of a cluster's Gaussian.
    mass_function : {"powerlaw", "lognormal"}, default="powerlaw"
        Distribution of halo masses.
    noise : float, default=0.01
        Standard deviation of the noise added to the overdensity, as a fraction of its spread.
    constants : tuple of 7 floats, default=None
        ``C1, ..., C7`` of the law; ``None`` means :data:`HALO_CONSTANTS`.
    random_state : int, RandomState instance or None, default=None
        Seed.
    return_catalogue : bool, default=False
        Also return the catalogue as a dict of arrays: ``positions (n_halos, 3)``, ``masses``,
        ``delta`` (with noise), ``delta_true``, ``e`` (the neighbour term) and ``n_neighbours``.

    Returns
    -------
    graphs : list of torch_geometric.data.Data
        One per halo: node 0 is the halo, nodes 1.. its neighbours; ``x`` ``(n, 4)`` holds the
        position relative to the halo (minimum image, so the halo sits at the origin) and the
        mass (:data:`HALO_FEATURE_NAMES`); ``edge_index`` points from each neighbour to the
        halo; ``target_mask`` selects node 0 and ``y`` ``(1,)`` is its overdensity. A halo
        without neighbours is a single node. Graphs are samples: cross-validation splits halos.
    catalogue : dict
        Only if ``return_catalogue``.

    Examples
    --------
    >>> from sklearn_symgn.datasets import make_halos
    >>> graphs = make_halos(200, random_state=0)
    >>> len(graphs), graphs[0].x.shape[1], graphs[0].y.shape
    (200, 4, torch.Size([1]))
    """
    constants = HALO_CONSTANTS if constants is None else tuple(float(c) for c in constants)
    if len(constants) != 7:
        raise ValueError(f"constants must hold 7 numbers C1..C7; got {len(constants)}.")
    rng = check_random_state(random_state)
    n_clustered = int(round(cluster_fraction * n_halos)) if n_clusters else 0
    centres = rng.uniform(0, box_size, size=(max(n_clusters, 1), 3))
    owner = rng.randint(len(centres), size=n_clustered)
    clustered = centres[owner] + rng.normal(scale=cluster_scale, size=(n_clustered, 3))
    uniform = rng.uniform(0, box_size, size=(n_halos - n_clustered, 3))
    positions = np.mod(np.concatenate([clustered, uniform]), box_size)
    masses = _masses(mass_function, n_halos, rng)

    delta = np.empty(n_halos)
    e_term = np.empty(n_halos)
    n_neighbours = np.empty(n_halos, dtype=int)
    graphs = []
    for i in range(n_halos):
        rel = _minimum_image(positions - positions[i], box_size)
        dist = np.linalg.norm(rel, axis=1)
        nbr = np.flatnonzero((dist < radius) & (np.arange(n_halos) != i))
        delta[i], e_term[i] = halo_overdensity(dist[nbr], masses[nbr], masses[i], constants)
        n_neighbours[i] = len(nbr)
        nodes = np.concatenate([[i], nbr])
        x = np.column_stack([rel[nodes], masses[nodes]]).astype(np.float32)
        k = len(nbr)
        edge_index = np.stack([np.arange(1, k + 1), np.zeros(k, dtype=int)])
        mask = np.zeros(k + 1, dtype=bool)
        mask[0] = True
        graphs.append(Data(x=torch.from_numpy(x), edge_index=torch.from_numpy(edge_index),
                           target_mask=torch.from_numpy(mask)))
    delta_true = delta.copy()
    delta = delta + noise * delta.std() * rng.normal(size=n_halos)
    for g, d in zip(graphs, delta):
        g.y = torch.tensor([d], dtype=torch.float32)
    if not return_catalogue:
        return graphs
    catalogue = {"positions": positions, "masses": masses, "delta": delta,
                 "delta_true": delta_true, "e": e_term, "n_neighbours": n_neighbours}
    return graphs, catalogue


@validate_params({"delta": ["array-like"], "quantile": [Interval(Real, 0, 1, closed="neither")]})
def halo_ood_split(delta, *, quantile=0.8):
    """Out-of-distribution split by overdensity: train on low ``delta``, test on the high tail.

    Parameters
    ----------
    delta : array-like of shape (n_halos,)
        Overdensities (e.g. ``catalogue["delta"]`` from :func:`make_halos`).
    quantile : float in (0, 1), default=0.8
        Halos above this quantile of ``delta`` form the test set (the paper held out δ > 1,
        about 20 % of its halos).

    Returns
    -------
    train, test : ndarray of int
        Indices.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_symgn.datasets import halo_ood_split
    >>> train, test = halo_ood_split(np.arange(10.0))
    >>> test
    array([8, 9])
    """
    delta = np.asarray(delta, dtype=float)
    if delta.ndim != 1 or len(delta) < 2 or not np.all(np.isfinite(delta)):
        raise ValueError(f"delta must be a finite 1-D array of at least 2 values; got shape {delta.shape}.")
    threshold = np.quantile(delta, quantile)
    return np.flatnonzero(delta <= threshold), np.flatnonzero(delta > threshold)
