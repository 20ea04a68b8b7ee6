"""Quickstart: learn the interaction of a 2-D spring system with a sparse-message graph network.

Simulates 4-body spring snapshots, trains :class:`~sklearn_symgn.SymbolicGNRegressor` with the L1
message strategy, and reports the test R² of the predicted accelerations and how linearly the two
most significant messages follow the true pairwise forces.

Run ``python examples/quickstart.py`` (about two minutes on 2 CPU cores), or with ``--quick`` for
a seconds-long smoke run.
"""

import argparse
import time

from sklearn.model_selection import train_test_split

from sklearn_symgn import SymbolicGNRegressor
from sklearn_symgn.datasets import make_nbody
from sklearn_symgn.metrics import message_force_r2


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--law", default="spring")
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--max-epochs", type=int, default=None, help="default: the estimator's")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for smoke tests")
    args = parser.parse_args(argv)
    n_samples = 600 if args.quick else args.n_samples
    params = {"max_epochs": 2, "hidden_layer_sizes": (32, 32)} if args.quick else {}
    if args.max_epochs is not None:
        params["max_epochs"] = args.max_epochs

    X, y, forces, names = make_nbody(
        args.law, n_samples=n_samples, dim=2, random_state=0,
        return_forces=True, return_feature_names=True,
    )
    X_train, X_test, y_train, y_test, F_train, F_test = train_test_split(
        X, y, forces, test_size=0.25, shuffle=False  # whole trajectories stay on one side
    )
    model = SymbolicGNRegressor(
        regularization="l1", feature_names=names, random_state=0, verbose=0 if args.quick else 1,
        **params,
    )
    start = time.perf_counter()
    model.fit(X_train, y_train)
    print(f"trained on {len(X_train)} {args.law} graphs in {time.perf_counter() - start:.1f} s")
    r2 = model.score(X_test, y_test)
    print(f"test R² of the network (accelerations): {r2:.4f}")
    msg = message_force_r2(model, X_test, F_test)
    print(
        f"top-2 messages vs true forces: R² {msg['force']:.3f} (F), "
        f"{msg['force_over_mass']:.3f} (F / m_receiver)"
    )
    return {"model": model, "test_r2": r2, "message_r2": msg}


if __name__ == "__main__":
    main()
