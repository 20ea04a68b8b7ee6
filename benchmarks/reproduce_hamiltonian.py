"""Reproduce the Hamiltonian variant: learn pair potentials from accelerations and distil them.

For each law this trains :class:`~sklearn_symgn.SymbolicHGNRegressor` on simulated 2-D 4-body
snapshots, distils the learned pair potential (``distill``: symbolic regression on ``dU/dr``,
integrated in ``r``) and records

* wall time of training and of distillation, and the network's test R² (accelerations);
* the distilled potential ``U(r, q_i, q_j, m_i, m_j)`` (SymPy and LaTeX);
* the R² of the distilled potential against the true ``pair_potential`` on every pair of
  *fresh* snapshots, after the best affine map (scale and additive constant) from the true to
  the distilled values (the squared correlation); half of the fresh snapshots have their
  positions spread 2x, so pairs reach beyond the largest training distance. Reported on all
  fresh pairs, on the unspread half, and on the pairs farther apart than any training pair.

Usage::

    python benchmarks/reproduce_hamiltonian.py                      # spring and r2, ~3 min
    python benchmarks/reproduce_hamiltonian.py --laws spring --quick

Prints a Markdown table, each potential in LaTeX and its Pareto front (the row chosen by the
``"best"`` rule marked ``*``), and writes the same report to ``--out`` if given.
"""

import argparse
import time
from pathlib import Path

import numpy as np

#: Per law: data recipe (r2 trains without close encounters, as in reproduce_nbody.py) and
#: the network's budget.
RECIPES = {
    "spring": {"data": {},
               "model": {"max_epochs": 15, "hidden_layer_sizes": (64, 64), "lr": 1e-2,
                         "batch_size": 64}},
    "r2": {"data": {"min_distance": 0.5},
           "model": {"max_epochs": 40, "hidden_layer_sizes": (64, 64), "lr": 1e-2,
                     "batch_size": 64}},
}


def pair_table(X):
    """Every unordered pair of every snapshot: columns ``r, q_i, q_j, m_i, m_j`` (2-D)."""
    i, j = np.triu_indices(X.shape[1], k=1)
    r = np.linalg.norm(X[:, j, :2] - X[:, i, :2], axis=-1)
    return np.column_stack([a.ravel() for a in (r, X[:, i, 4], X[:, j, 4], X[:, i, 5],
                                                 X[:, j, 5])])


def affine_r2(truth, distilled):
    """R² of the best affine map from the true to the distilled values, and its scale."""
    if len(truth) < 3 or np.std(distilled) == 0:
        return float("nan"), float("nan")
    scale = np.cov(truth, distilled)[0, 1] / np.var(truth, ddof=1)
    return float(np.corrcoef(truth, distilled)[0, 1] ** 2), float(scale)


def run_law(law, *, n_samples, seed, quick):
    from sklearn_symgn import PotentialDistiller, SymbolicHGNRegressor
    from sklearn_symgn.datasets import make_nbody, pair_potential
    from sklearn_symgn.symbolic import OperonBackend

    recipe = RECIPES[law]
    X, y, names = make_nbody(law, n_samples=n_samples, random_state=seed,
                             return_feature_names=True, **recipe["data"])
    n_train = int(0.8 * n_samples)
    params = dict(recipe["model"])
    # a generation budget, not a time budget: the same equations on a busy or an idle machine
    backend = OperonBackend(max_time=None, generations=20, max_length=12, random_state=seed)
    if quick:
        params.update(max_epochs=2, hidden_layer_sizes=(16,))
        backend = OperonBackend(max_time=None, generations=5, population_size=100,
                                random_state=seed)
    model = SymbolicHGNRegressor(feature_names=names, random_state=seed,
                                 distiller=PotentialDistiller(backend=backend), **params)
    row = {"law": law, "n_train": n_train, **recipe["data"], **params}
    start = time.perf_counter()
    model.fit(X[:n_train], y[:n_train])
    row["train_s"] = time.perf_counter() - start
    row["test_r2"] = model.score(X[n_train:], y[n_train:])
    start = time.perf_counter()
    model.distill(X[:n_train])
    row["distill_s"] = time.perf_counter() - start
    row["force"] = str(model.force_equation_.simplified())
    row["potential"] = str(model.potential_equation_.simplified())
    row["latex"] = model.potential_equation_.latex()
    row["front"] = model.potential_equation_.front_table()

    fresh, _ = make_nbody(law, n_samples=1000, random_state=seed + 1, **recipe["data"])
    fresh[500:, :, :2] *= 3.0
    r_train = pair_table(X[:n_train])[:, 0].max()
    pairs = pair_table(fresh)
    in_range = np.zeros(len(pairs), dtype=bool)
    in_range[: len(pair_table(fresh[:500]))] = True
    r, q_i, q_j, m_i, m_j = pairs.T
    truth = pair_potential(law, r, m_i, m_j, q_i, q_j)
    distilled = model.potential_equation_(pairs)
    row["r2_all"], row["scale"] = affine_r2(truth, distilled)
    row["r2_in_range"] = affine_r2(truth[in_range], distilled[in_range])[0]
    beyond = r > r_train
    row["r2_beyond"] = affine_r2(truth[beyond], distilled[beyond])[0]
    row["n_beyond"], row["r_max"], row["r_train_max"] = int(beyond.sum()), r.max(), r_train
    return row


def table(rows):
    lines = [
        "| law | train graphs | epochs | train s | test R² (acc.) | distill s | distilled U "
        "| scale | R² all | R² in range | R² beyond (pairs) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for w in rows:
        lines.append(
            f"| {w['law']} | {w['n_train']} | {w['max_epochs']} | {w['train_s']:.0f} "
            f"| {w['test_r2']:.4f} | {w['distill_s']:.0f} | `{w['potential']}` "
            f"| {w['scale']:.3g} | {w['r2_all']:.4f} | {w['r2_in_range']:.4f} "
            f"| {w['r2_beyond']:.4f} ({w['n_beyond']}) |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laws", nargs="+", default=list(RECIPES), choices=sorted(RECIPES))
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for smoke tests")
    parser.add_argument("--out", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    n_samples = 400 if args.quick else args.n_samples
    rows = []
    for law in args.laws:
        row = run_law(law, n_samples=n_samples, seed=args.seed, quick=args.quick)
        print(f"{law}: trained {row['train_s']:.0f} s, distilled {row['distill_s']:.0f} s, "
              f"R² {row['r2_all']:.4f}: U = {row['potential']}", flush=True)
        rows.append(row)
    report = [table(rows), ""]
    for w in rows:
        report += [f"- {w['law']}: $${w['latex']}$$ (dU/dr = `{w['force']}`; fresh pairs up to "
                   f"r = {w['r_max']:.2f}, training pairs up to {w['r_train_max']:.2f})",
                   "", "```", w["front"], "```", ""]
    text = "\n".join(report)
    print("\n" + text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return rows


if __name__ == "__main__":
    main()
