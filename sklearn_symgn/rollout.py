"""Rollouts of a fitted model, drift of conserved quantities, and Noether-style tailoring.

A fitted model predicts accelerations; :func:`rollout` integrates it forward from initial states,
so a network and its distilled equations can be compared on multi-step trajectories, not only on
single-step targets. :func:`quantity_drift` measures how far a quantity (energy, momentum) moves
along a trajectory. With ``tailor_steps > 0`` the rollout applies the *tailoring* step of Noether
Networks (Alet et al., NeurIPS 2021): before each window of steps, a per-system affine correction
of the network's acceleration is fitted by a few gradient steps so that a conserved quantity stays
at its initial value along the window.
"""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .datasets._nbody import NBODY_LAWS, nbody_energy, pair_potential
from .distill import SymbolicGraphModel
from .estimator import SymbolicGNRegressor

__all__ = ["energy_function", "quantity_drift", "rollout", "total_momentum", "trajectory_rmse"]

INTEGRATORS = ("leapfrog", "euler", "rk4")


# ------------------------------------------------------------------------------ quantities
def total_momentum(X, *, dim):
    """Total momentum ``sum_i m_i v_i`` of N-body states ``[pos, vel, charge, mass]``.

    Parameters
    ----------
    X : ndarray or Tensor of shape (..., n_bodies, 2 * dim + 2)
        States (NumPy or torch; torch keeps the autograd graph).
    dim : int
        Spatial dimension.

    Returns
    -------
    momentum : ndarray or Tensor of shape (..., dim)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_symgn.rollout import total_momentum
    >>> X = np.array([[[0, 0, 1, 0, 0, 2.0], [1, 0, -1, 0, 0, 2.0]]])
    >>> total_momentum(X, dim=2)
    array([[0., 0.]])
    """
    return (X[..., dim : 2 * dim] * X[..., 2 * dim + 1, None]).sum(-2)


def _energy_torch(law, X, dim):
    pos, vel = X[..., :dim], X[..., dim : 2 * dim]
    charge, mass = X[..., 2 * dim], X[..., 2 * dim + 1]
    kinetic = 0.5 * (mass * (vel**2).sum(-1)).sum(-1)
    i, j = torch.triu_indices(X.shape[-2], X.shape[-2], 1, device=X.device)
    r = torch.linalg.vector_norm(pos[..., j, :] - pos[..., i, :], dim=-1)
    potential = pair_potential(law, r, mass[..., i], mass[..., j], charge[..., i], charge[..., j])
    return kinetic + potential.sum(-1)


def energy_function(law, *, dim):
    """The total energy of an N-body law as a conserved quantity for :func:`rollout`.

    Parameters
    ----------
    law : str
        One of :data:`~sklearn_symgn.datasets.NBODY_LAWS` (for ``"damped"``: the spring energy,
        which is not conserved).
    dim : {2, 3}
        Spatial dimension.

    Returns
    -------
    energy : callable
        ``energy(X) -> (..., 1)`` for states ``X`` of shape ``(..., n_bodies, 2 * dim + 2)``;
        NumPy arrays give :func:`~sklearn_symgn.datasets.nbody_energy`, torch tensors the same
        value differentiably (for tailoring).

    Examples
    --------
    >>> import torch
    >>> from sklearn_symgn.datasets import make_nbody, nbody_energy
    >>> from sklearn_symgn.rollout import energy_function
    >>> X, _ = make_nbody("spring", n_samples=3, random_state=0)
    >>> energy = energy_function("spring", dim=2)
    >>> energy(X).shape
    (3, 1)
    >>> bool(torch.allclose(energy(torch.tensor(X))[:, 0], torch.tensor(nbody_energy("spring", X, dim=2))))
    True
    """
    if law not in NBODY_LAWS:
        raise ValueError(f"Unknown law {law!r}; expected one of {sorted(NBODY_LAWS)}.")
    if dim not in (2, 3):
        raise ValueError(f"dim must be 2 or 3; got {dim!r}.")

    def energy(X):
        if isinstance(X, torch.Tensor):
            return _energy_torch(law, X, dim)[..., None]
        return nbody_energy(law, X, dim=dim)[..., None]

    energy.__name__ = f"{law}_energy"
    return energy


def _as_columns(values, n_leading):
    """Quantities as ``(..., k)``: a trailing axis is added to scalar quantities."""
    return values[..., None] if values.ndim == n_leading else values


def quantity_drift(trajectory, quantity, *, relative=True):
    """How far a quantity moves from its initial value along trajectories.

    Parameters
    ----------
    trajectory : ndarray of shape (n_steps + 1, n_systems, n_bodies, n_features)
        As returned by :func:`rollout` or :func:`~sklearn_symgn.datasets.integrate_nbody`.
    quantity : callable
        ``quantity(states)`` maps ``(..., n_bodies, n_features)`` to ``(..., k)`` or ``(...,)``,
        e.g. :func:`energy_function` or ``functools.partial(total_momentum, dim=2)``.
    relative : bool, default=True
        Divide by ``|g(x_0)|`` (use ``False`` for quantities that start near zero, such as the
        momentum of a system at rest).

    Returns
    -------
    drift : ndarray of shape (n_steps + 1, n_systems)
        ``|g(x_t) - g(x_0)|`` (Euclidean norm over the ``k`` components), relative if asked.

    Examples
    --------
    >>> from sklearn_symgn.datasets import integrate_nbody, make_nbody
    >>> from sklearn_symgn.rollout import energy_function, quantity_drift
    >>> X0, _ = make_nbody("spring", n_samples=2, n_steps=1, random_state=0)
    >>> trajectory = integrate_nbody("spring", X0, 100, dim=2)
    >>> drift = quantity_drift(trajectory, energy_function("spring", dim=2))
    >>> drift.shape, bool(drift.max() < 1e-6)
    ((101, 2), True)
    """
    trajectory = np.asarray(trajectory, dtype=float)
    if trajectory.ndim != 4:
        raise ValueError(
            "trajectory must have shape (n_steps + 1, n_systems, n_bodies, n_features); "
            f"got {trajectory.shape}."
        )
    if not callable(quantity):
        raise TypeError(f"quantity must be callable; got {type(quantity).__name__}.")
    values = _as_columns(np.asarray(quantity(trajectory), dtype=float), 2)
    if values.shape[:2] != trajectory.shape[:2]:
        raise ValueError(
            f"quantity returned shape {values.shape}; expected {trajectory.shape[:2]} + (k,)."
        )
    drift = np.linalg.norm(values - values[:1], axis=-1)
    if relative:
        drift = drift / np.maximum(np.linalg.norm(values[0], axis=-1), np.finfo(float).tiny)
    return drift


def trajectory_rmse(trajectory, reference, *, columns=None):
    """Root-mean-square error between two trajectories at every step.

    Parameters
    ----------
    trajectory, reference : ndarray of shape (n_steps + 1, n_systems, n_bodies, n_features)
    columns : list of int, default=None
        Feature columns compared (e.g. the positions); ``None`` means all.

    Returns
    -------
    rmse : ndarray of shape (n_steps + 1,)
        Over systems, bodies and columns.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_symgn.rollout import trajectory_rmse
    >>> trajectory_rmse(np.ones((3, 2, 4, 6)), np.zeros((3, 2, 4, 6)), columns=[0, 1])
    array([1., 1., 1.])
    """
    trajectory, reference = np.asarray(trajectory, float), np.asarray(reference, float)
    if trajectory.ndim != 4 or trajectory.shape != reference.shape:
        raise ValueError(
            "trajectory and reference must have the same shape (n_steps + 1, n_systems, "
            f"n_bodies, n_features); got {trajectory.shape} and {reference.shape}."
        )
    if columns is not None:
        trajectory, reference = trajectory[..., list(columns)], reference[..., list(columns)]
    return np.sqrt(np.mean((trajectory - reference) ** 2, axis=(1, 2, 3)))


# -------------------------------------------------------------------------------- integrators
def _replace(X, pos, x, vel, v):
    """A copy of ``X`` with new positions and velocities (NumPy or torch, autograd-safe)."""
    out = X.clone() if isinstance(X, torch.Tensor) else X.copy()
    out[..., pos] = x
    out[..., vel] = v
    return out


def _step(accel, X, a, dt, pos, vel, integrator):
    """One step; returns the new state and the acceleration to reuse (leapfrog) or ``None``."""
    x, v = X[..., pos], X[..., vel]
    if integrator == "euler":  # semi-implicit (symplectic) Euler
        v = v + dt * accel(X)
        return _replace(X, pos, x + dt * v, vel, v), None
    if integrator == "leapfrog":  # kick-drift-kick; the new kick sees the half-step velocity
        v_half = v + 0.5 * dt * (accel(X) if a is None else a)
        X_half = _replace(X, pos, x + dt * v_half, vel, v_half)
        a = accel(X_half)
        return _replace(X, pos, X_half[..., pos], vel, v_half + 0.5 * dt * a), a
    k1v, k1a = v, accel(X)
    Z = _replace(X, pos, x + 0.5 * dt * k1v, vel, v + 0.5 * dt * k1a)
    k2v, k2a = Z[..., vel], accel(Z)
    Z = _replace(X, pos, x + 0.5 * dt * k2v, vel, v + 0.5 * dt * k2a)
    k3v, k3a = Z[..., vel], accel(Z)
    Z = _replace(X, pos, x + dt * k3v, vel, v + dt * k3a)
    k4v, k4a = Z[..., vel], accel(Z)
    return _replace(X, pos, x + dt / 6 * (k1v + 2 * k2v + 2 * k3v + k4v),
                    vel, v + dt / 6 * (k1a + 2 * k2a + 2 * k3a + k4a)), None


def _integrate(accel, X, n_steps, dt, pos, vel, integrator):
    states, a = [X], None
    for _ in range(n_steps):
        X, a = _step(accel, X, a, dt, pos, vel, integrator)
        states.append(X)
    return torch.stack(states) if isinstance(X, torch.Tensor) else np.stack(states)


# ------------------------------------------------------------------------------------ models
def _network_module(model):
    """The torch module behind a network-backed estimator, else ``None`` (checks fitting)."""
    if isinstance(model, SymbolicGNRegressor):
        if model.predict_with == "equations":
            check_is_fitted(model, "symbolic_model_")
            return None
        check_is_fitted(model, "net_")
        return model.net_.module_
    if isinstance(model, BaseEstimator) and not isinstance(model, SymbolicGraphModel):
        check_is_fitted(model)
    return None


def _resolve_columns(model, n_features, position_columns, velocity_columns):
    if position_columns is None:
        position_columns = getattr(model, "position_columns_", None)
    if position_columns is None:
        position_columns = getattr(model, "position_columns", None)
    if position_columns is None:
        raise ValueError("position_columns is required for a model without `position_columns_`.")
    pos = [int(c) for c in np.atleast_1d(position_columns)]
    if velocity_columns is None:
        velocity_columns = range(max(pos) + 1, max(pos) + 1 + len(pos))
    vel = [int(c) for c in np.atleast_1d(velocity_columns)]
    for name, cols in (("position_columns", pos), ("velocity_columns", vel)):
        if not cols or len(set(cols)) != len(cols) or not all(0 <= c < n_features for c in cols):
            raise ValueError(
                f"{name} must be distinct column indices in [0, {n_features}); got {cols}."
            )
    if len(vel) != len(pos) or set(pos) & set(vel):
        raise ValueError(
            f"velocity_columns {vel} must be as many as, and disjoint from, position_columns {pos}."
        )
    return pos, vel


def _checked_accelerations(pred, X, n_targets):
    if tuple(pred.shape) != (*X.shape[:2], n_targets):
        raise ValueError(
            f"The model predicted shape {tuple(pred.shape)}; a rollout needs accelerations of shape "
            f"(n_systems, n_bodies, {n_targets}) = one per position column."
        )
    return pred


def _check_int(value, name, low):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}; got {value!r}.")
    return int(value)


def _check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 < value < np.inf:
        raise ValueError(f"{name} must be a positive finite number; got {value!r}.")
    return float(value)


# -------------------------------------------------------------------------------- tailoring
def _noether_loss(conserved, trajectory, reference):
    """Per system: ``sum_t |g(x_0) - g(x_t)|^2`` over the window's new states."""
    values = _as_columns(conserved(trajectory), 2)
    return ((values - reference) ** 2).sum(dim=(0, 2))


def _tailored_window(predict, X, reference, conserved, n_steps, dt, pos, vel, integrator,
                     tailor_steps, lr):
    """Tailor ``a = f(x) * gamma + beta`` on one window; return its trajectory and the losses.

    Each step is a gradient step with the Polyak step size ``lr * L / |grad L|^2`` per system (so
    ``lr`` does not depend on the units of the conserved quantity); per system the iterate with
    the lowest loss is kept, so tailoring never makes a window's Noether loss worse.
    """
    shape = (X.shape[0], X.shape[1], len(pos))
    gamma = torch.ones(shape, dtype=X.dtype, device=X.device, requires_grad=True)
    beta = torch.zeros(shape, dtype=X.dtype, device=X.device, requires_grad=True)

    def tailored(Z):
        return predict(Z) * gamma + beta

    best_traj, best_loss, losses = None, None, []
    for k in range(tailor_steps + 1):
        last = k == tailor_steps
        with torch.set_grad_enabled(not last):
            traj = _integrate(tailored, X, n_steps, dt, pos, vel, integrator)
            loss = _noether_loss(conserved, traj[1:], reference)
        losses.append(loss.detach())
        if best_traj is None:
            best_traj, best_loss = traj.detach(), loss.detach()
        else:
            better = loss.detach() < best_loss
            best_traj = torch.where(better[None, :, None, None], traj.detach(), best_traj)
            best_loss = torch.minimum(best_loss, loss.detach())
        if last:
            break
        grads = torch.autograd.grad(loss.sum(), (gamma, beta))
        norm2 = sum(g.pow(2).sum(dim=(1, 2)) for g in grads)
        size = lr * loss.detach() / norm2.clamp_min(torch.finfo(X.dtype).tiny)
        with torch.no_grad():  # in place: `tailored` reads these tensors
            gamma.sub_(size[:, None, None] * grads[0])
            beta.sub_(size[:, None, None] * grads[1])
    return best_traj, torch.stack(losses)


# ---------------------------------------------------------------------------------- rollout
def rollout(model, X0, n_steps, dt, *, position_columns=None, velocity_columns=None,
            integrator="leapfrog", conserved=None, tailor_steps=0, tailor_window=20,
            tailor_lr=1.0, return_info=False):
    """Integrate a fitted model's accelerations forward from initial states.

    Parameters
    ----------
    model : fitted estimator
        Anything whose ``predict(X)`` maps states ``(n_systems, n_bodies, n_features)`` to
        accelerations ``(n_systems, n_bodies, dim)``: a fitted
        :class:`~sklearn_symgn.SymbolicGNRegressor` (network or, with
        ``predict_with="equations"``, its equations) or its ``symbolic_model_``. A network is
        called directly through ``net_.module_`` (same values as ``predict``, without the data
        loader).
    X0 : array-like of shape (n_systems, n_bodies, n_features)
        Initial states. Columns other than positions and velocities (charge, mass) are carried
        unchanged.
    n_steps : int
        Number of steps.
    dt : float
        Time step (e.g. ``NBODY_LAWS[law]``).
    position_columns : list of int, default=None
        Coordinate columns; ``None`` uses the model's ``position_columns_`` (or
        ``position_columns``).
    velocity_columns : list of int, default=None
        Velocity columns, one per position column; ``None`` means the ``dim`` columns right after
        the last position column (the ``[pos, vel, ...]`` layout of ``make_nbody``).
    integrator : {"leapfrog", "euler", "rk4"}, default="leapfrog"
        ``"leapfrog"``: kick-drift-kick (velocity Verlet), one model call per step, symplectic for
        position-dependent accelerations (the model sees the half-step velocity at the new
        positions); ``"euler"``: semi-implicit Euler, one call; ``"rk4"``: classical Runge-Kutta,
        four calls (what :func:`~sklearn_symgn.datasets.integrate_nbody` uses).
    conserved : callable, default=None
        Conserved quantity ``g(states) -> (..., k)`` (or ``(...,)``) used by tailoring; it receives
        torch tensors of shape ``(..., n_bodies, n_features)`` and must be differentiable, e.g.
        :func:`energy_function` or :func:`total_momentum` (or both, concatenated).
    tailor_steps : int, default=0
        Noether tailoring: before each window of ``tailor_window`` steps, this many gradient
        steps adjust a per-system, per-body affine correction ``a = f(x) * gamma + beta`` of the
        network's acceleration (``gamma = 1``, ``beta = 0`` at the start of every window) to
        minimise the Noether loss ``sum_t |g(x_0) - g(x_t)|^2`` along the window, ``x_0`` being
        the rollout's initial state; the window is then rolled out with the tailored prediction
        (per system, the iterate with the lowest loss, so a window's loss never exceeds the
        plain network's). Needs a network model and ``conserved``. ``0`` is the plain model.
    tailor_window : int, default=20
        Steps per tailoring window.
    tailor_lr : float, default=1.0
        Step size of tailoring, as a fraction of the Polyak step ``L / |grad L|^2`` (which, for a
        residual linear in the parameters, quarters the loss per step at ``1.0``).
    return_info : bool, default=False
        Also return a dict; with tailoring, ``"noether_loss"`` of shape
        ``(n_windows, tailor_steps + 1, n_systems)`` holds the loss of every iterate of every
        window (iterate 0 is the plain network).

    Returns
    -------
    trajectory : ndarray of shape (n_steps + 1, n_systems, n_bodies, n_features)
        ``trajectory[0]`` is ``X0``.
    info : dict
        Only if ``return_info``.

    Notes
    -----
    Cost: a plain rollout makes ``n_steps`` model calls (leapfrog); tailoring adds, per window,
    ``tailor_steps`` differentiable rollouts of the window with their backward passes, roughly
    ``1 + 3 * tailor_steps`` times the plain cost. Tailoring only corrects what the conserved
    quantity sees: a trajectory can keep its energy and still drift in phase.

    Examples
    --------
    >>> from sklearn_symgn import SymbolicGNRegressor
    >>> from sklearn_symgn.datasets import make_nbody
    >>> from sklearn_symgn.rollout import energy_function, rollout
    >>> X, y = make_nbody("spring", n_samples=100, random_state=0)
    >>> model = SymbolicGNRegressor(max_epochs=1, hidden_layer_sizes=(8,), random_state=0)
    >>> model = model.fit(X, y)
    >>> rollout(model, X[:3], 10, 0.01).shape
    (11, 3, 4, 6)
    >>> trajectory, info = rollout(model, X[:3], 10, 0.01, conserved=energy_function("spring", dim=2),
    ...                            tailor_steps=2, tailor_window=5, return_info=True)
    >>> info["noether_loss"].shape
    (2, 3, 3)
    """
    if not hasattr(model, "predict"):
        raise TypeError(
            f"model must be a fitted estimator with predict(X); got {type(model).__name__}."
        )
    module = _network_module(model)
    X0 = np.asarray(X0, dtype=np.float64)
    if X0.ndim != 3 or 0 in X0.shape:
        raise ValueError(f"X0 must have shape (n_systems, n_bodies, n_features); got {X0.shape}.")
    if not np.all(np.isfinite(X0)):
        raise ValueError("X0 contains NaN or infinity.")
    n_features = getattr(model, "n_features_in_", X0.shape[-1])
    if X0.shape[-1] != n_features:
        raise ValueError(f"X0 has {X0.shape[-1]} features per body; the model expects {n_features}.")
    n_steps = _check_int(n_steps, "n_steps", 0)
    dt = _check_positive(dt, "dt")
    if integrator not in INTEGRATORS:
        raise ValueError(f"integrator must be one of {INTEGRATORS}; got {integrator!r}.")
    if conserved is not None and not callable(conserved):
        raise TypeError(f"conserved must be callable or None; got {type(conserved).__name__}.")
    tailor_steps = _check_int(tailor_steps, "tailor_steps", 0)
    tailor_window = _check_int(tailor_window, "tailor_window", 1)
    tailor_lr = _check_positive(tailor_lr, "tailor_lr")
    if tailor_steps and conserved is None:
        raise ValueError("tailor_steps > 0 needs a conserved quantity: pass `conserved`.")
    if tailor_steps and module is None:
        raise ValueError(
            "Tailoring needs a differentiable network: a fitted SymbolicGNRegressor with "
            "predict_with='network'."
        )
    pos, vel = _resolve_columns(model, n_features, position_columns, velocity_columns)
    info = {}

    if module is None:
        def accel(X):
            return _checked_accelerations(np.asarray(model.predict(X), dtype=np.float64), X,
                                          len(pos))
        trajectory = _integrate(accel, X0, n_steps, dt, pos, vel, integrator)
        return (trajectory, info) if return_info else trajectory

    device = next(module.buffers()).device

    def predict(X):
        return _checked_accelerations(module(X.float())[0].double(), X, len(pos))

    was_training = module.training
    module.eval()
    try:
        X = torch.as_tensor(X0, device=device)
        if not tailor_steps:
            with torch.no_grad():
                trajectory = _integrate(predict, X, n_steps, dt, pos, vel, integrator)
        else:
            reference = _as_columns(conserved(X), 1).detach()
            parts, losses = [X[None]], []
            for start in range(0, n_steps, tailor_window):
                window = min(tailor_window, n_steps - start)
                traj, loss = _tailored_window(predict, parts[-1][-1], reference, conserved,
                                              window, dt, pos, vel, integrator, tailor_steps,
                                              tailor_lr)
                parts.append(traj[1:])
                losses.append(loss)
            trajectory = torch.cat(parts)
            info["noether_loss"] = (torch.stack(losses).cpu().numpy() if losses
                                    else np.zeros((0, tailor_steps + 1, len(X0))))
    finally:
        module.train(was_training)
    trajectory = trajectory.detach().cpu().numpy()
    return (trajectory, info) if return_info else trajectory
