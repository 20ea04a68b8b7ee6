"""N-body simulations of the paper's systems (Cranmer et al. 2020, ``simulate.py``).

Every system is a set of point particles with features ``[pos, vel, charge, mass]`` interacting
through a pair potential ``U(r')`` of the softened distance ``r' = r + 0.01``. Trajectories are
integrated with a classical fixed-step fourth-order Runge-Kutta scheme, vectorised over all
trajectories at once, and snapshots are kept every ``sample_every`` steps.
"""

import functools
from numbers import Real

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from .._validation import Int, check_distances, check_memory, validate_params
from ..integrators import integrate

__all__ = [
    "NBODY_LAWS", "integrate_nbody", "make_nbody", "nbody_accelerations", "nbody_feature_names",
    "pair_potential", "pairwise_forces",
]

SOFTENING = 0.01

#: Default integration time step of each law (as in the reference code).
NBODY_LAWS = {
    "spring": 0.01,
    "r1": 0.005,
    "r2": 0.001,
    "charge": 0.001,
    "damped": 0.02,
    "discontinuous": 0.01,
}

#: Constraints shared by the public functions.
LAW = [StrOptions(set(NBODY_LAWS))]
DIM = [Int(2, 3)]
TIME_STEP = [Interval(Real, 0, None, closed="neither"), None]
DAMPING = [Interval(Real, 0, None, closed="left")]


def _force_magnitude(law, r_soft, mass_i, mass_j, charge_i, charge_j):
    """Return ``dU/dr'`` for each pair: the force on ``i`` is ``dU/dr' * (p_j - p_i) / r``."""
    if law == "r2":
        return mass_i * mass_j / r_soft**2
    if law == "r1":
        return mass_i * mass_j / r_soft
    if law in ("spring", "damped"):
        return 2.0 * (r_soft - 1.0)
    if law == "charge":
        return -charge_i * charge_j / r_soft**2
    if law == "discontinuous":
        return np.where(r_soft >= 2.0, 2.0 * (r_soft - 1.0), 0.0)
    raise ValueError(f"Unknown law {law!r}; expected one of {sorted(NBODY_LAWS)}.")


@validate_params({"law": LAW, **dict.fromkeys(("r", "m_i", "m_j", "q_i", "q_j"),
                                               ["array-like", Real])})
def pair_potential(law, r, m_i=1.0, m_j=1.0, q_i=1.0, q_j=1.0):
    """Pair potential ``U`` of a law at distance ``r`` (softened inside: ``r' = r + 0.01``).

    Parameters
    ----------
    law : str
        One of ``NBODY_LAWS``; ``"damped"`` returns the spring part (damping has no potential).
    r : array-like or Tensor
        Distances (broadcast with the other arguments). With a torch ``Tensor`` the result is a
        tensor that keeps the autograd graph (for rollouts that differentiate an energy).
    m_i, m_j, q_i, q_j : array-like or Tensor, default=1.0
        Masses and charges of the two bodies.

    Returns
    -------
    U : ndarray or Tensor
        ``-m_i m_j / r'`` (r2), ``m_i m_j log r'`` (r1), ``(r' - 1)**2`` (spring, damped),
        ``q_i q_j / r'`` (charge), ``(r' - 1)**2 [r' >= 2]`` (discontinuous).

    Examples
    --------
    >>> from sklearn_symgn.datasets import pair_potential
    >>> float(pair_potential("spring", 0.99))
    0.0
    """
    check_distances(r)
    if isinstance(r, torch.Tensor):
        log, zeros_where = torch.log, lambda c, a: torch.where(c, a, torch.zeros_like(a))
    else:
        r, m_i, m_j, q_i, q_j = (np.asarray(a, dtype=float) for a in (r, m_i, m_j, q_i, q_j))
        log, zeros_where = np.log, lambda c, a: np.where(c, a, 0.0)
    r_soft = r + SOFTENING
    if law == "r2":
        return -m_i * m_j / r_soft
    if law == "r1":
        return m_i * m_j * log(r_soft)
    if law == "charge":
        return q_i * q_j / r_soft
    spring = (r_soft - 1.0) ** 2
    if law == "discontinuous":
        return zeros_where(r_soft >= 2.0, spring)
    return spring


def _check_state(X, dim, name="X", tensors=False):
    """``X`` as a float array of N-body states; with ``tensors``, a torch tensor is returned as
    is (its graph kept, its shape checked)."""
    tensor = tensors and isinstance(X, torch.Tensor)
    if not tensor:
        X = np.asarray(X, dtype=float)
    if X.ndim < 2 or X.shape[-1] != 2 * dim + 2:
        raise ValueError(
            f"{name} must have shape (..., n_bodies, {2 * dim + 2}) = [pos, vel, charge, mass] "
            f"for dim={dim}; got {tuple(X.shape)}."
        )
    if not tensor and not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return X


@validate_params({"law": LAW, "X": ["array-like"], "dim": DIM})
def pairwise_forces(law, X, *, dim):
    """True pairwise forces of an N-body state.

    Parameters
    ----------
    law : str
        One of ``NBODY_LAWS``.
    X : ndarray of shape (..., n_bodies, 2 * dim + 2)
        Node features ``[pos, vel, charge, mass]``.
    dim : {2, 3}
        Spatial dimension.

    Returns
    -------
    forces : ndarray of shape (..., n_bodies, n_bodies, dim)
        ``forces[..., i, j, :]`` is the force that body ``j`` (sender) exerts on body ``i``
        (receiver); the diagonal is zero. Damping is not a pair force and is not included.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_symgn.datasets import pairwise_forces
    >>> X = np.array([[0, 0, 0, 0, 1, 1], [2.99, 0, 0, 0, 1, 1]])  # spring stretched to 3
    >>> pairwise_forces("spring", X, dim=2)[0, 1]  # pulls body 0 towards body 1
    array([4., 0.])
    """
    return _pairwise_forces(law, X, dim)


def _pairwise_forces(law, X, dim):
    X = _check_state(X, dim)
    pos = X[..., :dim]
    charge = X[..., 2 * dim]
    mass = X[..., 2 * dim + 1]
    delta = pos[..., None, :, :] - pos[..., :, None, :]  # [i, j] = p_j - p_i
    r = np.sqrt(np.sum(delta**2, axis=-1))
    n = X.shape[-2]
    off_diag = ~np.eye(n, dtype=bool)
    r_safe = np.where(off_diag, r, 1.0)
    magnitude = _force_magnitude(
        law,
        r_safe + SOFTENING,
        mass[..., :, None],
        mass[..., None, :],
        charge[..., :, None],
        charge[..., None, :],
    )
    return np.where(off_diag[..., None], (magnitude / r_safe)[..., None] * delta, 0.0)


@validate_params({"law": LAW, "X": ["array-like"], "dim": DIM, "damping": DAMPING})
def nbody_accelerations(law, X, *, dim, damping=0.5):
    """True accelerations of N-body states (the targets of :func:`make_nbody`).

    Parameters
    ----------
    law : str
        One of :data:`NBODY_LAWS`.
    X : array-like of shape (..., n_bodies, 2 * dim + 2)
        States ``[pos, vel, charge, mass]``, e.g. snapshots moved or rescaled after simulation.
    dim : {2, 3}
        Spatial dimension.
    damping : float, default=0.5
        Damping coefficient of the ``"damped"`` law.

    Returns
    -------
    accelerations : ndarray of shape (..., n_bodies, dim)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_symgn.datasets import make_nbody, nbody_accelerations
    >>> X, y = make_nbody("spring", n_samples=5, random_state=0)
    >>> bool(np.allclose(nbody_accelerations("spring", X, dim=2), y))
    True
    """
    X = _check_state(np.asarray(X, dtype=np.float64), dim)
    return _accelerations(law, X, dim, damping)


def _accelerations(law, X, dim, damping):
    forces = _pairwise_forces(law, X, dim).sum(axis=-2)
    if law == "damped":
        forces = forces - damping * X[..., dim : 2 * dim]
    return forces / X[..., 2 * dim + 1, None]


def _rk4(law, X0, n_steps, dim, dt, damping, sample_every=1):
    """RK4 trajectory of the true law (NumPy), every ``sample_every``-th state."""
    accel = functools.partial(_accelerations, law, dim=dim, damping=damping)
    return integrate(accel, X0, n_steps, dt, position_columns=list(range(dim)),
                     velocity_columns=list(range(dim, 2 * dim)), method="rk4",
                     sample_every=sample_every)


def _simulate(law, n_traj, n_bodies, dim, n_steps, sample_every, dt, damping, rng):
    """Snapshots of ``n_traj`` trajectories, trajectory-major: ``(n_traj * kept, n, F)``."""
    n_features = 2 * dim + 2
    state = rng.normal(size=(n_traj, n_bodies, n_features))
    state[..., -1] = np.exp(state[..., -1])
    if law == "charge":
        state[..., 2 * dim] = np.sign(state[..., 2 * dim])
        state[state[..., 2 * dim] == 0, 2 * dim] = 1.0
    # the states at steps 0, sample_every, ... < n_steps (the state after the last step is not
    # kept, so that step is not taken)
    snapshots = _rk4(law, state, n_steps - 1, dim, dt, damping, sample_every)
    # trajectory-major order, so consecutive samples of one trajectory stay together
    return snapshots.transpose(1, 0, 2, 3).reshape(-1, n_bodies, n_features)


@validate_params({"law": LAW, "X0": ["array-like"], "n_steps": [Int(0)], "dim": DIM,
                  "dt": TIME_STEP, "damping": DAMPING})
def integrate_nbody(law, X0, n_steps, *, dim, dt=None, damping=0.5):
    """Integrate N-body states forward with the true law (fourth-order Runge-Kutta).

    Parameters
    ----------
    law : str
        One of ``NBODY_LAWS``.
    X0 : array-like of shape (n_systems, n_bodies, 2 * dim + 2)
        Initial states ``[pos, vel, charge, mass]``.
    n_steps : int
        Number of steps.
    dim : {2, 3}
        Spatial dimension.
    dt : float, default=None
        Time step, a positive finite number; ``None`` uses the law's value in ``NBODY_LAWS``.
    damping : float, default=0.5
        Damping of the ``"damped"`` law.

    Returns
    -------
    trajectory : ndarray of shape (n_steps + 1, n_systems, n_bodies, 2 * dim + 2)
        ``trajectory[0]`` is ``X0``.

    Examples
    --------
    >>> from sklearn_symgn.datasets import integrate_nbody, make_nbody
    >>> X, _ = make_nbody("spring", n_samples=2, random_state=0)
    >>> integrate_nbody("spring", X, 10, dim=2).shape
    (11, 2, 4, 6)
    """
    X0 = _check_state(X0, dim, "X0")
    dt = NBODY_LAWS[law] if dt is None else float(dt)
    return _rk4(law, X0, n_steps, dim, dt, damping)


@validate_params({"dim": DIM})
def nbody_feature_names(dim):
    """Column names of ``make_nbody`` features: ``x, y[, z], vx, vy[, vz], q, m``.

    Parameters
    ----------
    dim : {2, 3}
        Spatial dimension.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> from sklearn_symgn.datasets import nbody_feature_names
    >>> nbody_feature_names(2)
    ['x', 'y', 'vx', 'vy', 'q', 'm']
    """
    axes = "xyz"[:dim]
    return [*axes, *(f"v{a}" for a in axes), "q", "m"]


@validate_params(
    {
        "law": LAW,
        "n_samples": [Int(1)],
        "n_bodies": [Int(2)],
        "dim": DIM,
        "n_steps": [Int(1)],
        "sample_every": [Int(1)],
        "dt": TIME_STEP,
        "damping": DAMPING,
        "min_distance": [Interval(Real, 0, None, closed="left"), None],
        "random_state": ["random_state"],
        "return_forces": ["boolean"],
        "return_feature_names": ["boolean"],
    }
)
def make_nbody(
    law,
    *,
    n_samples=1000,
    n_bodies=4,
    dim=2,
    n_steps=500,
    sample_every=5,
    dt=None,
    damping=0.5,
    min_distance=None,
    random_state=None,
    return_forces=False,
    return_feature_names=False,
):
    """Simulate snapshots of an interacting N-body system of the paper.

    Each trajectory starts from ``N(0, 1)`` positions and velocities, a mass ``exp(N(0, 1))`` and a
    charge column (``sign(N(0, 1))`` for ``"charge"``, an unused ``N(0, 1)`` value otherwise), and is
    integrated with fourth-order Runge-Kutta for ``n_steps`` steps of size ``dt``; every
    ``sample_every``-th state is kept until ``n_samples`` snapshots are collected. The pair potentials
    of the softened distance ``r' = r + 0.01`` are

    ================= ================================================
    law               potential ``U(r')``
    ================= ================================================
    ``spring``        ``(r' - 1)**2``
    ``r1``            ``m_i m_j log r'``
    ``r2``            ``-m_i m_j / r'``
    ``charge``        ``q_i q_j / r'``
    ``damped``        ``(r' - 1)**2`` plus a force ``-damping * v_i``
    ``discontinuous`` ``(r' - 1)**2`` if ``r' >= 2`` else ``0``
    ================= ================================================

    Parameters
    ----------
    law : {"spring", "r1", "r2", "charge", "damped", "discontinuous"}
        The interaction.
    n_samples : int, default=1000
        Number of snapshots (graphs) returned.
    n_bodies : int, default=4
        Number of particles per system.
    dim : {2, 3}, default=2
        Spatial dimension.
    n_steps : int, default=500
        Integration steps per trajectory.
    sample_every : int, default=5
        Keep every ``sample_every``-th state of a trajectory.
    dt : float, default=None
        Time step; ``None`` uses the law's value in ``NBODY_LAWS``.
    damping : float, default=0.5
        Damping coefficient ``c`` of the ``"damped"`` law (force ``-c * v_i``).
    min_distance : float, default=None
        Keep only snapshots whose closest pair is at least this far apart (more trajectories
        are simulated until ``n_samples`` are kept). Singular laws (``r2``, ``charge``, ``r1``)
        reach accelerations 10⁴ times their median in close encounters, which a network cannot
        resolve on a CPU budget and which drown the rest of the signal; training on snapshots
        without them (e.g. ``min_distance=0.5``) and letting the distilled equations extrapolate
        is the recipe that recovers these laws (see ``docs/benchmarks.md``).
    random_state : int, RandomState instance or None, default=None
        Seed of the initial conditions.
    return_forces : bool, default=False
        Also return the true pairwise forces.
    return_feature_names : bool, default=False
        Also return the feature (column) names.

    Returns
    -------
    X : ndarray of shape (n_samples, n_bodies, 2 * dim + 2)
        Node features ``[positions, velocities, charge, mass]``.
    y : ndarray of shape (n_samples, n_bodies, dim)
        Exact accelerations.
    forces : ndarray of shape (n_samples, n_bodies, n_bodies, dim)
        Only if ``return_forces``: ``forces[s, i, j]`` is the force of ``j`` on ``i``.
    feature_names : list of str
        Only if ``return_feature_names``: ``x, y[, z], vx, vy[, vz], q, m``.

    Examples
    --------
    >>> from sklearn_symgn.datasets import make_nbody
    >>> X, y = make_nbody("spring", n_samples=200, random_state=0)
    >>> X.shape, y.shape
    ((200, 4, 6), (200, 4, 2))
    """
    width = (n_bodies * (2 * dim + 2) + n_bodies * dim
             + (n_bodies * n_bodies * dim if return_forces else 0))
    check_memory(8 * n_samples * width, f"make_nbody(n_samples={n_samples}, "
                                        f"n_bodies={n_bodies})")
    rng = check_random_state(random_state)
    dt = NBODY_LAWS[law] if dt is None else float(dt)
    per_trajectory = len(range(0, n_steps, sample_every))
    batches, kept, simulated = [], 0, 0
    while kept < n_samples:
        accept = kept / simulated if simulated else 1.0
        if simulated >= 20 * n_samples and accept < 0.05:
            raise ValueError(
                f"min_distance={min_distance} rejects {1 - accept:.0%} of the snapshots; "
                "use a smaller value."
            )
        # simulate what is still missing, topped up by the fraction rejected so far
        missing = int(np.ceil((n_samples - kept) / max(accept, 0.05)))
        n_traj = max(1, -(-missing // per_trajectory))
        batch = _simulate(law, n_traj, n_bodies, dim, n_steps, sample_every, dt, damping, rng)
        simulated += len(batch)
        if min_distance is not None:
            pos = batch[..., :dim]
            r = np.linalg.norm(pos[:, :, None] - pos[:, None, :], axis=-1)
            r[:, np.arange(n_bodies), np.arange(n_bodies)] = np.inf
            batch = batch[r.min(axis=(1, 2)) >= min_distance]
        batches.append(batch)
        kept += len(batch)
    X = np.concatenate(batches)[:n_samples]
    y = _accelerations(law, X, dim, damping)
    out = [X, y]
    if return_forces:
        out.append(_pairwise_forces(law, X, dim))
    if return_feature_names:
        out.append(nbody_feature_names(dim))
    return tuple(out)
