"""Time to law: simulate, fit and distil each N-body system, recipes side by side.

For every (law, dim, strategy) and every recipe, one fresh Python process simulates the data,
trains :class:`~sklearn_symgn.SymbolicGNRegressor`, distils it and checks the law with the
criteria of ``reproduce_nbody.py`` (``recovered_exact``: the composed pair force has the true
terms, constants within 2 %, nothing else above 0.5 %, and gives the true forces on fresh
pairs). It records the wall time of each phase, their sum (``total_s``, the time to law) and
the process's peak resident memory. Recipes run one after the other on the same system, so
their ratios are measured under the same load; run the script alone, with
``OMP_NUM_THREADS`` set.

Recipes (``RECIPES``): ``default`` is the benchmark's (40,000 snapshots, 30,000 for training,
the estimator's defaults); ``fast`` is a smaller one (fewer snapshots, narrower networks,
fewer optimiser steps). The evaluation of the law on fresh data is not timed.

Usage::

    python benchmarks/bench_time_to_law.py --laws spring r2 --dims 2 --strategies l1
    python benchmarks/bench_time_to_law.py --recipes fast --out /tmp/ttl   # one recipe
    python benchmarks/bench_time_to_law.py --quick --laws spring --dims 2  # smoke test

Writes ``results.jsonl`` (one object per system and recipe) and ``table.md`` under ``--out``.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Training recipes: snapshots simulated (three quarters train), epochs, estimator parameters.
RECIPES = {
    "default": {"n_samples": 40_000, "max_epochs": "auto", "params": {}},
    "fast": {"n_samples": 16_000, "max_epochs": 40,
             "params": {"hidden_layer_sizes": (64, 64, 64), "batch_size": 64}},
}
#: Smoke-test sizes (``--quick``): the pipeline runs, nothing is recovered.
QUICK = {"n_samples": 400, "max_epochs": 2, "params": {"hidden_layer_sizes": (16, 16)}}


def run_one(law, dim, strategy, recipe, seed):
    """Simulate, fit and distil one system with one recipe in this process; return its row."""
    from reproduce_nbody import DATA_RECIPES, run_system

    from sklearn_symgn.datasets import make_nbody

    spec = QUICK if recipe == "quick" else RECIPES[recipe]
    start = time.perf_counter()  # the simulation, timed on its own (run_system repeats it)
    make_nbody(law, n_samples=spec["n_samples"], dim=dim, n_steps=50, random_state=seed,
               **DATA_RECIPES.get(law, {}))
    simulate_s = time.perf_counter() - start
    row = run_system(law, dim, strategy, n_samples=spec["n_samples"],
                     max_epochs=spec["max_epochs"], n_steps=50, quick=recipe == "quick",
                     seed=seed, overrides=dict(spec["params"]))
    row.update(recipe=recipe, simulate_s=simulate_s,
               total_s=simulate_s + row["train_s"] + row["distill_s"],
               peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               cpu_threads=int(os.environ.get("OMP_NUM_THREADS", "0")) or None)
    return row


def _in_subprocess(law, dim, strategy, recipe, seed):
    """:func:`run_one` in a fresh process (its own peak memory); the row, or the error."""
    command = [sys.executable, __file__, "--one", law, str(dim), strategy, recipe, str(seed)]
    out = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"law": law, "dim": dim, "strategy": strategy, "recipe": recipe, "seed": seed,
                "error": out.stderr[-2000:]}
    return json.loads(lines[-1])


def markdown_table(rows):
    """One line per system and recipe: times, memory, verdict and law."""
    lines = ["| system | strategy | recipe | simulate s | train s | distil s | total s | peak MiB "
             "| message R² | law recovered | composed law (x) |", "|" + "---|" * 11]
    for r in rows:
        name = f"{r['law']}-{r['dim']}"
        if "error" in r:
            lines.append(f"| {name} | {r['strategy']} | {r['recipe']} | error |" + " |" * 7)
            continue
        law = r["composed_law"].split("\n")[0].replace("|", "\\|")
        verdict = "yes" if r["recovered_exact"] else "no"
        lines.append(
            f"| {name} | {r['strategy']} | {r['recipe']} | {r['simulate_s']:.1f} "
            f"| {r['train_s']:.0f} | {r['distill_s']:.1f} | {r['total_s']:.0f} "
            f"| {r['peak_mib']:.0f} | {r['message_r2']:.3f} | {verdict} | `{law}` |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    from reproduce_nbody import LAWS

    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--laws", nargs="+", default=list(LAWS), choices=LAWS)
    parser.add_argument("--dims", nargs="+", type=int, default=[2, 3], choices=[2, 3])
    parser.add_argument("--strategies", nargs="+", default=["l1", "bottleneck"],
                        choices=["l1", "bottleneck"])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for smoke tests")
    parser.add_argument("--out", default="benchmarks/results/time_to_law")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    recipes = ["quick"] if args.quick else args.recipes
    rows = []
    with open(out / "results.jsonl", "a") as log:
        for law in args.laws:
            for dim in args.dims:
                for strategy in args.strategies:
                    for recipe in recipes:
                        row = _in_subprocess(law, dim, strategy, recipe, args.seed)
                        rows.append(row)
                        log.write(json.dumps(row) + "\n")
                        log.flush()
                        print(markdown_table([row]).splitlines()[-1], flush=True)
    (out / "table.md").write_text(markdown_table(rows))
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        law, dim, strategy, recipe, seed = sys.argv[2:7]
        print(json.dumps(run_one(law, int(dim), strategy, recipe, int(seed))))
    else:
        main()
