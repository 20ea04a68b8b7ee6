"""Sweep training recipes and measure how clean the learned messages are.

For each (law, configuration) it trains :class:`~sklearn_symgn.SymbolicGNRegressor` on simulated
2-D data and records the test R² of the accelerations, the message-force R² of the top ``dim``
message components (against ``F`` and ``F / m_i``) and the share of message variance they carry.
Runs several configurations in parallel processes; writes one JSON line per run.

Usage::

    python benchmarks/tune_messages.py --laws spring r2 charge --grid l1_strength=0.3,1,3 \
        max_epochs=30,100 receiver_columns=all,q --jobs 4 --out results.jsonl
"""

import argparse
import itertools
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor

from _cli import parse_value


def _parse_grid(items):
    grid = {}
    for item in items:
        key, values = item.split("=", 1)
        grid[key] = [parse_value(v) for v in values.split(",")]
    return grid


def run_one(args):
    law, params, n_samples, dim, device, threads = args
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    from sklearn_symgn import SymbolicGNRegressor
    from sklearn_symgn.datasets import make_nbody
    from sklearn_symgn.metrics import message_force_r2

    X, y, F, names = make_nbody(law, n_samples=n_samples, dim=dim, random_state=0,
                                return_forces=True, return_feature_names=True)
    n = int(0.75 * len(X))
    kwargs = dict(params)
    receivers = kwargs.pop("receiver_columns", "all")
    if receivers != "all":  # names of receiver features the edge model sees, '+'-separated
        kwargs["receiver_columns"] = [names.index(c) for c in str(receivers).split("+") if c]
    if "hidden" in kwargs:
        width = kwargs.pop("hidden")
        kwargs["hidden_layer_sizes"] = (width,) * kwargs.pop("depth", 3)
    model = SymbolicGNRegressor(feature_names=names, random_state=0, device=device, **kwargs)
    start = time.perf_counter()
    model.fit(X[:n], y[:n])
    seconds = time.perf_counter() - start
    r2 = model.score(X[n:], y[n:])
    msg = message_force_r2(model, X[n:], F[n:])
    edges = model.edge_messages(X[n:], max_edges=20_000, random_state=0)
    var = edges.messages.var(axis=0)
    share = float(np.sort(var)[::-1][:dim].sum() / var.sum())
    # the same fit on the bulk of the edges (|F| below its 95th percentile): 1/r^2 laws have tails
    from sklearn_symgn.metrics import linear_fit_r2

    top = edges.messages[:, edges.ranked_components()[0][:dim]]
    f = F[n:][edges.graph, edges.receiver, edges.sender]
    bulk = np.linalg.norm(f, axis=1) <= np.percentile(np.linalg.norm(f, axis=1), 95)
    mass = edges.x_receiver[:, -1:].astype(float)
    bulk_r2 = max(linear_fit_r2(f[bulk], top[bulk]), linear_fit_r2((f / mass)[bulk], top[bulk]))
    return {"law": law, "dim": dim, "params": params, "test_r2": round(float(r2), 4),
            "msg_r2_F": round(msg["force"], 4), "msg_r2_F_over_m": round(msg["force_over_mass"], 4),
            "top_share": round(share, 4), "msg_r2_bulk": round(bulk_r2, 4), "train_s": round(seconds, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laws", nargs="+", default=["spring"])
    parser.add_argument("--dim", type=int, default=2)
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--grid", nargs="*", default=[], help="key=v1,v2 ...")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    grid = _parse_grid(args.grid)
    keys = list(grid)
    tasks = [(law, dict(zip(keys, combo)), args.n_samples, args.dim, args.device, args.threads)
             for law in args.laws for combo in itertools.product(*grid.values())]
    out = open(args.out, "a") if args.out else None
    with ProcessPoolExecutor(args.jobs) as pool:
        for result in pool.map(run_one, tasks):
            line = json.dumps(result)
            print(line, flush=True)
            if out:
                out.write(line + "\n")
                out.flush()
    if out:
        out.close()


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
