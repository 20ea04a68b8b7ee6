"""Peak memory of distillation and of the equations' predictions on large graphs.

Each case runs in a fresh Python process and reports its peak resident memory above the
memory after imports and data (``ru_maxrss``), so cases do not inherit each other's peaks.
The network is a small one trained for one epoch and the symbolic search is tiny: what is
measured is the recording of messages, the edge tables and the evaluation of the equations,
which grow with the number of edges (2,000 graphs of 64 bodies: 8 million ordered pairs).

Usage::

    python benchmarks/bench_memory.py                      # 2,000 graphs of 64 bodies
    python benchmarks/bench_memory.py --n-graphs 200 --n-bodies 16
"""

import argparse
import json
import resource
import subprocess
import sys
import time

CASES = ("distill", "equations_predict", "network_predict")


def _peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_case(case, n_graphs, n_bodies):
    """Run one case in this process; return its figures."""

    from sklearn_symgn import MessageDistiller, SymbolicGNRegressor
    from sklearn_symgn.datasets import make_nbody
    from sklearn_symgn.symbolic import OperonBackend

    X, y = make_nbody("spring", n_samples=n_graphs, n_bodies=n_bodies, n_steps=10,
                      random_state=0)
    tiny = OperonBackend(generations=2, population_size=50, random_state=0)
    model = SymbolicGNRegressor(hidden_layer_sizes=(32, 32), max_epochs=1, batch_size=64,
                                random_state=0, distiller=MessageDistiller(backend=tiny))
    model.fit(X[:50], y[:50])
    if case != "distill":
        model.distill(X[:50], y[:50])
    base = _peak_mib()
    start = time.perf_counter()
    if case == "distill":
        model.distill(X, y)
    elif case == "equations_predict":
        model.symbolic_model_.predict(X)
    else:
        model.predict(X)
    return {"case": case, "n_graphs": n_graphs, "n_bodies": n_bodies,
            "n_edges": n_graphs * n_bodies * (n_bodies - 1),
            "seconds": time.perf_counter() - start, "peak_above_base_mib": _peak_mib() - base,
            "peak_mib": _peak_mib()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-graphs", type=int, default=2000)
    parser.add_argument("--n-bodies", type=int, default=64)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)  # one child process
    args = parser.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(args.case, args.n_graphs, args.n_bodies)))
        return None
    rows = []
    for case in CASES:
        out = subprocess.run([sys.executable, __file__, "--case", case, "--n-graphs",
                              str(args.n_graphs), "--n-bodies", str(args.n_bodies)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"{case:18} {rows[-1]['peak_above_base_mib']:8.0f} MiB above base "
              f"(peak {rows[-1]['peak_mib']:.0f} MiB), {rows[-1]['seconds']:.1f} s", flush=True)
    return rows


if __name__ == "__main__":
    main()
