import numpy as np
import pytest
import torch

from sklearn_symgn.datasets import (
    NBODY_LAWS,
    energy_function,
    integrate_nbody,
    make_nbody,
    nbody_energy,
    nbody_feature_names,
    pair_potential,
    pairwise_forces,
    total_momentum,
)


@pytest.mark.parametrize("law", sorted(NBODY_LAWS))
@pytest.mark.parametrize("dim", [2, 3])
def test_shapes_and_newtons_third_law(law, dim):
    X, y, F, names = make_nbody(law, n_samples=30, n_bodies=5, dim=dim, n_steps=20,
                                random_state=1, return_forces=True, return_feature_names=True)
    assert X.shape == (30, 5, 2 * dim + 2) and y.shape == (30, 5, dim)
    assert F.shape == (30, 5, 5, dim) and len(names) == 2 * dim + 2
    assert np.isfinite(X).all() and np.isfinite(y).all()
    np.testing.assert_allclose(F, -F.transpose(0, 2, 1, 3), atol=1e-9)  # action = reaction
    assert np.all(F[:, np.arange(5), np.arange(5)] == 0)
    assert np.all(X[..., -1] > 0)  # masses
    if law != "damped":  # accelerations are the summed pair forces over the mass
        np.testing.assert_allclose(y, F.sum(axis=2) / X[..., -1:], rtol=1e-9, atol=1e-9)


def test_potentials_by_finite_differences():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1, 2, 6))
    X[..., -1] = np.exp(X[..., -1])
    X[..., 4] = [1.0, -1.0]
    potentials = {
        "spring": lambda r, q, m: (r + 0.01 - 1) ** 2,
        "r1": lambda r, q, m: m[0] * m[1] * np.log(r + 0.01),
        "r2": lambda r, q, m: -m[0] * m[1] / (r + 0.01),
        "charge": lambda r, q, m: q[0] * q[1] / (r + 0.01),
    }
    for law, U in potentials.items():
        F = pairwise_forces(law, X, dim=2)[0, 0, 1]  # force on body 0 from body 1
        grad = np.zeros(2)
        for a in range(2):
            h = np.zeros_like(X)
            h[0, 0, a] = 1e-6
            r_plus = np.linalg.norm((X + h)[0, 0, :2] - X[0, 1, :2])
            r_minus = np.linalg.norm((X - h)[0, 0, :2] - X[0, 1, :2])
            grad[a] = (U(r_plus, X[0, :, 4], X[0, :, 5]) - U(r_minus, X[0, :, 4], X[0, :, 5])) / 2e-6
        np.testing.assert_allclose(F, -grad, rtol=1e-5, err_msg=law)


def test_charge_is_sign_and_discontinuous_cutoff():
    X, _, F = make_nbody("charge", n_samples=50, random_state=0, return_forces=True)
    assert set(np.unique(X[..., 4])) <= {-1.0, 1.0}
    X, _, F = make_nbody("discontinuous", n_samples=200, random_state=0, return_forces=True)
    delta = X[:, None, :, :2] - X[:, :, None, :2]
    r = np.linalg.norm(delta, axis=-1)
    close = (r + 0.01 < 2) & (r > 0)
    assert close.any() and np.all(F[close] == 0)


def test_integration_conserves_energy():
    X, _ = make_nbody("spring", n_samples=100, n_bodies=3, n_steps=100, sample_every=1, random_state=3)
    traj = X[:100]
    kinetic = 0.5 * (traj[..., -1] * np.sum(traj[..., 2:4] ** 2, -1)).sum(-1)
    d = np.linalg.norm(traj[:, :, None, :2] - traj[:, None, :, :2], axis=-1)
    iu = np.triu_indices(3, 1)
    potential = ((d[:, iu[0], iu[1]] + 0.01 - 1) ** 2).sum(-1)
    energy = kinetic + potential
    assert np.ptp(energy) < 1e-6 * np.abs(energy).mean()


def test_damped_loses_energy_and_reproducible():
    X1, y1 = make_nbody("damped", n_samples=20, random_state=5)
    X2, y2 = make_nbody("damped", n_samples=20, random_state=5)
    np.testing.assert_array_equal(X1, X2)
    speed = np.sum(X1[..., 2:4] ** 2, axis=(-1, -2))
    assert speed[-1] < speed[0]


def test_feature_names():
    assert nbody_feature_names(3) == ["x", "y", "z", "vx", "vy", "vz", "q", "m"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"law": "gravity"}, "law"),
        ({"law": "sprng"}, "'law' parameter of make_nbody.*Did you mean 'spring'"),
        ({"law": "spring", "dim": 4}, "dim"),
        ({"law": "spring", "dim": 2.0}, "'dim' parameter"),
        ({"law": "spring", "n_samples": 0}, "n_samples"),
        ({"law": "spring", "n_samples": True}, "'n_samples' parameter.*not a bool"),
        ({"law": "spring", "n_bodies": 1}, "n_bodies"),
        ({"law": "spring", "n_steps": 10.0}, "'n_steps' parameter"),
        ({"law": "spring", "sample_every": 0}, "'sample_every' parameter"),
        ({"law": "spring", "dt": -0.1}, "dt"),
        ({"law": "spring", "dt": np.inf}, "'dt' parameter"),
        ({"law": "spring", "damping": -1.0}, "'damping' parameter"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_nbody(**kwargs)


def test_min_distance_drops_close_encounters_and_tops_up():
    X, y = make_nbody("r2", n_samples=500, n_steps=50, min_distance=0.5, random_state=0)
    assert X.shape == (500, 4, 6) and np.all(np.isfinite(y))
    r = np.linalg.norm(X[:, :, None, :2] - X[:, None, :, :2], axis=-1) + 1e9 * np.eye(4)
    assert r.min() >= 0.5
    X_all, _ = make_nbody("r2", n_samples=500, n_steps=50, random_state=0)
    r_all = np.linalg.norm(X_all[:, :, None, :2] - X_all[:, None, :, :2], axis=-1) + 1e9 * np.eye(4)
    assert r_all.min() < 0.5  # without the option close encounters are kept
    with pytest.raises(ValueError, match="min_distance=100"):
        make_nbody("spring", n_samples=50, min_distance=100, random_state=0)
    with pytest.raises(ValueError, match="min_distance"):
        make_nbody("spring", n_samples=50, min_distance=-1)


@pytest.mark.parametrize("law", ["spring", "r1", "r2", "charge"])
def test_integrate_nbody_conserves_energy(law):
    X, _ = make_nbody(law, n_samples=2, n_steps=10, min_distance=0.3, random_state=1)
    trajectory = integrate_nbody(law, X, 200, dim=2)
    assert trajectory.shape == (201, *X.shape)
    np.testing.assert_array_equal(trajectory[0], X)
    energy = nbody_energy(law, trajectory, dim=2)
    assert np.abs(energy - energy[0]).max() < 1e-3 * (1 + np.abs(energy[0]).max())


@pytest.mark.parametrize("law", ["spring", "r1", "r2", "charge", "discontinuous"])
def test_pair_potential_gradient_is_the_force(law):
    from sklearn_symgn.datasets._nbody import SOFTENING, _force_magnitude

    r, h = np.linspace(0.3, 3.0, 7), 1e-6
    dU = (pair_potential(law, r + h, 2, 3, 1, -1) - pair_potential(law, r - h, 2, 3, 1, -1)) / (2 * h)
    np.testing.assert_allclose(dU, _force_magnitude(law, r + SOFTENING, 2, 3, 1, -1), atol=1e-4)


def test_energy_and_integrator_reject_bad_states():
    with pytest.raises(ValueError, match="shape"):
        nbody_energy("spring", np.zeros((3, 4, 5)), dim=2)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., n_bodies, 6\)"):
        nbody_energy("spring", torch.zeros(3, 4, 5), dim=2)
    with pytest.raises(ValueError, match="NaN"):
        integrate_nbody("spring", np.full((1, 2, 6), np.nan), 3, dim=2)
    with pytest.raises(ValueError, match="'law' parameter of integrate_nbody must be one of"):
        integrate_nbody("gravity", np.zeros((1, 2, 6)), 3, dim=2)


X2 = np.zeros((1, 2, 6))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: integrate_nbody("spring", X2, 1.5, dim=2), TypeError, "'n_steps' parameter"),
        (lambda: integrate_nbody("spring", X2, True, dim=2), TypeError, "'n_steps' parameter"),
        (lambda: integrate_nbody("spring", X2, 3, dim=2, dt=np.inf), ValueError, "'dt' parameter"),
        (lambda: integrate_nbody("spring", X2, 3, dim=2, damping=-1), ValueError, "'damping'"),
        (lambda: integrate_nbody("spring", X2, 3, dim=1), ValueError, "'dim' parameter"),
        (lambda: integrate_nbody("spring", "X", 3, dim=2), ValueError, "'X0' parameter"),
        (lambda: pairwise_forces("sprin", X2, dim=2), ValueError, "Did you mean 'spring'"),
        (lambda: pairwise_forces("spring", X2, dim=True), TypeError, "'dim' parameter"),
        (lambda: pair_potential(3, 1.0), TypeError, "'law' parameter of pair_potential must be"),
        (lambda: pair_potential("spring", "far"), ValueError, "'r' parameter"),
        (lambda: pair_potential("r2", 1.0, m_i=None), ValueError, "'m_i' parameter"),
        (lambda: nbody_feature_names(4), ValueError, "'dim' parameter"),
        (lambda: nbody_energy("r3", X2, dim=2), ValueError, "Did you mean 'r2'"),
        (lambda: nbody_energy("spring", X2, dim=3), ValueError, r"n_bodies, 8\)"),
        (lambda: total_momentum(X2, dim=0), ValueError, "'dim' parameter"),
        (lambda: total_momentum(X2, dim=3), ValueError, r"n_bodies, 8\)"),
        (lambda: energy_function("gravity", dim=2), ValueError, "'law' parameter"),
        (lambda: energy_function("spring", dim=2.0), TypeError, "'dim' parameter"),
    ],
)
def test_functions_validate_their_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------------------- quantities
@pytest.mark.parametrize("law", sorted(NBODY_LAWS))
@pytest.mark.parametrize("dim", [2, 3])
def test_energy_and_momentum_are_the_same_for_torch_and_numpy(law, dim):
    X = make_nbody(law, n_samples=4, n_bodies=3, dim=dim, n_steps=2, random_state=2)[0]
    energy = energy_function(law, dim=dim)
    tensor = torch.tensor(X, requires_grad=True)
    value = energy(tensor)
    assert isinstance(value, torch.Tensor) and value.shape == (4, 1)
    np.testing.assert_allclose(value.detach().numpy()[:, 0], nbody_energy(law, X, dim=dim),
                               rtol=1e-12)
    np.testing.assert_array_equal(energy(X)[:, 0], nbody_energy(law, X, dim=dim))
    # the graph is kept: dE/dx_i is minus the total pair force on i, dE/dv_i is m_i v_i
    value.sum().backward()
    pos, vel, mass = slice(0, dim), slice(dim, 2 * dim), X[..., -1:]
    np.testing.assert_allclose(tensor.grad[..., pos].numpy(),
                               -pairwise_forces(law, X, dim=dim).sum(axis=-2), rtol=1e-7,
                               atol=1e-9)
    np.testing.assert_allclose(tensor.grad[..., vel].numpy(), mass * X[..., vel], rtol=1e-12)
    assert np.all(np.isfinite(tensor.grad[..., 2 * dim :].numpy()))
    momentum = torch.tensor(X, requires_grad=True)
    p = total_momentum(momentum, dim=dim)
    np.testing.assert_allclose(p.detach().numpy(), total_momentum(X, dim=dim), rtol=1e-12)
    np.testing.assert_allclose(total_momentum(X, dim=dim), (mass * X[..., vel]).sum(-2))
    p.sum().backward()
    np.testing.assert_array_equal(momentum.grad[..., vel].numpy(),
                                  np.broadcast_to(mass, X[..., vel].shape))


# -------------------------------------------------------------------------- bit-identical data
def _hand_written_make_nbody(law, n_traj, dim, n_steps, sample_every, dt, damping, seed):
    """The simulator as it was written before it used ``sklearn_symgn.integrators``."""
    rng = np.random.RandomState(seed)
    state = rng.normal(size=(n_traj, 3, 2 * dim + 2))
    state[..., -1] = np.exp(state[..., -1])
    if law == "charge":
        state[..., 2 * dim] = np.sign(state[..., 2 * dim])
        state[state[..., 2 * dim] == 0, 2 * dim] = 1.0

    def accelerations(X):
        forces = pairwise_forces(law, X, dim=dim).sum(axis=-2)
        if law == "damped":
            forces = forces - damping * X[..., dim : 2 * dim]
        return forces / X[..., 2 * dim + 1, None]

    def derivative(X):
        dX = np.zeros_like(X)
        dX[..., :dim] = X[..., dim : 2 * dim]
        dX[..., dim : 2 * dim] = accelerations(X)
        return dX

    snapshots = []
    for step in range(n_steps):
        if step % sample_every == 0:
            snapshots.append(state)
        k1 = derivative(state)
        k2 = derivative(state + 0.5 * dt * k1)
        k3 = derivative(state + 0.5 * dt * k2)
        k4 = derivative(state + dt * k3)
        state = state + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    X = np.stack(snapshots).transpose(1, 0, 2, 3).reshape(-1, 3, 2 * dim + 2)
    return X, accelerations(X)


@pytest.mark.parametrize("law, dim", [("spring", 2), ("damped", 3), ("charge", 2), ("r1", 3)])
def test_make_nbody_is_the_hand_written_rk4_bit_for_bit(law, dim):
    # 3 trajectories of 30 steps, every 3rd state kept: 30 snapshots
    X, y = make_nbody(law, n_samples=30, n_bodies=3, dim=dim, n_steps=30, sample_every=3,
                      dt=0.01, damping=0.7, random_state=4)
    X_ref, y_ref = _hand_written_make_nbody(law, 3, dim, 30, 3, 0.01, 0.7, 4)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
    X_steps = _hand_written_make_nbody(law, 2, dim, 5, 1, 0.01, 0.7, 4)[0].reshape(2, 5, 3, -1)
    np.testing.assert_array_equal(
        integrate_nbody(law, X_steps[:, 0], 4, dim=dim, dt=0.01, damping=0.7),
        X_steps.transpose(1, 0, 2, 3),
    )


def test_from_ase_reads_frames_and_refuses_what_it_cannot_read():
    """ASE frames become [x, y, z, vx, vy, vz, m] arrays with the calculator's forces (or
    accelerations), periodic ones with their box; slabs, skewed cells, frames without forces
    and mixed sizes are refused."""
    ase = pytest.importorskip("ase")
    from ase.calculators.lj import LennardJones

    from sklearn_symgn.datasets import from_ase

    def dimer(distance, **kwargs):
        atoms = ase.Atoms("Ar2", positions=[[0, 0, 0], [0, 0, distance]], **kwargs)
        atoms.set_velocities([[0.1, 0, 0], [0, 0.2, 0]])
        atoms.calc = LennardJones(rc=10.0)
        return atoms

    X, y, names = from_ase([dimer(1.2), dimer(1.5)])
    assert X.shape == (2, 2, 7) and y.shape == (2, 2, 3) and names[-1] == "m"
    np.testing.assert_allclose(X[1, 1, :3], [0, 0, 1.5])
    np.testing.assert_allclose(X[0, 1, 3:6], [0, 0.2, 0])
    lj = 24 * (2 / 1.2**13 - 1 / 1.2**7)  # force on atom 1 along +z (repulsive if > 0)
    np.testing.assert_allclose(y[0, 1], [0, 0, lj], atol=1e-10)
    accelerations = from_ase([dimer(1.2)], targets="accelerations")[1]
    np.testing.assert_allclose(accelerations[0], y[0] / X[0, :, -1:])
    assert from_ase([dimer(1.2)], return_box=True)[3] is None
    # across the wall: 1.2 apart as minimum images (ASE's periodic LJ forces agree)
    crossing = dimer(1.2, cell=[5, 6, 7], pbc=True)
    crossing.positions = [[0, 0, 0.3], [0, 0, 6.1]]
    Xp, yp, _, box = from_ase([crossing], return_box=True)
    np.testing.assert_allclose(box, [5, 6, 7])
    np.testing.assert_allclose(yp[0, 0], [0, 0, lj], rtol=1e-4, atol=1e-8)  # far images: 1e-5
    with pytest.raises(ValueError, match="periodic along all three axes or none"):
        from_ase([dimer(1.2, cell=[5, 5, 5], pbc=[True, True, False])])
    with pytest.raises(ValueError, match="orthorhombic"):
        from_ase([dimer(1.2, cell=[[5, 0, 0], [1, 5, 0], [0, 0, 5]], pbc=True)])
    bare = dimer(1.2)
    bare.calc = None
    with pytest.raises(ValueError, match="every frame needs forces"):
        from_ase([bare])
    with pytest.raises(ValueError, match="same, non-zero number of atoms"):
        from_ase([dimer(1.2), ase.Atoms("Ar3", positions=np.eye(3))])
    with pytest.raises(TypeError, match="frames must be an ase.Atoms"):
        from_ase([np.zeros((2, 3))])
    with pytest.raises(ValueError, match="targets"):
        from_ase([dimer(1.2)], targets="energies")
