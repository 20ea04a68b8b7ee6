"""Quickstart: recover the force law of a 2-D spring system from a graph network's messages
==========================================================================================

Simulates 4-body spring snapshots, trains :class:`~sklearn_symgn.SymbolicGNRegressor` with the L1
message strategy, reads the law out of its two most significant messages with symbolic regression
(``distill``), and scores the network against the distilled equations, in distribution and on
wider, out-of-distribution configurations.

By default (``receiver_columns="auto"``) the edge model sees every feature of the receiver but
its mass: inertia belongs to the node model (``a = F / m``), so the messages become forces
instead of forces rescaled by the receiver's mass.

Run ``python examples/quickstart.py`` (1 to 3 minutes on 2 CPU cores), or with ``--quick``
(4,000 snapshots, a smaller network, a shorter search: about half a minute), which recovers the
same law. With matplotlib installed it also draws the training curve, the top
messages against the true forces, the Pareto front of the distilled law and the out-of-distribution
predictions of network and equations (:mod:`sklearn_symgn.plotting`).
"""

import argparse
import time
import warnings

import numpy as np

from sklearn_symgn import MessageDistiller, SymbolicGNRegressor
from sklearn_symgn.datasets import make_nbody, pairwise_forces
from sklearn_symgn.metrics import equation_force_r2, message_force_r2
from sklearn_symgn.symbolic import OperonBackend, round_constants


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--law", default="spring")
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for smoke tests")
    args = parser.parse_args(argv)
    n_samples = 4000 if args.quick else args.n_samples
    params = {"max_epochs": args.max_epochs}
    sr = OperonBackend(random_state=0)
    sizes = {}
    if args.quick:  # the smallest recipe measured to recover the exact law (docs/benchmarks.md)
        params = {"max_epochs": 50, "hidden_layer_sizes": (64, 64, 64), "batch_size": 32}
        sr = OperonBackend(max_time=None, generations=30, population_size=300, random_state=0)
        sizes = {"max_edges": 2000, "max_nodes": 2000}

    X, y, forces, names = make_nbody(
        args.law, n_samples=n_samples, dim=2, random_state=0,
        return_forces=True, return_feature_names=True,
    )
    n_train = int(0.75 * n_samples)  # whole trajectories stay on one side
    model = SymbolicGNRegressor(
        regularization="l1", feature_names=names,
        distiller=MessageDistiller(target_names=["ax", "ay"], backend=sr, **sizes),
        random_state=0, verbose=0 if args.quick else 1, **params,
    )
    start = time.perf_counter()
    model.fit(X[:n_train], y[:n_train])
    print(f"trained on {n_train} {args.law} graphs in {time.perf_counter() - start:.1f} s")
    msg = message_force_r2(model, X[n_train:], forces[n_train:])
    print(f"top-2 messages vs true forces: R² {msg['force']:.4f} (F), "
          f"{msg['force_over_mass']:.4f} (F / m_receiver)")

    start = time.perf_counter()
    model.set_params(verbose=0).distill(X[:n_train], y[:n_train])
    print(f"\nrecovered law (distilled in {time.perf_counter() - start:.1f} s):")
    print(model.symbolic_model_)
    print("\ncomposed, in the units of the targets (Σ_j sums over the other bodies j):")
    print(model.composed_law_)
    if model.pair_force_ is not None:
        print("the pair force on i from j (times m_i: physical units):")
        print("\n".join(f"  F{a} = {round_constants(f)}" for a, f in zip("xyz", model.pair_force_)))

    # out of distribution: a fresh simulation with positions spread twice as wide
    X_ood, _ = make_nbody(args.law, n_samples=max(200, n_samples // 10), random_state=1)
    X_ood[..., :2] *= 2.0
    forces_ood = pairwise_forces(args.law, X_ood, dim=2)
    y_ood = forces_ood.sum(axis=2) / X_ood[..., -1:]
    recovery = equation_force_r2(model, X_ood, forces_ood)
    r_train, r_ood = (float(np.max(np.linalg.norm(Z[:, :, None, :2] - Z[:, None, :, :2], axis=-1)))
                      for Z in (X[:n_train], X_ood))
    print(f"\ndistilled messages vs true forces on fresh, wider data (largest distance "
          f"{r_ood:.2f}, {r_ood / r_train:.2f}x the training's {r_train:.2f}): "
          f"R² {recovery['force']:.4f}")
    scores = {
        "in distribution": (model.score(X[n_train:], y[n_train:]),
                            model.symbolic_model_.score(X[n_train:], y[n_train:])),
        "out of distribution": (model.score(X_ood, y_ood), model.symbolic_model_.score(X_ood, y_ood)),
    }
    print(f"\n{'test R² of accelerations':<26}{'network':>9}{'equations':>11}")
    for name, (net, eq) in scores.items():
        print(f"{name:<26}{net:>9.4f}{eq:>11.4f}")
    plot(model, X[n_train:], forces[n_train:], X_ood, y_ood, show=not args.quick)
    return {"model": model, "test_r2": scores["in distribution"][0], "message_r2": msg,
            "recovery_r2": recovery, "scores": scores, "distance_ratio": r_ood / r_train}


def plot(model, X_test, forces_test, X_ood, y_ood, show=True):
    """Figures of the run (skipped without matplotlib); ``show`` opens them where it can."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    from sklearn_symgn.plotting import (
        plot_message_forces,
        plot_pareto_front,
        plot_predicted_vs_true,
        plot_training_history,
    )

    plot_training_history(model)
    plot_message_forces(model, X_test, forces_test)
    plot_pareto_front(model.radial_equation_ or model.edge_equations_[0])
    fig, ax = plt.subplots(figsize=(4.2, 3.8))
    plot_predicted_vs_true(model, X_ood, y_ood, ax=ax, label="network")
    if np.all(np.isfinite(model.symbolic_model_.predict(X_ood))):
        plot_predicted_vs_true(model.symbolic_model_, X_ood, y_ood, ax=ax, label="equations")
    ax.set_title("out of distribution: accelerations")
    if show:
        with warnings.catch_warnings():  # a non-interactive backend (no display) only warns
            warnings.simplefilter("ignore", UserWarning)
            plt.show()


if __name__ == "__main__":
    main()
