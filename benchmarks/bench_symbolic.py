"""Symbolic-regression engines on the same recorded messages: time to reach the law.

Trains :class:`~sklearn_symgn.SymbolicGNRegressor` (L1 messages) on a simulated 2-D system,
records its messages on training edges, aligns them (``sklearn_symgn.distillation.central``) and takes the
radial profile ``g`` that ``distill()`` would fit. Each engine then searches ``g`` as a function of
the same edge variables, on the same 5,000 rows, with a growing budget; a budget *reaches the law*
when its expression, evaluated on fresh pairs (positions spread 2x), is linear in the true radial
force with R² ≥ 0.99. Engines:

* Operon (the default backend): ``max_time`` 1, 2, 4, 8, 16 s;
* gplearn 0.4.3 (``pip install gplearn``; benchmark only): ``generations`` 5, 10, 20, 40, 80,
  population 2,000, parsimony 1e-4, its protected operators ``add, sub, mul, div``, on the
  standardised profile (it has no linear scaling of its own; on the raw profile, of scale 0.01,
  the parsimony term wins and it returns constants).

Both use ``--threads`` threads/processes. Prints, per engine, the first budget that reaches the
law, its wall time and expression, and the ratio of the times.

Usage: ``python benchmarks/bench_symbolic.py [--law spring] [--threads 2] [--quick]``
"""

import argparse
import time

import numpy as np
from reproduce_nbody import DATA_RECIPES, RECOVERY_MIN_DISTANCE


def recorded_profile(law, n_samples, max_epochs, seed=0):
    """Train, record messages, align them; return fit rows, fresh rows and their true profile."""
    from sklearn_symgn import SymbolicGNRegressor
    from sklearn_symgn.datasets import make_nbody, pairwise_forces
    from sklearn_symgn.distillation.central import (
        central_alignment,
        radial_profile,
        unit_directions,
    )
    from sklearn_symgn.distillation.variables import edge_variables

    X, y, names = make_nbody(law, n_samples=n_samples, n_steps=50, random_state=seed,
                             return_feature_names=True, **DATA_RECIPES.get(law, {}))
    model = SymbolicGNRegressor(feature_names=names, receiver_columns=[names.index("q")],
                                max_epochs=max_epochs, random_state=seed,
                                l1_strength=1.0,  # the recipe of the recorded figures
                                ).fit(X, y)
    edges = model.edge_messages(X, max_edges=5000, random_state=seed)
    messages = edges.messages[:, edges.ranked_components()[0][:2]]
    table, variables = edge_variables(edges.x_receiver, edges.x_sender, [0, 1], names)
    rows, u = unit_directions(table, np.arange(len(table)), 2)
    transform, residual = central_alignment(messages[rows], u)
    rows, profile = radial_profile(messages @ transform.T, table, rows, 2)

    X_new, _ = make_nbody(law, n_samples=500, n_steps=50, random_state=seed + 1,
                          min_distance=RECOVERY_MIN_DISTANCE)
    X_new[250:, :, :2] *= 2.0
    F_new = pairwise_forces(law, X_new, dim=2)
    s, i, j = np.nonzero(~np.eye(X_new.shape[1], dtype=bool)[None].repeat(len(X_new), 0))
    fresh, _ = edge_variables(X_new[s, i], X_new[s, j], [0, 1], names)
    true_radial = np.sum(F_new[s, i, j] * fresh[:, :2] / fresh[:, 2:3], axis=1)
    if law in ("r1", "r2"):  # the edge model does not see m_i: its messages are F / m_i
        true_radial = true_radial / X_new[s, i, -1]
    return (table[rows, 2:], profile, variables[2:]), (fresh[:, 2:], true_radial), residual


def reaches_law(predict, fresh, truth):
    from sklearn_symgn.metrics import linear_fit_r2

    pred = np.asarray(predict(fresh), dtype=np.float64)
    if not np.all(np.isfinite(pred)) or np.std(pred) == 0:
        return 0.0
    return linear_fit_r2(truth[:, None], pred[:, None])


def run_operon(fit, fresh, truth, budgets, threads, seed):
    from sklearn_symgn.symbolic import OperonBackend

    X, y, names = fit
    for budget in budgets:
        start = time.perf_counter()
        eq = OperonBackend(max_time=budget, n_jobs=threads, random_state=seed).fit(
            X, y, names, target_name="g").equation_
        seconds = time.perf_counter() - start
        r2 = reaches_law(eq, fresh, truth)
        print(f"  operon  max_time={budget:>3} s: {seconds:6.1f} s, R² {r2:.4f}  {eq}", flush=True)
        if r2 >= 0.99:
            return seconds, str(eq)
    return None, None


def run_gplearn(fit, fresh, truth, budgets, threads, seed):
    from gplearn.genetic import SymbolicRegressor

    X, y, _ = fit
    y = (y - y.mean()) / y.std()  # gplearn has no linear scaling: give it a unit-scale target
    for budget in budgets:
        start = time.perf_counter()
        engine = SymbolicRegressor(population_size=2000, generations=budget, tournament_size=20,
                                   function_set=("add", "sub", "mul", "div"),
                                   parsimony_coefficient=1e-4, n_jobs=threads,
                                   random_state=seed).fit(X, y)
        seconds = time.perf_counter() - start
        r2 = reaches_law(engine.predict, fresh, truth)
        print(f"  gplearn generations={budget:>3}: {seconds:6.1f} s, R² {r2:.4f}  "
              f"{engine._program}", flush=True)
        if r2 >= 0.99:
            return seconds, str(engine._program)
    return None, None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--law", default="spring", choices=["spring", "r1", "r2", "charge"])
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for smoke tests")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    operon_budgets, gplearn_budgets = [1, 2, 4, 8, 16], [5, 10, 20, 40, 80]
    if args.quick:
        args.n_samples, args.max_epochs = 400, 2
        operon_budgets, gplearn_budgets = [1], [1]
    start = time.perf_counter()
    fit, (fresh, truth), residual = recorded_profile(args.law, args.n_samples, args.max_epochs,
                                                     args.seed)
    print(f"{args.law}: messages recorded and aligned in {time.perf_counter() - start:.0f} s "
          f"(alignment residual {residual:.3f}); {len(fit[0])} rows, variables {fit[2]}")
    results = {"operon": run_operon(fit, fresh, truth, operon_budgets, args.threads, args.seed)}
    try:
        results["gplearn"] = run_gplearn(fit, fresh, truth, gplearn_budgets, args.threads,
                                         args.seed)
    except ImportError:
        print("  gplearn is not installed (pip install gplearn): skipped")
    for name, (seconds, expr) in results.items():
        print(f"{name:>8}: " + (f"reached the law in {seconds:.1f} s: {expr}" if seconds
                                else "did not reach the law within its largest budget"))
    if all(r[0] for r in results.values()) and "gplearn" in results:
        print(f"Operon reached the law {results['gplearn'][0] / results['operon'][0]:.1f}x "
              "faster than gplearn")
    return results


if __name__ == "__main__":
    main()
