"""Hamiltonian graph network: learn a pair potential from accelerations and print it as an equation.

Simulates 2-D 4-body snapshots, trains :class:`~sklearn_symgn.SymbolicHGNRegressor` (pair energy
plus self-energy summed into H; accelerations are -dH/dq / m by automatic differentiation),
distils the learned pair potential with symbolic regression (``distill``) and compares it with
the true potential on fresh pairs, up to scale and an additive constant.

Run ``python examples/hamiltonian.py`` (about half a minute for the spring system on 2 CPU
cores; ``--law r2`` about a minute), or with ``--quick`` for a seconds-long smoke run.
"""

import argparse
import time

import numpy as np

from sklearn_symgn import PotentialDistiller, SymbolicHGNRegressor
from sklearn_symgn.datasets import make_nbody, pair_potential
from sklearn_symgn.symbolic import OperonBackend

#: Per law: data recipe and training budget (r2 trains without close encounters).
RECIPES = {
    "spring": {"data": {}, "model": {"max_epochs": 15, "hidden_layer_sizes": (64, 64),
                                     "lr": 1e-2, "batch_size": 64}},
    "r2": {"data": {"min_distance": 0.5},
           "model": {"max_epochs": 40, "hidden_layer_sizes": (64, 64), "lr": 1e-2,
                     "batch_size": 64}},
}


def fresh_pairs(n_pairs, r_max, seed):
    """Distances up to ``r_max`` and features of two bodies drawn like the simulator's:
    columns ``r, q_i, q_j, m_i, m_j``."""
    rng = np.random.default_rng(seed)
    r = rng.uniform(0.5, r_max, n_pairs)
    q_i, q_j = rng.normal(size=(2, n_pairs))
    m_i, m_j = np.exp(rng.normal(size=(2, n_pairs)))
    return np.column_stack([r, q_i, q_j, m_i, m_j])


def potential_r2(law, model, pairs):
    """R² of the distilled potential against the true one after the best affine map."""
    r, q_i, q_j, m_i, m_j = pairs.T
    truth = pair_potential(law, r, m_i, m_j, q_i, q_j)
    distilled = model.potential_equation_(pairs)
    return float(np.corrcoef(truth, distilled)[0, 1] ** 2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--law", default="spring", choices=sorted(RECIPES))
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for smoke tests")
    args = parser.parse_args(argv)
    recipe = RECIPES[args.law]
    n_samples, params = args.n_samples, dict(recipe["model"])
    backend = OperonBackend(max_time=None, generations=20, max_length=12, random_state=0)
    if args.quick:
        n_samples, params = 300, {"max_epochs": 2, "hidden_layer_sizes": (16,)}
        backend = OperonBackend(max_time=None, generations=5, population_size=100, random_state=0)

    X, y, names = make_nbody(args.law, n_samples=n_samples, random_state=0,
                             return_feature_names=True, **recipe["data"])
    n_train = int(0.8 * n_samples)
    model = SymbolicHGNRegressor(feature_names=names, random_state=0,
                                 distiller=PotentialDistiller(backend=backend),
                                 verbose=0 if args.quick else 1, **params)
    start = time.perf_counter()
    model.fit(X[:n_train], y[:n_train])
    print(f"trained on {n_train} {args.law} graphs in {time.perf_counter() - start:.1f} s; "
          f"test R² of accelerations {model.score(X[n_train:], y[n_train:]):.4f}")

    start = time.perf_counter()
    model.distill(X[:n_train])
    print(f"\ndistilled in {time.perf_counter() - start:.1f} s:")
    print(model.force_equation_)
    print(model.potential_equation_)
    print(f"LaTeX: {model.potential_equation_.latex()}")

    pos = X[:n_train, :, :2]
    r_train = float(np.linalg.norm(pos[:, :, None] - pos[:, None], axis=-1).max())
    pairs = fresh_pairs(2000, 1.5 * r_train, seed=1)
    score = potential_r2(args.law, model, pairs)
    print(f"\nR² of the distilled potential vs the true {args.law} potential on fresh pairs "
          f"(r up to {1.5 * r_train:.1f}, 1.5x the largest training distance), up to scale "
          f"and constant: {score:.4f}")
    return {"model": model, "potential_r2": score}


if __name__ == "__main__":
    main()
