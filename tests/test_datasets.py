import numpy as np
import pytest

from sklearn_symgn.datasets import NBODY_LAWS, make_nbody, nbody_feature_names, pairwise_forces


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
        ({"law": "spring", "dim": 4}, "dim"),
        ({"law": "spring", "n_samples": 0}, "n_samples"),
        ({"law": "spring", "n_bodies": 1}, "n_bodies"),
        ({"law": "spring", "dt": -0.1}, "dt"),
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
    from sklearn_symgn.datasets import integrate_nbody, nbody_energy

    X, _ = make_nbody(law, n_samples=2, n_steps=10, min_distance=0.3, random_state=1)
    trajectory = integrate_nbody(law, X, 200, dim=2)
    assert trajectory.shape == (201, *X.shape)
    np.testing.assert_array_equal(trajectory[0], X)
    energy = nbody_energy(law, trajectory, dim=2)
    assert np.abs(energy - energy[0]).max() < 1e-3 * (1 + np.abs(energy[0]).max())


@pytest.mark.parametrize("law", ["spring", "r1", "r2", "charge", "discontinuous"])
def test_pair_potential_gradient_is_the_force(law):
    from sklearn_symgn.datasets import pair_potential
    from sklearn_symgn.datasets._nbody import SOFTENING, _force_magnitude

    r, h = np.linspace(0.3, 3.0, 7), 1e-6
    dU = (pair_potential(law, r + h, 2, 3, 1, -1) - pair_potential(law, r - h, 2, 3, 1, -1)) / (2 * h)
    np.testing.assert_allclose(dU, _force_magnitude(law, r + SOFTENING, 2, 3, 1, -1), atol=1e-4)


def test_energy_and_integrator_reject_bad_states():
    from sklearn_symgn.datasets import integrate_nbody, nbody_energy

    with pytest.raises(ValueError, match="shape"):
        nbody_energy("spring", np.zeros((3, 4, 5)), dim=2)
    with pytest.raises(ValueError, match="NaN"):
        integrate_nbody("spring", np.full((1, 2, 6), np.nan), 3, dim=2)
    with pytest.raises(ValueError, match="law must be one of"):
        integrate_nbody("gravity", np.zeros((1, 2, 6)), 3, dim=2)
