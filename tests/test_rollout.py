"""Rollouts, drift measures and Noether tailoring (sklearn_symgn.rollout)."""

import functools

import numpy as np
import pytest
import sympy
import torch
from sklearn.exceptions import NotFittedError

from sklearn_symgn import SymbolicGNRegressor
from sklearn_symgn.datasets import integrate_nbody, make_nbody, nbody_energy, pairwise_forces
from sklearn_symgn.distill import SymbolicGraphModel
from sklearn_symgn.rollout import (
    energy_function,
    quantity_drift,
    rollout,
    total_momentum,
    trajectory_rmse,
)
from sklearn_symgn.symbolic import Equation

from .conftest import TINY
from .test_benchmarks import benchmark_main

DT = 0.01


class TrueSpring:
    """A perfect "model": the simulator's accelerations behind ``predict``."""

    position_columns = [0, 1]

    def predict(self, X):
        return pairwise_forces("spring", X, dim=2).sum(-2) / X[..., -1:]


@pytest.fixture(scope="module")
def initial_states():
    return make_nbody("spring", n_samples=3, n_steps=1, random_state=1)[0]


@pytest.fixture(scope="module")
def fitted(spring_data):
    X, y, _, names = spring_data
    return SymbolicGNRegressor(feature_names=names, **TINY).fit(X, y)


def test_true_law_reproduces_the_simulator(initial_states):
    reference = integrate_nbody("spring", initial_states, 100, dim=2, dt=DT)
    rk4 = rollout(TrueSpring(), initial_states, 100, DT, integrator="rk4")
    assert rk4.shape == (101, 3, 4, 6)
    np.testing.assert_allclose(rk4, reference, atol=1e-10)
    leapfrog = rollout(TrueSpring(), initial_states, 100, DT)
    assert trajectory_rmse(leapfrog, reference, columns=[0, 1])[-1] < 1e-3
    # charge and mass are carried unchanged; leapfrog keeps the energy to ~1e-3
    np.testing.assert_array_equal(leapfrog[..., 4:], np.broadcast_to(initial_states[..., 4:],
                                                                     leapfrog[..., 4:].shape))
    assert quantity_drift(leapfrog, energy_function("spring", dim=2)).max() < 5e-3
    euler = rollout(TrueSpring(), initial_states, 100, DT, integrator="euler")
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


def test_energy_function_matches_numpy_and_is_differentiable(initial_states):
    for law in ("spring", "r1", "r2", "charge", "discontinuous"):
        energy = energy_function(law, dim=2)
        X = torch.tensor(initial_states, requires_grad=True)
        value = energy(X)
        np.testing.assert_allclose(value.detach().numpy()[:, 0],
                                   nbody_energy(law, initial_states, dim=2), rtol=1e-12)
        value.sum().backward()
        assert torch.isfinite(X.grad).all()


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
    mode = fitted.net_.module_.training
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
    assert fitted.net_.module_.training is mode  # left in the mode it was in


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
        rollout(TrueSpring(), initial_states, 5, DT, conserved=energy, tailor_steps=1)
    with pytest.raises(ValueError, match="velocity_columns"):
        rollout(fitted, initial_states, 5, DT, velocity_columns=[0, 1])
    with pytest.raises(ValueError, match="position_columns"):
        rollout(fitted, initial_states, 5, DT, position_columns=[0, 9])

    class NoColumns:
        def predict(self, X):
            return X[..., :2]

    with pytest.raises(ValueError, match="position_columns is required"):
        rollout(NoColumns(), initial_states, 5, DT)
    with pytest.raises(ValueError, match="predicted shape"):
        rollout(NoColumns(), initial_states, 5, DT, position_columns=[0, 1, 2],
                velocity_columns=[3, 4, 5])
    with pytest.raises(ValueError, match="trajectory must have shape"):
        quantity_drift(initial_states, energy)
    with pytest.raises(TypeError, match="quantity"):
        quantity_drift(initial_states[None], "energy")
    with pytest.raises(ValueError, match="same shape"):
        trajectory_rmse(initial_states[None], initial_states[None, :2])
    with pytest.raises(ValueError, match="Unknown law"):
        energy_function("gravity", dim=2)


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
