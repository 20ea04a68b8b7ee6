"""Rollouts, drift measures and Noether tailoring (sklearn_symgn.rollout)."""

import functools

import numpy as np
import pytest
import sympy
import torch
from sklearn.exceptions import NotFittedError

from sklearn_symgn import SymbolicGNRegressor
from sklearn_symgn.datasets import (
    energy_function,
    integrate_nbody,
    make_nbody,
    nbody_energy,
    pairwise_forces,
    total_momentum,
)
from sklearn_symgn.distillation import SymbolicGraphModel
from sklearn_symgn.integrators import INTEGRATORS, integrate, step
from sklearn_symgn.rollout import quantity_drift, rollout, trajectory_rmse
from sklearn_symgn.symbolic import Equation

from .conftest import TINY
from .test_benchmarks import benchmark_main

DT = 0.01


class TrueSpring:
    """A perfect "model": the simulator's accelerations behind ``predict``.

    Its ``position_columns`` attribute is not read by ``rollout`` (only graph regressors and
    distilled equations give their columns): rollouts of it pass ``position_columns``.
    """

    position_columns = [0, 1]

    def predict(self, X):
        return pairwise_forces("spring", X, dim=2).sum(-2) / X[..., -1:]


POS = {"position_columns": [0, 1]}


@pytest.fixture(scope="module")
def initial_states():
    return make_nbody("spring", n_samples=3, n_steps=1, random_state=1)[0]


@pytest.fixture(scope="module")
def fitted(spring_data):
    X, y, _, names = spring_data
    return SymbolicGNRegressor(feature_names=names, **TINY).fit(X, y)


def test_true_law_reproduces_the_simulator(initial_states):
    reference = integrate_nbody("spring", initial_states, 100, dim=2, dt=DT)
    rk4 = rollout(TrueSpring(), initial_states, 100, DT, integrator="rk4", **POS)
    assert rk4.shape == (101, 3, 4, 6)
    np.testing.assert_allclose(rk4, reference, atol=1e-10)
    leapfrog = rollout(TrueSpring(), initial_states, 100, DT, **POS)
    assert trajectory_rmse(leapfrog, reference, columns=[0, 1])[-1] < 1e-3
    # charge and mass are carried unchanged; leapfrog keeps the energy to ~1e-3
    np.testing.assert_array_equal(leapfrog[..., 4:], np.broadcast_to(initial_states[..., 4:],
                                                                     leapfrog[..., 4:].shape))
    assert quantity_drift(leapfrog, energy_function("spring", dim=2)).max() < 5e-3
    euler = rollout(TrueSpring(), initial_states, 100, DT, integrator="euler", **POS)
    assert trajectory_rmse(euler, reference)[-1] > trajectory_rmse(leapfrog, reference)[-1]


def test_drift_tools_on_known_cases(initial_states):
    trajectory = np.repeat(initial_states[None], 5, axis=0)
    trajectory[2:, :, :, 2:4] *= 2.0  # doubling velocities quadruples the kinetic energy
    energy = nbody_energy("spring", initial_states, dim=2)
    kinetic = 0.5 * np.sum(initial_states[..., 5] * np.sum(initial_states[..., 2:4] ** 2, -1), -1)
    drift = quantity_drift(trajectory, energy_function("spring", dim=2))
    np.testing.assert_allclose(drift[:2], 0.0)
    np.testing.assert_allclose(drift[2:], np.broadcast_to(3 * kinetic / np.abs(energy), (3, 3)))
    momentum = functools.partial(total_momentum, dim=2)
    p0 = total_momentum(initial_states, dim=2)
    absolute = quantity_drift(trajectory, momentum, relative=False)
    np.testing.assert_allclose(absolute[-1], np.linalg.norm(p0, axis=-1))
    np.testing.assert_allclose(quantity_drift(trajectory, momentum)[-1], 1.0)
    shifted = trajectory.copy()
    shifted[..., 0] += 3.0
    np.testing.assert_allclose(trajectory_rmse(shifted, trajectory, columns=[0, 1]), np.sqrt(4.5))


def test_rollout_with_network_and_equations(fitted, initial_states):
    trajectory = rollout(fitted, initial_states, 20, DT)
    assert trajectory.shape == (21, 3, 4, 6) and np.all(np.isfinite(trajectory))
    np.testing.assert_array_equal(trajectory[0], initial_states)
    # the direct module path gives what predict gives
    euler = rollout(fitted, initial_states, 1, DT, integrator="euler")
    v1 = initial_states[..., 2:4] + DT * fitted.predict(initial_states)
    np.testing.assert_allclose(euler[1, ..., 2:4], v1, rtol=1e-5, atol=1e-6)
    # hand-written spring equations as a SymbolicGraphModel
    names = ["x", "y", "vx", "vy", "q", "m"]
    variables = ["dx", "dy", "r", "vx_i", "vx_j", "vy_i", "vy_j", "q_i", "q_j", "m_i", "m_j"]
    dx, dy, r = sympy.symbols("dx dy r")
    law = 2 * (r + 0.01 - 1) / r
    edges = [Equation(f"phi{k + 1}", variables, [9], [0.0], [law * d])
             for k, d in enumerate((dx, dy))]
    node_vars = ["phi1", "phi2", *names]
    phi1, phi2, m = sympy.symbols("phi1 phi2 m")
    nodes = [Equation(t, node_vars, [3], [0.0], [p / m]) for t, p in (("ax", phi1), ("ay", phi2))]
    equations = SymbolicGraphModel(edges, nodes, names, [0, 1], fitted.graph_, (2,))
    np.testing.assert_allclose(rollout(equations, initial_states, 20, DT, integrator="rk4"),
                               integrate_nbody("spring", initial_states, 20, dim=2, dt=DT),
                               atol=1e-10)


def test_tailoring_reduces_the_noether_loss(fitted, initial_states):
    energy = energy_function("spring", dim=2)
    mode = fitted.torch_module().training
    plain = rollout(fitted, initial_states, 30, DT)
    tailored, info = rollout(fitted, initial_states, 30, DT, conserved=energy, tailor_steps=3,
                             tailor_window=10, return_info=True)
    loss = info["noether_loss"]
    assert loss.shape == (3, 4, 3)
    # every window ends at most at its plain loss, and tailoring lowers it overall
    assert np.all(loss.min(axis=1) <= loss[:, 0])
    assert loss.min(axis=1).sum() < 0.5 * loss[:, 0].sum()
    # the first window starts from the same state as the plain rollout
    first = rollout(fitted, initial_states, 10, DT)
    g0, g_plain = energy(initial_states), energy(first[1:])
    np.testing.assert_allclose(loss[0, 0], ((g_plain - g0) ** 2).sum(axis=(0, 2)), rtol=1e-4)
    drift = functools.partial(quantity_drift, quantity=energy)
    assert drift(tailored).mean() < drift(plain).mean()
    assert fitted.torch_module().training is mode  # left in the mode it was in


def test_bad_inputs(fitted, initial_states):
    energy = energy_function("spring", dim=2)
    with pytest.raises(NotFittedError):
        rollout(SymbolicGNRegressor(), initial_states, 5, DT)
    with pytest.raises(NotFittedError):
        rollout(SymbolicGNRegressor(predict_with="equations"), initial_states, 5, DT)
    with pytest.raises(TypeError, match="predict"):
        rollout(object(), initial_states, 5, DT)
    with pytest.raises(ValueError, match="X0 must have shape"):
        rollout(fitted, initial_states[0], 5, DT)
    with pytest.raises(ValueError, match="features per body"):
        rollout(fitted, initial_states[..., :5], 5, DT)
    with pytest.raises(ValueError, match="NaN"):
        rollout(fitted, np.full_like(initial_states, np.nan), 5, DT)
    with pytest.raises(ValueError, match="n_steps"):
        rollout(fitted, initial_states, -1, DT)
    with pytest.raises(ValueError, match="dt"):
        rollout(fitted, initial_states, 5, 0.0)
    with pytest.raises(ValueError, match="integrator"):
        rollout(fitted, initial_states, 5, DT, integrator="verlet")
    with pytest.raises(TypeError, match="conserved"):
        rollout(fitted, initial_states, 5, DT, conserved=3.0)
    with pytest.raises(ValueError, match="conserved"):
        rollout(fitted, initial_states, 5, DT, tailor_steps=2)
    with pytest.raises(ValueError, match="tailor_window"):
        rollout(fitted, initial_states, 5, DT, conserved=energy, tailor_steps=1, tailor_window=0)
    with pytest.raises(ValueError, match="tailor_lr"):
        rollout(fitted, initial_states, 5, DT, conserved=energy, tailor_steps=1, tailor_lr=-1)
    with pytest.raises(ValueError, match="differentiable network"):
        rollout(TrueSpring(), initial_states, 5, DT, conserved=energy, tailor_steps=1, **POS)
    with pytest.raises(ValueError, match="velocity_columns"):
        rollout(fitted, initial_states, 5, DT, velocity_columns=[0, 1])
    with pytest.raises(ValueError, match="position_columns"):
        rollout(fitted, initial_states, 5, DT, position_columns=[0, 9])

    class NoColumns:
        def predict(self, X):
            return X[..., :2]

    for model in (NoColumns(), TrueSpring()):  # an attribute of another object is not read
        with pytest.raises(ValueError, match="position_columns is required"):
            rollout(model, initial_states, 5, DT)
    with pytest.raises(ValueError, match="predicted shape"):
        rollout(NoColumns(), initial_states, 5, DT, position_columns=[0, 1, 2],
                velocity_columns=[3, 4, 5])
    with pytest.raises(ValueError, match="trajectory must have shape"):
        quantity_drift(initial_states, energy)
    with pytest.raises(TypeError, match="quantity"):
        quantity_drift(initial_states[None], "energy")
    with pytest.raises(ValueError, match="same shape"):
        trajectory_rmse(initial_states[None], initial_states[None, :2])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"dt": 0.0}, ValueError, "'dt' parameter"),
        ({"dt": np.inf}, ValueError, "'dt' parameter"),
        ({"dt": np.nan}, ValueError, "'dt' parameter"),
        ({"n_steps": 1.5}, TypeError, "'n_steps' parameter.*not a bool"),
        ({"n_steps": True}, TypeError, "'n_steps' parameter.*not a bool"),
        ({"integrator": "rk5"}, ValueError, "'integrator' parameter.*Did you mean 'rk4'"),
        ({"conserved": 42}, TypeError, "'conserved' parameter.*callable"),
        ({"tailor_steps": False}, TypeError, "'tailor_steps' parameter"),
        ({"tailor_window": 2.0}, TypeError, "'tailor_window' parameter"),
        ({"tailor_lr": np.inf}, ValueError, "'tailor_lr' parameter"),
        ({"return_info": "yes"}, ValueError, "'return_info' parameter"),
        ({"position_columns": 0}, ValueError, "'position_columns' parameter"),
        ({"position_columns": [0.0, 1.0]}, ValueError, "position_columns must hold distinct"),
        ({"position_columns": [True, 1]}, ValueError, "position_columns must hold distinct"),
        ({"position_columns": [0, 0]}, ValueError, "position_columns must hold distinct"),
        ({"position_columns": [0, 6]}, ValueError, "position_columns must hold distinct"),
        ({"position_columns": []}, ValueError, "position_columns must hold at least one"),
        ({"velocity_columns": [2]}, ValueError, "velocity_columns \\[2\\] must be as many"),
    ],
)
def test_rollout_arguments_are_validated(initial_states, kwargs, error, match):
    arguments = {"model": TrueSpring(), "X0": initial_states, "n_steps": 3, "dt": DT, **POS,
                 **kwargs}
    with pytest.raises(error, match=match):
        rollout(**arguments)


# ------------------------------------------------------------------------------ integrators
def _oscillator(X):
    """``a = -x`` for states ``[x, v]`` (a unit-mass, unit-stiffness spring)."""
    return -X[..., :1]


def _hand_rk4(state, dt, derivative):
    """The classical RK4 step on the full state, as the simulator wrote it before."""
    k1 = derivative(state)
    k2 = derivative(state + 0.5 * dt * k1)
    k3 = derivative(state + 0.5 * dt * k2)
    k4 = derivative(state + dt * k3)
    return state + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)


def test_rk4_step_is_the_hand_written_rk4_bit_for_bit():
    """Two bodies on a spring (2-D): the module's RK4 step is the textbook one, same rounding."""
    X = np.random.default_rng(0).normal(size=(50, 2, 6))  # 50 two-body systems
    X[..., -1] = np.exp(X[..., -1])

    def accel(Z):
        return pairwise_forces("spring", Z, dim=2).sum(-2) / Z[..., -1:]

    def derivative(Z):
        dZ = np.zeros_like(Z)
        dZ[..., :2], dZ[..., 2:4] = Z[..., 2:4], accel(Z)
        return dZ

    expected = X
    for _ in range(5):
        expected = _hand_rk4(expected, DT, derivative)
    columns = {"position_columns": [0, 1], "velocity_columns": [2, 3]}
    one = step(accel, X, DT, **columns)
    np.testing.assert_array_equal(one, _hand_rk4(X, DT, derivative))
    trajectory = integrate(accel, X, 5, DT, **columns)
    np.testing.assert_array_equal(trajectory[-1], expected)
    np.testing.assert_array_equal(trajectory[0], X)
    # integrate_nbody is this integration of the true law
    np.testing.assert_array_equal(integrate_nbody("spring", X, 5, dim=2, dt=DT), trajectory)


def test_euler_and_leapfrog_steps_by_hand():
    X, dt = np.array([1.0, 0.5, 7.0]), 0.1  # [x, v, an unused column]
    v1 = 0.5 - dt * 1.0
    euler = step(_oscillator, X, dt, position_columns=[0], method="euler")
    np.testing.assert_allclose(euler, [1.0 + dt * v1, v1, 7.0], rtol=1e-15)
    v_half = 0.5 - 0.5 * dt * 1.0
    x1 = 1.0 + dt * v_half
    leapfrog = step(_oscillator, X, dt, position_columns=[0], method="leapfrog")
    np.testing.assert_allclose(leapfrog, [x1, v_half - 0.5 * dt * x1, 7.0], rtol=1e-15)
    # leapfrog reuses the acceleration of the previous step: one call per step
    calls = []

    def counted(Z):
        calls.append(1)
        return _oscillator(Z)

    integrate(counted, X, 10, dt, position_columns=[0], method="leapfrog")
    assert len(calls) == 11


@pytest.mark.parametrize("method, order", [("euler", 1), ("leapfrog", 2), ("rk4", 4)])
def test_integrators_converge_at_their_order(method, order):
    X0 = np.array([1.0, 0.0])
    errors = []
    for n in (20, 40):
        end = integrate(_oscillator, X0, n, 1.0 / n, position_columns=[0], method=method)[-1]
        errors.append(np.abs(end - [np.cos(1.0), -np.sin(1.0)]).max())
    assert 0.8 * order < np.log2(errors[0] / errors[1]) < 1.3 * order


@pytest.mark.parametrize("method", INTEGRATORS)
def test_torch_states_give_the_numpy_trajectory_and_gradients(method):
    X0 = np.array([[1.0, 0.0, 2.0], [0.3, -0.4, 1.0]])
    expected = integrate(_oscillator, X0, 50, 0.02, position_columns=[0], method=method,
                         sample_every=10)
    assert expected.shape == (6, 2, 3)
    X = torch.tensor(X0, requires_grad=True)
    trajectory = integrate(_oscillator, X, 50, 0.02, position_columns=[0], method=method,
                           sample_every=10)
    assert isinstance(trajectory, torch.Tensor)
    np.testing.assert_allclose(trajectory.detach().numpy(), expected, rtol=1e-14, atol=1e-15)
    trajectory[-1, :, 0].sum().backward()  # d x(t) / d x(0), ~cos t for the oscillator
    shift = np.array([[1e-3, 0.0, 0.0]])
    ends = [integrate(_oscillator, X0 + sign * shift, 50, 0.02, position_columns=[0],
                      method=method)[-1, :, 0] for sign in (1, -1)]
    np.testing.assert_allclose(X.grad[:, 0].numpy(), (ends[0] - ends[1]) / 2e-3, rtol=1e-9)
    np.testing.assert_allclose(X.grad[:, 0].numpy(), np.cos(1.0), rtol=0.02)
    np.testing.assert_array_equal(X.grad[:, 2].numpy(), 0.0)  # other columns are carried


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"dt": 0}, ValueError, "'dt' parameter of integrate"),
        ({"dt": float("inf")}, ValueError, "'dt' parameter of integrate"),
        ({"n_steps": 1.5}, TypeError, "'n_steps' parameter of integrate"),
        ({"n_steps": True}, TypeError, "'n_steps' parameter of integrate"),
        ({"n_steps": -1}, ValueError, "'n_steps' parameter of integrate"),
        ({"sample_every": 0}, ValueError, "'sample_every' parameter of integrate"),
        ({"method": "rk5"}, ValueError, "'method' parameter of integrate.*Did you mean 'rk4'"),
        ({"accel": 42}, TypeError, "'accel' parameter of integrate.*callable"),
        ({"X0": 1.0}, ValueError, "'X0' parameter of integrate"),
        ({"position_columns": [2]}, ValueError, "position_columns must hold distinct"),
        ({"velocity_columns": [0]}, ValueError, "must be as many as, and disjoint from"),
    ],
)
def test_integrate_arguments_are_validated(kwargs, error, match):
    arguments = {"accel": _oscillator, "X0": np.array([1.0, 0.0]), "n_steps": 2, "dt": 0.1,
                 "position_columns": [0], **kwargs}
    with pytest.raises(error, match=match):
        integrate(**arguments)
    if "n_steps" not in kwargs and "sample_every" not in kwargs:
        arguments["X"] = arguments.pop("X0")
        del arguments["n_steps"]
        match = match.replace("'X0'", "'X'").replace("of integrate", "of step")
        with pytest.raises(error, match=match):
            step(**arguments)


def test_bench_rollout_quick(capsys):
    main = benchmark_main("bench_rollout")
    rows = main(["--quick"])
    assert [row["model"] for row in rows][:2] == ["true law (integrator only)", "network"]
    assert rows[0]["rmse"][100] < 1e-3
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert table[0].startswith("| model | time s | ΔE mean |") and table[0].endswith("RMSE@100 |")
    assert len(table) == 2 + len(rows)
    assert all(line.count("|") == table[0].count("|") for line in table)
    assert "Noether loss per window" in out


def test_bench_distilled_energy_is_the_spring_energy_up_to_a_constant(initial_states):
    """The benchmark's energy read off (hand-written) distilled spring equations."""
    from types import SimpleNamespace

    distilled_energy = benchmark_main("bench_rollout").__globals__["distilled_energy"]
    r, m_j, m, phi1, phi2 = sympy.symbols("r m_j m phi1 phi2")
    radial = Equation("g", ["r", "m_j"], [5], [0.0], [-(1e-4 * m_j + 0.0278 * r * (r - 1)) / r])
    nodes = [Equation(f"a{k}", ["phi1", "phi2", "m"], [3], [0.0], [1e-3 - 72 * p / m])
             for k, p in (("x", phi1), ("y", phi2))]
    model = SimpleNamespace(message_form_="central", radial_equation_=radial,
                            node_equations_=nodes, feature_names_=["x", "y", "vx", "vy", "q", "m"])
    energy, how = distilled_energy(model)
    assert "log(r)" in how
    X = torch.tensor(initial_states, requires_grad=True)
    learned = energy(X)[:, 0]
    learned.sum().backward()
    offset = nbody_energy("spring", initial_states, dim=2) - learned.detach().numpy()
    np.testing.assert_allclose(offset, offset[0], atol=0.05)  # U = (r - 1)^2 up to 6 constants
    assert torch.isfinite(X.grad).all()
    assert distilled_energy(SimpleNamespace(message_form_="raw"))[0] is None
