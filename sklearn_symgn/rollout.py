"""Rollouts of a fitted model, drift of conserved quantities, and Noether-style tailoring.

A fitted model predicts accelerations; :func:`rollout` integrates it forward from initial states,
so a network and its distilled equations can be compared on multi-step trajectories, not only on
single-step targets. :func:`quantity_drift` measures how far a quantity (energy, momentum) moves
along a trajectory. With ``tailor_steps > 0`` the rollout applies the *tailoring* step of Noether
Networks (Alet et al., NeurIPS 2021): before each window of steps, a per-system affine correction
of the network's acceleration is fitted by a few gradient steps so that a conserved quantity stays
at its initial value along the window.

The steps themselves are those of :mod:`sklearn_symgn.integrators`; the N-body energy and
momentum used as conserved quantities live in :mod:`sklearn_symgn.datasets`
(:func:`~sklearn_symgn.datasets.energy_function`, :func:`~sklearn_symgn.datasets.total_momentum`).
"""

import contextlib
import itertools
from numbers import Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._validation import Int, validate_params
from .base import BaseGraphRegressor
from .distillation import SymbolicGraphModel
from .integrators import INTEGRATORS, integrate

__all__ = ["quantity_drift", "rollout", "trajectory_rmse"]


# ------------------------------------------------------------------------------ measures
def _as_columns(values, n_leading):
    """Quantities as ``(..., k)``: a trailing axis is added to scalar quantities."""
    return values[..., None] if values.ndim == n_leading else values


@validate_params({"trajectory": ["array-like"], "quantity": [callable], "relative": ["boolean"]})
def quantity_drift(trajectory, quantity, *, relative=True):
    """How far a quantity moves from its initial value along trajectories.

    Parameters
    ----------
    trajectory : array-like of shape (n_steps + 1, n_systems, n_bodies, n_features)
        As returned by :func:`rollout` or :func:`~sklearn_symgn.datasets.integrate_nbody`.
    quantity : callable
        ``quantity(states)`` maps ``(..., n_bodies, n_features)`` to ``(..., k)`` or ``(...,)``,
        e.g. :func:`~sklearn_symgn.datasets.energy_function` or
        ``functools.partial(total_momentum, dim=2)``.
    relative : bool, default=True
        Divide by ``|g(x_0)|`` (use ``False`` for quantities that start near zero, such as the
        momentum of a system at rest).

    Returns
    -------
    drift : ndarray of shape (n_steps + 1, n_systems)
        ``|g(x_t) - g(x_0)|`` (Euclidean norm over the ``k`` components), relative if asked.

    Examples
    --------
    >>> from sklearn_symgn.datasets import energy_function, integrate_nbody, make_nbody
    >>> from sklearn_symgn.rollout import quantity_drift
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
    values = _as_columns(np.asarray(quantity(trajectory), dtype=float), 2)
    if values.shape[:2] != trajectory.shape[:2]:
        raise ValueError(
            f"quantity returned shape {values.shape}; expected {trajectory.shape[:2]} + (k,)."
        )
    drift = np.linalg.norm(values - values[:1], axis=-1)
    if relative:
        drift = drift / np.maximum(np.linalg.norm(values[0], axis=-1), np.finfo(float).tiny)
    return drift


@validate_params(
    {"trajectory": ["array-like"], "reference": ["array-like"], "columns": ["array-like", None]}
)
def trajectory_rmse(trajectory, reference, *, columns=None):
    """Root-mean-square error between two trajectories at every step.

    Parameters
    ----------
    trajectory : array-like of shape (n_steps + 1, n_systems, n_bodies, n_features)
        A trajectory, e.g. of :func:`rollout`.
    reference : array-like of shape (n_steps + 1, n_systems, n_bodies, n_features)
        The trajectory it is compared with.
    columns : array-like of int, default=None
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


# ------------------------------------------------------------------------------------ models
def _network_module(model):
    """The torch module behind a graph regressor's ``predict``, else ``None`` (checks fitting)."""
    if isinstance(model, BaseGraphRegressor):
        return model.torch_module()
    # a SymbolicGraphModel is built fitted, and learns no attribute of its own
    if isinstance(model, BaseEstimator) and not isinstance(model, SymbolicGraphModel):
        check_is_fitted(model)
    return None


def _model_position_columns(model):
    if isinstance(model, BaseGraphRegressor):
        return model.position_columns_
    if isinstance(model, SymbolicGraphModel):
        return model.position_columns
    raise ValueError(
        "position_columns is required for a model other than a fitted graph regressor or a "
        f"SymbolicGraphModel; got a {type(model).__name__}."
    )


def _device(module):
    tensor = next(itertools.chain(module.parameters(), module.buffers()), None)
    return torch.device("cpu") if tensor is None else tensor.device


@contextlib.contextmanager
def _evaluation_mode(module):
    """Evaluation mode inside, the module's own mode restored after."""
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)


def _checked_accelerations(pred, X, n_targets):
    if tuple(pred.shape) != (*X.shape[:2], n_targets):
        raise ValueError(
            f"The model predicted shape {tuple(pred.shape)}; a rollout needs accelerations of shape "
            f"(n_systems, n_bodies, {n_targets}) = one per position column."
        )
    return pred


# -------------------------------------------------------------------------------- tailoring
def _noether_loss(conserved, trajectory, reference):
    """Per system: ``sum_t |g(x_0) - g(x_t)|^2`` over the window's new states."""
    values = _as_columns(conserved(trajectory), 2)
    return ((values - reference) ** 2).sum(dim=(0, 2))


def _tailored_window(predict, X, reference, conserved, n_steps, dt, scheme, tailor_steps, lr):
    """Tailor ``a = f(x) * gamma + beta`` on one window; return its trajectory and the losses.

    Each step is a gradient step with the Polyak step size ``lr * L / |grad L|^2`` per system (so
    ``lr`` does not depend on the units of the conserved quantity); per system the iterate with
    the lowest loss is kept, so tailoring never makes a window's Noether loss worse.
    """
    shape = (X.shape[0], X.shape[1], len(scheme["position_columns"]))
    gamma = torch.ones(shape, dtype=X.dtype, device=X.device, requires_grad=True)
    beta = torch.zeros(shape, dtype=X.dtype, device=X.device, requires_grad=True)

    def tailored(Z):
        return predict(Z) * gamma + beta

    best_traj, best_loss, losses = None, None, []
    for k in range(tailor_steps + 1):
        last = k == tailor_steps
        with torch.set_grad_enabled(not last):
            traj = integrate(tailored, X, n_steps, dt, **scheme)
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
def _checked_arguments(model, X0, conserved, tailor_steps):
    """Phase 1: the model's torch module (or ``None``) and the initial states, checked."""
    module = _network_module(model)
    X0 = np.asarray(X0, dtype=np.float64)
    if X0.ndim != 3 or 0 in X0.shape:
        raise ValueError(f"X0 must have shape (n_systems, n_bodies, n_features); got {X0.shape}.")
    if not np.all(np.isfinite(X0)):
        raise ValueError("X0 contains NaN or infinity.")
    n_features = getattr(model, "n_features_in_", X0.shape[-1])
    if X0.shape[-1] != n_features:
        raise ValueError(f"X0 has {X0.shape[-1]} features per body; the model expects {n_features}.")
    if tailor_steps and conserved is None:
        raise ValueError("tailor_steps > 0 needs a conserved quantity: pass `conserved`.")
    if tailor_steps and module is None:
        raise ValueError(
            "Tailoring needs a differentiable network: a fitted graph regressor that predicts "
            "with its network (e.g. SymbolicGNRegressor with predict_with='network')."
        )
    return module, X0


def _plain_rollout(predict, X0, n_steps, dt, scheme):
    """Phase 2: the model's accelerations integrated as they are (NumPy or, for a network,
    torch without gradients)."""
    with torch.no_grad():
        return integrate(predict, X0, n_steps, dt, **scheme)


def _tailored_rollout(predict, X0, n_steps, dt, scheme, conserved, tailor_steps, tailor_window,
                      tailor_lr):
    """Phase 3: window by window, the network's accelerations tailored to ``conserved``."""
    reference = _as_columns(conserved(X0), 1).detach()
    parts, losses = [X0[None]], []
    for start in range(0, n_steps, tailor_window):
        window = min(tailor_window, n_steps - start)
        traj, loss = _tailored_window(predict, parts[-1][-1], reference, conserved, window, dt,
                                      scheme, tailor_steps, tailor_lr)
        parts.append(traj[1:])
        losses.append(loss)
    noether_loss = (torch.stack(losses).cpu().numpy() if losses
                    else np.zeros((0, tailor_steps + 1, len(X0))))
    return torch.cat(parts), {"noether_loss": noether_loss}


@validate_params(
    {
        "model": [HasMethods(["predict"])],
        "X0": ["array-like"],
        "n_steps": [Int(0)],
        "dt": [Interval(Real, 0, None, closed="neither")],
        "position_columns": ["array-like", None],
        "velocity_columns": ["array-like", None],
        "integrator": [StrOptions(set(INTEGRATORS))],
        "conserved": [callable, None],
        "tailor_steps": [Int(0)],
        "tailor_window": [Int(1)],
        "tailor_lr": [Interval(Real, 0, None, closed="neither")],
        "return_info": ["boolean"],
    }
)
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
        ``predict_with="equations"``, its equations), its ``symbolic_model_``, or any object with
        ``predict``. A graph regressor's network (its ``torch_module()``) is called directly
        (same values as ``predict``, without the data loader).
    X0 : array-like of shape (n_systems, n_bodies, n_features)
        Initial states. Columns other than positions and velocities (charge, mass) are carried
        unchanged.
    n_steps : int
        Number of steps.
    dt : float
        Time step, a positive finite number (e.g. ``NBODY_LAWS[law]``).
    position_columns : array-like of int, default=None
        Coordinate columns; ``None`` uses a graph regressor's ``position_columns_`` or the
        ``position_columns`` of distilled equations (``symbolic_model_``); other models need the
        argument.
    velocity_columns : array-like of int, default=None
        Velocity columns, one per position column; ``None`` means the ``dim`` columns right after
        the last position column (the ``[pos, vel, ...]`` layout of ``make_nbody``).
    integrator : {"leapfrog", "euler", "rk4"}, default="leapfrog"
        ``"leapfrog"``: kick-drift-kick (velocity Verlet), one model call per step, symplectic for
        position-dependent accelerations (the model sees the half-step velocity at the new
        positions); ``"euler"``: semi-implicit Euler, one call; ``"rk4"``: classical Runge-Kutta,
        four calls (what :func:`~sklearn_symgn.datasets.integrate_nbody` uses). See
        :mod:`sklearn_symgn.integrators`.
    conserved : callable, default=None
        Conserved quantity ``g(states) -> (..., k)`` (or ``(...,)``) used by tailoring; it receives
        torch tensors of shape ``(..., n_bodies, n_features)`` and must be differentiable, e.g.
        :func:`~sklearn_symgn.datasets.energy_function` or
        :func:`~sklearn_symgn.datasets.total_momentum` (or both, concatenated).
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
    >>> from sklearn_symgn.datasets import energy_function, make_nbody
    >>> from sklearn_symgn.rollout import rollout
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
    module, X0 = _checked_arguments(model, X0, conserved, tailor_steps)
    if position_columns is None:
        position_columns = _model_position_columns(model)
    # the integration scheme: columns and method, as `integrate` takes them
    scheme = {"position_columns": position_columns, "velocity_columns": velocity_columns,
              "method": integrator}
    n_targets = len(position_columns)
    if module is None:
        def accel(X):
            pred = np.asarray(model.predict(X), dtype=np.float64)
            return _checked_accelerations(pred, X, n_targets)

        trajectory, info = _checked_trajectory(_plain_rollout(accel, X0, n_steps, dt, scheme),
                                               dt), {}
        return (trajectory, info) if return_info else trajectory

    def predict(X):
        return _checked_accelerations(module(X.float())[0].double(), X, n_targets)

    X0 = torch.as_tensor(X0, device=_device(module))
    with _evaluation_mode(module):
        if tailor_steps:
            trajectory, info = _tailored_rollout(predict, X0, n_steps, dt, scheme, conserved,
                                                 tailor_steps, tailor_window, tailor_lr)
        else:
            trajectory, info = _plain_rollout(predict, X0, n_steps, dt, scheme), {}
    trajectory = _checked_trajectory(trajectory.detach().cpu().numpy(), dt)
    return (trajectory, info) if return_info else trajectory


def _checked_trajectory(trajectory, dt):
    """``trajectory``, or a ``ValueError`` at its first non-finite step (a diverged
    integration must not pass as a result)."""
    bad = ~np.all(np.isfinite(trajectory.reshape(len(trajectory), -1)), axis=1)
    if np.any(bad):
        step = int(np.argmax(bad))
        raise ValueError(f"The rollout diverged: its states are not finite from step {step} on "
                         f"(dt={dt!r}). Lower dt, or check X0 against the training data.")
    return trajectory
