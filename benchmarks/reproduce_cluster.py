"""A 3-D cluster with an exponential pair law, from molecular-dynamics snapshots, at the defaults.

The issue's test of "physics by default": a small cluster of atoms bound by a smooth pair law
the library's simulator does not know, simulated here with velocity Verlet (the library's
leapfrog integrator, kick-drift-kick), its centre of mass at the origin, then given to
``SymbolicGNRegressor(feature_names=..., position_columns=...)`` with nothing else set.

The law (unit masses, so forces are accelerations)::

    F_ij = A (r0 - r) exp(-kappa r) (x_i - x_j) / r,   A = 20, r0 = 1, kappa = 2,

repulsive below ``r0``, attractive beyond it, the potential
``V(r) = (A / kappa) (r - r0 + 1 / kappa) exp(-kappa r)`` (a well of depth 0.68 at ``r = 1``).
Six atoms start on a jittered octahedron of edge 1 with velocities of standard deviation
0.1 to 0.5 (one per trajectory, total momentum zero) and are integrated with ``dt = 0.005``;
a snapshot every 50 steps, 40 per trajectory.

Recorded: the composed law and its pair force; R² of that pair force (in physical units, no
fitted map) against the true pair forces on fresh snapshots in three states: as simulated
(``in_range``), compressed to 0.8 of their size (``denser``, pairs closer than in training)
and spread to 1.6 (``spread``, pairs beyond the training distances) and on pairs from 2.1 to
4 alone (``beyond``); its relative error (root-mean-square deviation over the root mean
square of the true force, in range); the fitted constants ``A``, ``r0``, ``kappa`` of the
true form fitted to the recovered profile; whether the node law reads absolute positions;
the network's and the equations' R² on the fresh accelerations; times.

Usage::

    python benchmarks/reproduce_cluster.py --out benchmarks/results/cluster
    python benchmarks/reproduce_cluster.py --quick --out /tmp/cluster
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _cli import parse_assignments, record_row

A, R0, KAPPA = 20.0, 1.0, 2.0
N_ATOMS, DT, SAMPLE_EVERY, PER_TRAJECTORY = 6, 0.005, 50, 40
FEATURES = ["x", "y", "z", "vx", "vy", "vz"]
STATES = {"in_range": 1.0, "denser": 0.8, "spread": 1.6}
#: Pairs beyond this distance are "beyond the training distances" (the training pairs reach
#: 2.1 at their 99.9th percentile).
BEYOND = 2.1


def pair_forces(X):
    """``F[..., i, j, :]``: force of atom ``j`` on atom ``i``."""
    pos = X[..., :3]
    delta = pos[..., :, None, :] - pos[..., None, :, :]
    other = ~np.eye(pos.shape[-2], dtype=bool)[..., None]
    r = np.where(other, np.linalg.norm(delta, axis=-1, keepdims=True), 1.0)
    return other * A * (R0 - r) * np.exp(-KAPPA * r) * delta / r


def accelerations(X):
    return pair_forces(X).sum(axis=-2)


def simulate(n_samples, rng):
    """Snapshots ``(n_samples, 6, 6)`` = ``[pos, vel]`` of thermalised clusters, centre of mass
    at the origin and at rest."""
    from sklearn_symgn.integrators import integrate

    n_traj = -(-n_samples // PER_TRAJECTORY)
    octahedron = np.vstack([np.eye(3), -np.eye(3)]) / np.sqrt(2)
    pos = octahedron[None] + 0.1 * rng.normal(size=(n_traj, N_ATOMS, 3))
    vel = rng.uniform(0.1, 0.5, size=(n_traj, 1, 1)) * rng.normal(size=(n_traj, N_ATOMS, 3))
    pos -= pos.mean(axis=1, keepdims=True)
    vel -= vel.mean(axis=1, keepdims=True)
    traj = integrate(accelerations, np.concatenate([pos, vel], axis=-1),
                     SAMPLE_EVERY * PER_TRAJECTORY, DT, position_columns=[0, 1, 2],
                     method="leapfrog", sample_every=SAMPLE_EVERY)
    X = traj[1:].transpose(1, 0, 2, 3).reshape(-1, N_ATOMS, 6)[:n_samples]
    return X, accelerations(X)


def pair_distances(X):
    pos = X[..., :3]
    r = np.linalg.norm(pos[:, :, None] - pos[:, None], axis=-1)
    return r[:, ~np.eye(X.shape[1], dtype=bool)]


def profile_constants(model):
    """``A``, ``r0``, ``kappa`` of ``A (r0 - r) exp(-kappa r)`` fitted to the recovered pair
    force's magnitude along the pair (``F . (x_i - x_j) / r``) on 0.5 <= r <= 3."""
    from scipy.optimize import curve_fit

    r = np.linspace(0.5, 3.0, 200)
    X = np.zeros((len(r), 2, 6))
    X[:, 0, 0] = r  # atom 0 at (r, 0, 0), atom 1 at the origin: dx = r
    found = recovered_pair_forces(model, X)[:, 0, 1, 0]  # force of 1 on 0, along x

    def form(r, a, r0, kappa):
        return a * (r0 - r) * np.exp(-kappa * r)

    (a, r0, kappa), *_ = curve_fit(form, r, found, p0=(A, R0, KAPPA), maxfev=20_000)
    return {"A": float(a), "r0": float(r0), "kappa": float(kappa)}


def recovered_pair_forces(model, X):
    """The composed law's pair force (``pair_force_``) on every ordered pair of ``X``, shaped
    like :func:`pair_forces` (zero on the diagonal)."""
    import sympy

    from sklearn_symgn.distillation.variables import edge_variables

    s, i, j = np.nonzero(~np.eye(X.shape[1], dtype=bool)[None].repeat(len(X), 0))
    table, names = edge_variables(X[s, i], X[s, j], [0, 1, 2], FEATURES)
    out = np.zeros(X.shape[:2] + X.shape[1:2] + (3,))
    for axis, expr in enumerate(model.pair_force_):
        values = sympy.lambdify(sympy.symbols(names), expr, "numpy")(*table.T)
        out[s, i, j, axis] = np.broadcast_to(values, len(s))
    return out


def relative_error(found, true):
    return float(np.sqrt(np.mean((found - true) ** 2)) / np.sqrt(np.mean(true**2)))


def r2(found, true):
    return float(1 - np.sum((found - true) ** 2) / np.sum((true - true.mean()) ** 2))


def evaluate_law(model, X_new):
    """R² and relative error of the recovered pair force in each state, and beyond range."""
    row = {}
    for state, scale in STATES.items():
        X = X_new.copy()
        X[..., :3] *= scale
        found, true = recovered_pair_forces(model, X), pair_forces(X)
        row[f"law_r2_{state}"] = r2(found, true)
        row[f"law_rel_error_{state}"] = relative_error(found, true)
        if state == "spread":
            r = np.linalg.norm(X[..., :3][:, :, None] - X[..., :3][:, None], axis=-1)
            far = (r > BEYOND) & (r <= 4.0)
            row["law_r2_beyond"] = r2(found[far], true[far])
            row["n_pairs_beyond"] = int(far.sum())
            row["acc_r2_spread_equations"] = model.symbolic_model_.score(X, accelerations(X))
            row["acc_r2_spread_network"] = model.score(X, accelerations(X))
    return row


def run(n_samples, seed, overrides, quick, load_model=None):
    import joblib

    from sklearn_symgn import MessageDistiller, SymbolicGNRegressor
    from sklearn_symgn.symbolic import OperonBackend

    rng = np.random.default_rng(seed)
    X, y = simulate(n_samples, rng)
    X_new, y_new = simulate(max(500, n_samples // 4), np.random.default_rng(seed + 1000))
    r = pair_distances(X)
    model = SymbolicGNRegressor(feature_names=FEATURES, position_columns=[0, 1, 2],
                                random_state=seed)
    if quick:
        fast = OperonBackend(generations=5, population_size=100, random_state=seed)
        model.set_params(max_epochs=3, hidden_layer_sizes=(32, 32),
                         distiller=MessageDistiller(backend=fast))
    model.set_params(**overrides)
    row = {"seed": seed, "n_samples": n_samples, **overrides,
           "train_distance_range": [float(r.min()), float(np.quantile(r, 0.999))],
           "com_max": float(np.abs(X[..., :3].mean(axis=1)).max())}
    if load_model is None:
        start = time.perf_counter()
        model.fit(X, y)
        row["train_s"] = time.perf_counter() - start
    else:  # re-distillation of a saved network (same data: same seed and size)
        model = joblib.load(load_model)
        row.update(loaded_from=str(load_model), train_s=float("nan"))
    row["max_epochs_used"] = model.max_epochs_
    start = time.perf_counter()
    model.distill(X, y)
    row["distill_s"] = time.perf_counter() - start
    row["composed_law"] = str(model.composed_law_)
    row["added_operators"] = list(model.added_operators_)
    row["pair_force"] = None if model.pair_force_ is None else str(model.pair_force_[0])
    symbols = set().union(*(e.free_symbols for e in model.composed_law_.sympy()))
    row["node_law_reads_positions"] = bool({str(s) for s in symbols} & {"x_i", "y_i", "z_i"})
    row["test_r2_network"] = model.score(X_new, y_new)
    row["test_r2_equations"] = model.symbolic_model_.score(X_new, y_new)
    if model.pair_force_ is not None:
        row.update(evaluate_law(model, X_new))
        row["constants"] = profile_constants(model)
    row["recovered"] = bool(model.pair_force_ is not None and min(
        row["law_r2_in_range"], row["law_r2_denser"], row["law_r2_spread"],
        row["law_r2_beyond"]) >= 0.99 and row["law_rel_error_in_range"] <= 0.02
        and not row["node_law_reads_positions"])
    row["model"] = model
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=4000)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--set", nargs="*", default=[], metavar="PARAM=VALUE",
                        help="estimator parameters other than the defaults")
    parser.add_argument("--save-models", action="store_true")
    parser.add_argument("--load-models", metavar="DIR",
                        help="re-distil the networks saved by --save-models (no training); "
                             "they are pickles: load only your own")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for smoke tests")
    parser.add_argument("--out", default="benchmarks/results/cluster")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples = 200
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with open(out / "results.jsonl", "a") as log:
        for seed in args.seeds:
            row = run(args.n_samples, seed, parse_assignments(args.set), args.quick,
                      load_model=(Path(args.load_models) / f"cluster-{seed}.joblib"
                                  if args.load_models else None))
            record_row(row, log, out / "models" / f"cluster-{seed}.joblib"
                       if args.save_models else None)
            rows.append(row)
            print(json.dumps(row, indent=1), flush=True)
    return rows


if __name__ == "__main__":
    main()
