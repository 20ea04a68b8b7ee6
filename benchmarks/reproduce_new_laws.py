"""Force laws that are not among the paper's 12, with log-normal masses, at the defaults.

Laws of this benchmark's own (the library's simulator does not know them):

* ``inverse-cube``: a repulsion independent of the masses, ``F_ij = 0.5 (x_i - x_j) / r⁴`` (a
  ``1/r³`` force), so ``a_i = Σ_j F_ij / m_i``;
* ``mass-spring``: springs of rest length 1.5 whose stiffness is the product of the masses,
  ``F_ij = -0.5 m_i m_j (r - 1.5) (x_i - x_j) / r``, so ``a_i`` does not depend on ``m_i``;
* ``soft-core``: a repulsion that stays finite at contact, ``F_ij = 2 (x_i - x_j) / (r² + 1)``,
  so ``a_i = Σ_j F_ij / m_i``.

Bodies start at ``N(0, 1)`` positions and velocities with masses ``exp(N(0, 1))`` and are integrated
with the library's fourth-order Runge-Kutta integrator (``dt = 0.005``, a snapshot every 5 steps,
10 per trajectory). Snapshots whose closest pair is nearer than 0.5 are left out of training (the
recipe of the singular laws in ``reproduce_nbody.py``). The estimator is
``SymbolicGNRegressor(feature_names=..., position_columns=...)``, nothing else set. Recorded:
the composed law, the exact-form check of its pair term, R² of the composed law on fresh
snapshots (down to 0.2 apart; in range and with positions spread 2x), the network's, and times.

Usage::

    python benchmarks/reproduce_new_laws.py --out benchmarks/results/new_laws
    python benchmarks/reproduce_new_laws.py --quick --out /tmp/new_laws
"""

import argparse
import time
from pathlib import Path

import numpy as np
from _cli import fitted, parse_assignments, record_row
from _exact import check_pair_law

LAWS = {
    "inverse-cube": ["dx/(m_i*r**4)"],
    "mass-spring": ["dx*m_j", "dx*m_j/r"],
    "soft-core": ["dx/(m_i*(r**2 + 1))"],
}
DT, SAMPLE_EVERY, MIN_DISTANCE = 0.005, 5, 0.5


def pair_accelerations(law, X, dim):
    """``A[..., i, j, :]``: the acceleration of body ``i`` caused by ``j``."""
    pos, mass = X[..., :dim], X[..., -1]
    delta = pos[..., :, None, :] - pos[..., None, :, :]  # x_i - x_j
    other = ~np.eye(pos.shape[-2], dtype=bool)[..., None]  # no self-interaction
    r = np.where(other, np.linalg.norm(delta, axis=-1, keepdims=True), 1.0)
    m_i, m_j = mass[..., :, None, None], mass[..., None, :, None]
    if law == "inverse-cube":
        return other * 0.5 * delta / r**4 / m_i
    if law == "soft-core":
        return other * 2.0 * delta / (r**2 + 1) / m_i
    return other * -0.5 * m_j * (r - 1.5) * delta / r


def accelerations(law, X, dim):
    return pair_accelerations(law, X, dim).sum(axis=-2)


def simulate(law, n_samples, dim, rng, spread=1.0, min_distance=MIN_DISTANCE):
    """Snapshots ``(n, 4, 2 dim + 1)`` = ``[pos, vel, m]`` whose closest pair is at least
    ``min_distance`` apart, and their accelerations."""
    from sklearn_symgn.integrators import integrate

    kept, per_traj = [], 10
    while sum(len(k) for k in kept) < n_samples:
        X0 = rng.normal(size=(n_samples // per_traj + 1, 4, 2 * dim + 1))
        X0[..., -1] = np.exp(X0[..., -1])
        traj = integrate(lambda X: accelerations(law, X, dim), X0, SAMPLE_EVERY * (per_traj - 1),
                         DT, position_columns=list(range(dim)), sample_every=SAMPLE_EVERY)
        snaps = traj.transpose(1, 0, 2, 3).reshape(-1, *X0.shape[1:])
        snaps[..., :dim] *= spread
        pos = snaps[..., :dim]
        dist = np.linalg.norm(pos[:, :, None] - pos[:, None], axis=-1) + 1e9 * np.eye(4)
        finite = np.all(np.isfinite(snaps.reshape(len(snaps), -1)), axis=1)
        kept.append(snaps[finite & (dist.min(axis=(1, 2)) >= min_distance)])
    X = np.concatenate(kept)[:n_samples]
    return X, accelerations(law, X, dim)


def run_system(law, dim, *, n_samples, seed, quick, overrides=None, load_model=None):
    from sklearn_symgn import SymbolicGNRegressor

    rng = np.random.default_rng(seed)
    X, y = simulate(law, n_samples, dim, rng)
    names = [*"xyz"[:dim], *(f"v{a}" for a in "xyz"[:dim]), "m"]
    n_train = int(0.8 * n_samples)
    params = {"max_epochs": 2, "hidden_layer_sizes": (32, 32)} if quick else {}
    model = SymbolicGNRegressor(feature_names=names, position_columns=list("xyz"[:dim]),
                                random_state=seed, **params, **(overrides or {}))
    row = {"law": law, "dim": dim, "seed": seed, "n_train": n_train, **(overrides or {})}
    model, row["train_s"] = fitted(model, (X[:n_train], y[:n_train]), load_model)
    row["test_r2"] = model.score(X[n_train:], y[n_train:])
    start = time.perf_counter()
    model.distill(X[:n_train], y[:n_train])
    row["distill_s"] = time.perf_counter() - start
    row["composed_law"] = str(model.composed_law_)
    row["edge_equations"] = [str(eq) for eq in model.edge_equations_]
    row["node_equations"] = [str(eq) for eq in model.node_equations_]
    k = min(n_train, 5000)
    s, i, j = np.nonzero(~np.eye(4, dtype=bool)[None].repeat(k, 0))
    target = pair_accelerations(law, X[:k], dim)[s, i, j, 0]
    row.update(check_pair_law(model, X[s, i], X[s, j], target, LAWS[law], names))
    fresh = np.random.default_rng(seed + 1)
    for key, spread in (("in_range", 1.0), ("spread", 2.0)):
        X_new, y_new = simulate(law, max(500, n_samples // 10), dim, fresh, spread, 0.2)
        row[f"fresh_r2_{key}_equations"] = model.composed_law_.score(X_new, y_new)
        row[f"fresh_r2_{key}_network"] = model.score(X_new, y_new)
    row["recovered_exact"] = bool(row["exact_form"]) and min(
        row["fresh_r2_in_range_equations"], row["fresh_r2_spread_equations"]) >= 0.99
    row["model"] = model
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laws", nargs="+", default=list(LAWS), choices=list(LAWS))
    parser.add_argument("--dims", nargs="+", type=int, default=[2], choices=[2, 3])
    parser.add_argument("--n-samples", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", nargs="*", default=[], metavar="PARAM=VALUE",
                        help="estimator parameters to override (not the defaults: diagnostics)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for smoke tests")
    parser.add_argument("--load-models", metavar="DIR",
                        help="skip training: load DIR/<system>.joblib (from --save-models) "
                             "and distil and score it again on the same data")
    parser.add_argument("--save-models", action="store_true",
                        help="pickle every fitted model to models/<system>.joblib under --out")
    parser.add_argument("--out", default="benchmarks/results/new_laws")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples = 200
    overrides = parse_assignments(args.set)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with open(out / "results.jsonl", "a") as log:
        for law in args.laws:
            for dim in args.dims:
                row = run_system(law, dim, n_samples=args.n_samples, seed=args.seed,
                                 quick=args.quick, overrides=overrides,
                                 load_model=args.load_models and Path(args.load_models)
                                 / f"{law}-{dim}.joblib")
                rows.append(record_row(row, log, out / "models" / f"{law}-{dim}.joblib"
                                       if args.save_models else None))
                print(f"{law}-{dim} seed {args.seed}: test R² {row['test_r2']:.4f}, exact "
                      f"{row['exact_form']}, fresh R² {row['fresh_r2_in_range_equations']:.4f}"
                      f" / {row['fresh_r2_spread_equations']:.4f}, {row['train_s']:.0f} s + "
                      f"{row['distill_s']:.0f} s\n  {row['composed_law']}", flush=True)
    return rows


if __name__ == "__main__":
    main()
