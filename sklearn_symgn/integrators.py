"""Fixed-step integrators for states whose columns hold positions and velocities.

A state is an array of shape ``(..., n_features)`` (NumPy, or torch, which keeps the autograd
graph) of which some columns are positions ``x`` and as many others are velocities ``v``;
the remaining columns (charges, masses) are carried unchanged. Given an acceleration function
``accel(state) -> (..., len(position_columns))``, the integrators advance ``x' = v``,
``v' = accel(state)`` by steps of size ``dt``:

* ``"leapfrog"``: kick-drift-kick (velocity Verlet), one call of ``accel`` per step, symplectic
  when the acceleration depends on positions only; the second kick sees the half-step velocity
  at the new positions;
* ``"euler"``: semi-implicit (symplectic) Euler, one call per step;
* ``"rk4"``: classical fourth-order Runge-Kutta, four calls per step.

The simulators of :mod:`sklearn_symgn.datasets` (RK4) and :func:`sklearn_symgn.rollout.rollout`
share these steps.
"""

from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ._validation import Int, check_columns, validate_params

__all__ = ["INTEGRATORS", "integrate", "step"]

#: Names of the integration methods.
INTEGRATORS = ("leapfrog", "euler", "rk4")


# ---------------------------------------------------------------------------------- steps
def _replace(X, pos, x, vel, v):
    """A copy of ``X`` with new positions and velocities (NumPy or torch, autograd-safe)."""
    out = X.clone() if isinstance(X, torch.Tensor) else X.copy()
    out[..., pos] = x
    out[..., vel] = v
    return out


def _euler(accel, X, a, dt, pos, vel):
    v = X[..., vel] + dt * accel(X)
    return _replace(X, pos, X[..., pos] + dt * v, vel, v), None


def _leapfrog(accel, X, a, dt, pos, vel):
    """Kick-drift-kick; returns the acceleration at the new state, reused by the next step."""
    v_half = X[..., vel] + 0.5 * dt * (accel(X) if a is None else a)
    X_half = _replace(X, pos, X[..., pos] + dt * v_half, vel, v_half)
    a = accel(X_half)
    return _replace(X, pos, X_half[..., pos], vel, v_half + 0.5 * dt * a), a


def _rk4(accel, X, a, dt, pos, vel):
    # the operation order is the simulator's (make_nbody's data depend on it bit for bit)
    x, v = X[..., pos], X[..., vel]
    k1v, k1a = v, accel(X)
    Z = _replace(X, pos, x + 0.5 * dt * k1v, vel, v + 0.5 * dt * k1a)
    k2v, k2a = Z[..., vel], accel(Z)
    Z = _replace(X, pos, x + 0.5 * dt * k2v, vel, v + 0.5 * dt * k2a)
    k3v, k3a = Z[..., vel], accel(Z)
    Z = _replace(X, pos, x + dt * k3v, vel, v + dt * k3a)
    k4v, k4a = Z[..., vel], accel(Z)
    return _replace(X, pos, x + dt / 6.0 * (k1v + 2 * k2v + 2 * k3v + k4v),
                    vel, v + dt / 6.0 * (k1a + 2 * k2a + 2 * k3a + k4a)), None


_STEPS = {"leapfrog": _leapfrog, "euler": _euler, "rk4": _rk4}


# -------------------------------------------------------------------------------- columns
def _index(cols):
    """A slice for contiguous increasing columns (a view, no copy), else the list."""
    if cols == list(range(cols[0], cols[0] + len(cols))):
        return slice(cols[0], cols[0] + len(cols))
    return cols


def _columns(X, position_columns, velocity_columns):
    """Checked position and velocity indices of states ``X``."""
    if X.ndim < 1:
        raise ValueError("X must have a trailing axis of features; got a scalar.")
    n_features = X.shape[-1]
    pos = check_columns(position_columns, n_features, "position_columns")
    if not pos:
        raise ValueError("position_columns must hold at least one column index; got none.")
    if velocity_columns is None:
        velocity_columns = range(max(pos) + 1, max(pos) + 1 + len(pos))
    vel = check_columns(velocity_columns, n_features, "velocity_columns")
    if len(vel) != len(pos) or set(pos) & set(vel):
        raise ValueError(
            f"velocity_columns {vel} must be as many as, and disjoint from, position_columns {pos}."
        )
    return _index(pos), _index(vel)


def _as_state(X):
    return X if isinstance(X, torch.Tensor) else np.asarray(X, dtype=float)


_CONSTRAINTS = {
    "accel": [callable],
    "dt": [Interval(Real, 0, None, closed="neither")],
    "position_columns": ["array-like"],
    "velocity_columns": ["array-like", None],
    "method": [StrOptions(set(INTEGRATORS))],
}


# --------------------------------------------------------------------------------- public
@validate_params({**_CONSTRAINTS, "X": ["array-like"]})
def step(accel, X, dt, *, position_columns, velocity_columns=None, method="rk4"):
    """Advance states by one step.

    Parameters
    ----------
    accel : callable
        ``accel(states)`` maps states of the shape of ``X`` to accelerations of shape
        ``X.shape[:-1] + (len(position_columns),)``, of the same kind (NumPy or torch).
    X : array-like or Tensor of shape (..., n_features)
        States. A torch tensor gives a tensor and keeps the autograd graph.
    dt : float
        Time step, a positive finite number.
    position_columns : array-like of int
        Position columns of the states.
    velocity_columns : array-like of int, default=None
        Velocity columns, one per position column; ``None`` means the columns right after the
        last position column (the ``[pos, vel, ...]`` layout of
        :func:`~sklearn_symgn.datasets.make_nbody`).
    method : {"leapfrog", "euler", "rk4"}, default="rk4"
        Integration method (see the module's description).

    Returns
    -------
    X_next : ndarray or Tensor of the shape of ``X``
        The states after one step; other columns are copied from ``X``.

    See Also
    --------
    integrate : many steps, the acceleration reused between leapfrog steps.

    Examples
    --------
    A unit-mass particle on a spring, ``a = -x``, states ``[x, v]``:

    >>> import numpy as np
    >>> from sklearn_symgn.integrators import step
    >>> step(lambda X: -X[..., :1], np.array([1.0, 0.0]), 0.1, position_columns=[0])
    array([ 0.99500417, -0.09983333])
    """
    X = _as_state(X)
    pos, vel = _columns(X, position_columns, velocity_columns)
    return _STEPS[method](accel, X, None, dt, pos, vel)[0]


@validate_params({**_CONSTRAINTS, "X0": ["array-like"], "n_steps": [Int(0)],
                  "sample_every": [Int(1)]})
def integrate(accel, X0, n_steps, dt, *, position_columns, velocity_columns=None, method="rk4",
              sample_every=1):
    """Integrate states forward by ``n_steps`` fixed steps.

    Parameters
    ----------
    accel : callable
        ``accel(states)`` maps states of the shape of ``X0`` to accelerations of shape
        ``X0.shape[:-1] + (len(position_columns),)``, of the same kind (NumPy or torch).
    X0 : array-like or Tensor of shape (..., n_features)
        Initial states. A torch tensor gives a tensor and keeps the autograd graph.
    n_steps : int
        Number of steps.
    dt : float
        Time step, a positive finite number.
    position_columns : array-like of int
        Position columns of the states.
    velocity_columns : array-like of int, default=None
        Velocity columns, one per position column; ``None`` means the columns right after the
        last position column (the ``[pos, vel, ...]`` layout of
        :func:`~sklearn_symgn.datasets.make_nbody`).
    method : {"leapfrog", "euler", "rk4"}, default="rk4"
        Integration method (see the module's description). Leapfrog calls ``accel`` once per
        step: the acceleration at the end of a step starts the next one.
    sample_every : int, default=1
        Keep the states after every ``sample_every``-th step.

    Returns
    -------
    trajectory : ndarray or Tensor of shape (n_steps // sample_every + 1, ...) + X0.shape
        ``trajectory[k]`` is the state after ``k * sample_every`` steps; ``trajectory[0]`` is
        ``X0``.

    See Also
    --------
    step : one step.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_symgn.integrators import integrate
    >>> spring = integrate(lambda X: -X[..., :1], np.array([1.0, 0.0]), 628, 0.01,
    ...                    position_columns=[0], sample_every=157)
    >>> spring.round(3)  # a quarter period every 157 steps
    array([[ 1.   ,  0.   ],
           [ 0.001, -1.   ],
           [-1.   , -0.002],
           [-0.002,  1.   ],
           [ 1.   ,  0.003]])
    """
    X = _as_state(X0)
    pos, vel = _columns(X, position_columns, velocity_columns)
    advance, a, states = _STEPS[method], None, [X]
    for k in range(1, n_steps + 1):
        X, a = advance(accel, X, a, dt, pos, vel)
        if k % sample_every == 0:
            states.append(X)
    return torch.stack(states) if isinstance(X, torch.Tensor) else np.stack(states)
