"""NRI-style systems (Kipf et al. 2018) fed as lists of ``Data`` graphs, at the defaults.

Two simulators of that kind, written here (not the library's):

* ``springs``: 5 particles in a reflecting box (half-width 5), each trajectory with its own random
  spring graph (each pair joined with probability 1/2), zero rest length:
  ``a_i = -0.1 Σ_{j ~ i} (x_i - x_j)``. Each snapshot is a ``Data`` whose ``edge_index`` is the
  trajectory's spring graph (both directions); features ``[x, y, vx, vy]`` (unit masses, none
  given).
* ``charged``: 5 particles with charges ±1, no spring graph (``edge_index`` joins every pair),
  ``a_i = Σ_j q_i q_j (x_i - x_j) / r³``; the dynamics clip accelerations at 0.1 as the NRI code
  clips forces, the targets are the exact law. Snapshots whose closest pair is nearer than 0.5 are
  left out of training (the data recipe of the singular laws of ``reproduce_nbody.py``); the
  check uses fresh snapshots down to 0.2.

The estimator is ``SymbolicGNRegressor(feature_names=..., position_columns=...)`` with
everything else at its defaults. Recorded per system: the network's test R², the composed law,
the exact-form check of its pair term against the true law, the R² of the composed law on fresh
trajectories (in range, and with positions spread 2x), and the times.

Usage::

    python benchmarks/reproduce_nri.py --out benchmarks/results/nri
    python benchmarks/reproduce_nri.py --quick --out /tmp/nri
"""

import argparse
import time
from pathlib import Path

import numpy as np
from _cli import fitted, record_row
from _exact import check_pair_law

N_BODIES, BOX, DT, SAMPLE_EVERY = 5, 5.0, 0.01, 10
LAWS = {
    "springs": {"names": ["x", "y", "vx", "vy"], "shapes": ["dx"], "strength": 0.1},
    "charged": {"names": ["x", "y", "vx", "vy", "q"], "shapes": ["dx*q_i*q_j/r**3"],
                "strength": 1.0, "min_distance": 0.5},
}


def accelerations(law, state, adjacency, clip=None):
    """Exact accelerations ``(..., n, 2)`` of states ``(..., n, F)``; ``adjacency (..., n, n)``."""
    pos = state[..., :2]
    delta = pos[..., :, None, :] - pos[..., None, :, :]  # x_i - x_j
    if law == "springs":
        pair = -LAWS[law]["strength"] * delta
    else:
        r = np.linalg.norm(delta, axis=-1, keepdims=True)
        r = np.where(r == 0, np.inf, r)
        q = state[..., 4]
        pair = LAWS[law]["strength"] * (q[..., :, None] * q[..., None, :])[..., None] * delta / r**3
    acc = np.sum(pair * adjacency[..., None], axis=-2)
    return acc if clip is None else np.clip(acc, -clip, clip)


def simulate(law, n_traj, n_snapshots, rng):
    """Snapshots ``(n_traj, n_snapshots, n, F)``, adjacencies ``(n_traj, n, n)``."""
    n = N_BODIES
    state = np.zeros((n_traj, n, len(LAWS[law]["names"])))
    state[..., :2] = rng.normal(scale=0.5 if law == "springs" else 1.0, size=(n_traj, n, 2))
    vel = rng.normal(size=(n_traj, n, 2))
    state[..., 2:4] = 0.5 * vel / np.linalg.norm(vel, axis=-1, keepdims=True)
    if law == "springs":
        upper = np.triu(rng.random((n_traj, n, n)) < 0.5, 1)
        adjacency = (upper | upper.transpose(0, 2, 1)).astype(float)
    else:
        state[..., 4] = rng.choice([-1.0, 1.0], size=(n_traj, n))
        adjacency = np.broadcast_to(1.0 - np.eye(n), (n_traj, n, n)).copy()
    clip = None if law == "springs" else 0.1
    out = np.empty((n_traj, n_snapshots) + state.shape[1:])
    for k in range(n_snapshots * SAMPLE_EVERY):
        if k % SAMPLE_EVERY == 0:
            out[:, k // SAMPLE_EVERY] = state
        # leapfrog (kick-drift) as the NRI code, with reflecting walls
        state[..., 2:4] += DT * accelerations(law, state, adjacency, clip)
        state[..., :2] += DT * state[..., 2:4]
        over = np.abs(state[..., :2]) > BOX
        state[..., :2] = np.where(over, np.sign(state[..., :2]) * 2 * BOX - state[..., :2],
                                  state[..., :2])
        state[..., 2:4] = np.where(over, -state[..., 2:4], state[..., 2:4])
    return out, adjacency


def to_graphs(law, snapshots, adjacency, min_distance=None, spread=1.0):
    """``Data`` graphs (features, spring/complete ``edge_index``, exact accelerations ``y``)."""
    import torch
    from torch_geometric.data import Data

    graphs = []
    for traj, adj in zip(snapshots, adjacency):
        edge_index = torch.as_tensor(np.array(np.nonzero(adj.T)), dtype=torch.long)  # j -> i
        for state in traj:
            state = state.copy()
            state[:, :2] *= spread
            pos = state[:, :2]
            r = np.linalg.norm(pos[:, None] - pos[None], axis=-1) + np.eye(len(pos)) * 1e9
            if min_distance is not None and r.min() < min_distance:
                continue
            y = accelerations(law, state, adj)
            graphs.append(Data(x=torch.as_tensor(state, dtype=torch.float32),
                               edge_index=edge_index,
                               y=torch.as_tensor(y, dtype=torch.float32)))
    return graphs


def edge_rows(graphs):
    """Receiver and sender features of every edge of ``graphs``."""
    receivers, senders = [], []
    for g in graphs:
        x = g.x.double().numpy()
        j, i = g.edge_index.numpy()
        receivers.append(x[i])
        senders.append(x[j])
    return np.concatenate(receivers), np.concatenate(senders)


def run_system(law, *, n_traj, n_snapshots, seed, quick, load_model=None):
    from sklearn.metrics import r2_score

    from sklearn_symgn import SymbolicGNRegressor

    spec = LAWS[law]
    rng = np.random.default_rng(seed)
    snapshots, adjacency = simulate(law, n_traj, n_snapshots, rng)
    graphs = to_graphs(law, snapshots, adjacency, spec.get("min_distance"))
    n_train = int(0.8 * len(graphs))
    train, test = graphs[:n_train], graphs[n_train:]
    params = {"max_epochs": 2, "hidden_layer_sizes": (32, 32)} if quick else {}
    model = SymbolicGNRegressor(feature_names=spec["names"], position_columns=["x", "y"],
                                random_state=seed, **params)
    row = {"law": law, "seed": seed, "n_train_graphs": n_train}
    model, row["train_s"] = fitted(model, (train,), load_model)
    row["test_r2"] = model.score(test)
    start = time.perf_counter()
    model.distill(train)
    row["distill_s"] = time.perf_counter() - start
    row["composed_law"] = str(model.composed_law_)
    row["edge_equations"] = [str(eq) for eq in model.edge_equations_]
    row["node_equations"] = [str(eq) for eq in model.node_equations_]
    receivers, senders = edge_rows(train[:4000])
    target = _pair_target(law, receivers, senders)
    row.update(check_pair_law(model, receivers, senders, target, spec["shapes"], spec["names"]))
    fresh, fresh_adj = simulate(law, max(20, n_traj // 5), n_snapshots,
                                np.random.default_rng(seed + 1))
    for key, spread in (("in_range", 1.0), ("spread", 2.0)):
        new = to_graphs(law, fresh, fresh_adj, None if law == "springs" else 0.2, spread)
        y_new = np.concatenate([g.y.double().numpy() for g in new])
        row[f"fresh_r2_{key}_equations"] = r2_score(y_new, model.composed_law_.predict(new))
        row[f"fresh_r2_{key}_network"] = r2_score(y_new, model.predict(new))
    row["recovered_exact"] = bool(row["exact_form"]) and min(
        row["fresh_r2_in_range_equations"], row["fresh_r2_spread_equations"]) >= 0.99
    row["model"] = model
    return row


def _pair_target(law, receivers, senders):
    """The true x-acceleration of each receiver caused by its sender."""
    delta = receivers[:, 0] - senders[:, 0]
    if law == "springs":
        return -LAWS[law]["strength"] * delta
    r = np.linalg.norm(receivers[:, :2] - senders[:, :2], axis=1)
    return LAWS[law]["strength"] * receivers[:, 4] * senders[:, 4] * delta / r**3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laws", nargs="+", default=list(LAWS), choices=list(LAWS))
    parser.add_argument("--n-trajectories", type=int, default=600)
    parser.add_argument("--n-snapshots", type=int, default=10,
                        help="snapshots per trajectory (every 10 steps of 0.01)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for smoke tests")
    parser.add_argument("--load-models", metavar="DIR",
                        help="skip training: load DIR/<system>.joblib (from --save-models) "
                             "and distil and score it again on the same data")
    parser.add_argument("--save-models", action="store_true",
                        help="pickle every fitted model to models/<system>.joblib under --out")
    parser.add_argument("--out", default="benchmarks/results/nri")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_trajectories, args.n_snapshots = 20, 5
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with open(out / "results.jsonl", "a") as log:
        for law in args.laws:
            row = run_system(law, n_traj=args.n_trajectories, n_snapshots=args.n_snapshots,
                             seed=args.seed, quick=args.quick,
                             load_model=args.load_models and Path(args.load_models)
                             / f"{law}.joblib")
            rows.append(record_row(row, log, out / "models" / f"{law}.joblib"
                                   if args.save_models else None))
            print(f"{law} seed {args.seed}: test R² {row['test_r2']:.4f}, exact "
                  f"{row['exact_form']}, fresh R² {row['fresh_r2_in_range_equations']:.4f} / "
                  f"{row['fresh_r2_spread_equations']:.4f}, {row['train_s']:.0f} s + "
                  f"{row['distill_s']:.0f} s\n  {row['composed_law']}", flush=True)
    return rows


if __name__ == "__main__":
    main()
