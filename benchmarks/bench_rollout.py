"""Multi-step rollouts: energy drift and trajectory error, with and without Noether tailoring.

Trains :class:`~sklearn_symgn.SymbolicGNRegressor` on 2-D spring snapshots (the recipe of
``examples/quickstart.py``: L1 messages, the edge model sees the receiver's charge but not its
mass), distils it, then integrates fresh initial states forward with
:func:`sklearn_symgn.rollout.rollout` (leapfrog, the law's time step) using

* the true law (the integrator's own error: the floor of every other row),
* the plain network,
* the network with Noether tailoring on the true energy, on energy and momentum, and on an
  energy read off the distilled equations (no knowledge of the law),
* the distilled equations,

and compares each trajectory with the simulator's (:func:`~sklearn_symgn.datasets.integrate_nbody`,
RK4): the energy drift ``|E_t - E_0| / |E_0|`` and the RMSE of positions at several horizons.

Usage: ``python benchmarks/bench_rollout.py [--quick] [--out FILE]`` (a few minutes on 2 CPU cores;
``--quick`` is a seconds-long smoke run).
"""

import argparse
import functools
import time

import numpy as np
import sympy
import torch

from sklearn_symgn import MessageDistiller, SymbolicGNRegressor
from sklearn_symgn.datasets import (
    NBODY_LAWS,
    energy_function,
    integrate_nbody,
    make_nbody,
    pairwise_forces,
    total_momentum,
)
from sklearn_symgn.rollout import quantity_drift, rollout, trajectory_rmse
from sklearn_symgn.symbolic import OperonBackend


class TrueLaw:
    """The simulator's accelerations behind a ``predict``: the integrator-only baseline."""

    def __init__(self, law):
        self.law = law

    def predict(self, X):
        return pairwise_forces(self.law, X, dim=2).sum(-2) / X[..., -1:]


def energy_and_momentum(law):
    energy = energy_function(law, dim=2)

    def quantity(X):
        return torch.cat([energy(X), total_momentum(X, dim=2)], dim=-1)

    return quantity


TORCH_FUNCTIONS = {"log": torch.log, "exp": torch.exp, "sqrt": torch.sqrt, "Abs": torch.abs,
                   "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh}


def distilled_energy(model):
    """The energy implied by the distilled equations, or ``None`` with the reason.

    With central messages ``phi = (d / r) g`` and node equations ``a = c phi / m + ...``, the pair
    force is ``c g (p_j - p_i) / r``, so the pair potential is ``U = c * integral g dr`` and the
    energy ``sum_i m_i |v_i|^2 / 2 + sum_{i<j} U`` (``U`` symmetrised over ``i, j``).
    """
    if getattr(model, "message_form_", None) != "central":
        return None, "the messages were not distilled in central form"
    mass = sympy.Symbol(model.feature_names_[-1])
    scales = []
    for k, eq in enumerate(model.node_equations_):
        c = sympy.diff(sympy.expand(eq.sympy() * mass), sympy.Symbol(f"phi{k + 1}"))
        if c.free_symbols:
            return None, f"the node equation {eq} is not linear in phi{k + 1} / m"
        scales.append(float(c))
    if not np.allclose(scales, scales[0], rtol=0.05):
        return None, f"the node equations scale the messages differently: {scales}"
    r = sympy.Symbol("r")
    force = sympy.nsimplify(np.mean(scales) * model.radial_equation_.sympy(), rational=True)
    try:  # exact (rational) constants: SymPy's integration is unreliable with floats
        potential = sympy.integrate(sympy.expand(force), r).evalf()
    except Exception as exc:
        return None, f"integrating the radial profile failed ({type(exc).__name__})"
    if potential.has(sympy.Integral):
        return None, "the radial profile has no closed-form integral"
    others = sorted(potential.free_symbols - {r}, key=str)
    u = sympy.lambdify([r, *others], potential, modules=[TORCH_FUNCTIONS])
    columns = {f"{name}_{side}": (k, side) for k, name in enumerate(model.feature_names_)
               for side in "ij"}
    if any(str(s) not in columns for s in others):
        return None, f"the potential {potential} uses unknown variables"

    def energy(X):
        n = X.shape[-2]
        i, j = torch.triu_indices(n, n, 1)
        kinetic = 0.5 * (X[..., 5] * (X[..., 2:4] ** 2).sum(-1)).sum(-1)
        dist = torch.linalg.vector_norm(X[..., j, :2] - X[..., i, :2], dim=-1)

        def pair(a, b):
            nodes = {"i": a, "j": b}
            args = [X[..., nodes[columns[str(s)][1]], columns[str(s)][0]] for s in others]
            return u(dist, *args) + 0.0 * dist

        return (kinetic + 0.5 * (pair(i, j) + pair(j, i)).sum(-1))[..., None]

    shown = potential.xreplace({f: sympy.Float(float(f), 3) for f in potential.atoms(sympy.Float)})
    return energy, f"pair potential U = {shown}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--law", default="spring")
    parser.add_argument("--n-samples", type=int, default=15_000)
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--n-systems", type=int, default=64)
    parser.add_argument("--n-steps", type=int, default=500)
    parser.add_argument("--tailor-steps", type=int, default=3)
    parser.add_argument("--tailor-window", type=int, default=20)
    parser.add_argument("--tailor-lr", type=float, default=1.0)
    parser.add_argument("--integrator", default="leapfrog")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for smoke tests")
    parser.add_argument("--out", help="also write the report (Markdown) to this file")
    args = parser.parse_args(argv)
    params = {"max_epochs": args.max_epochs}
    sr = OperonBackend(random_state=0)
    if args.quick:
        args.n_samples, args.n_systems, args.n_steps = 400, 4, 100
        args.tailor_steps, args.tailor_window = 2, 25
        params = {"max_epochs": 2, "hidden_layer_sizes": (32, 32)}
        sr = OperonBackend(max_time=None, generations=5, population_size=100, random_state=0)
    law, dt = args.law, NBODY_LAWS[args.law]
    horizons = [h for h in (10, 50, 100, 250, 500, 1000) if h < args.n_steps] + [args.n_steps]
    lines = [f"# Rollouts of a fitted model: {law}, 2-D, 4 bodies", ""]

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    X, y, names = make_nbody(law, n_samples=args.n_samples, dim=2, random_state=0,
                             return_feature_names=True)
    model = SymbolicGNRegressor(
        regularization="l1", feature_names=names, receiver_columns=[names.index("q")],
        distiller=MessageDistiller(target_names=["ax", "ay"], backend=sr), random_state=0,
        l1_strength=1.0,  # the recipe of the recorded figures
        **params,
    )
    start = time.perf_counter()
    model.fit(X, y)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    model.distill(X, y)
    distill_s = time.perf_counter() - start
    say(f"Trained on {args.n_samples} snapshots ({params}) in {train_s:.1f} s; distilled in "
        f"{distill_s:.1f} s:")
    say()
    say("```")
    say(str(model.symbolic_model_))
    say("```")
    say()

    X0, _ = make_nbody(law, n_samples=args.n_systems, n_steps=1, dim=2, random_state=1)
    reference = integrate_nbody(law, X0, args.n_steps, dim=2, dt=dt)
    energy = energy_function(law, dim=2)
    tailoring = {"tailor_steps": args.tailor_steps, "tailor_window": args.tailor_window,
                 "tailor_lr": args.tailor_lr, "return_info": True}
    runs = {
        "true law (integrator only)": (TrueLaw(law), {"position_columns": [0, 1]}),
        "network": (model, {}),
        "network + tailoring (energy)": (model, {"conserved": energy, **tailoring}),
        "network + tailoring (energy, momentum)": (
            model, {"conserved": energy_and_momentum(law), **tailoring}),
        "distilled equations": (model.symbolic_model_, {}),
    }
    learned, how = distilled_energy(model)
    if learned is not None:
        runs["network + tailoring (distilled energy)"] = (model, {"conserved": learned,
                                                                   **tailoring})
    runs["distilled equations"] = runs.pop("distilled equations")
    momentum = functools.partial(total_momentum, dim=2)
    rows = []
    for name, (predictor, options) in runs.items():
        start = time.perf_counter()
        out = rollout(predictor, X0, args.n_steps, dt, integrator=args.integrator, **options)
        seconds = time.perf_counter() - start
        trajectory, info = out if isinstance(out, tuple) else (out, {})
        drift = quantity_drift(trajectory, energy)
        rmse = trajectory_rmse(trajectory, reference, columns=[0, 1])
        row = {
            "model": name, "seconds": seconds,
            "energy_drift_mean": float(drift.mean()),
            "energy_drift_final": float(drift[-1].mean()),
            "energy_drift_final_median": float(np.median(drift[-1])),
            "momentum_drift_final": float(quantity_drift(trajectory, momentum,
                                                         relative=False)[-1].mean()),
            "rmse": {h: float(rmse[h]) for h in horizons},
        }
        if "noether_loss" in info:
            loss = info["noether_loss"]
            row["noether_loss_plain"] = float(loss[:, 0].mean())
            row["noether_loss_tailored"] = float(loss.min(axis=1).mean())
        rows.append(row)

    say(f"Distilled energy: {how}.")
    say()
    say(f"{args.n_systems} fresh initial states (seed 1), {args.n_steps} {args.integrator} steps "
        f"of dt = {dt} (t = {args.n_steps * dt:g}); reference: RK4 with the true law. "
        f"Tailoring: {args.tailor_steps} Polyak-size gradient steps (lr {args.tailor_lr}) on a "
        f"per-body affine correction of the acceleration, every {args.tailor_window} steps.")
    say()
    say("ΔE: |E_t - E_0| / |E_0| with the true energy, mean over systems (and over all steps for "
        "'mean'); ΔP: final change |P_t - P_0| of the total momentum; RMSE of positions at step h.")
    say()
    header = ["model", "time s", "ΔE mean", "ΔE final", "ΔE final median", "ΔP final",
              *(f"RMSE@{h}" for h in horizons)]
    say("| " + " | ".join(header) + " |")
    say("|" + "---|" * len(header))
    for row in rows:
        cells = [row["model"], f"{row['seconds']:.1f}", f"{row['energy_drift_mean']:.2e}",
                 f"{row['energy_drift_final']:.2e}", f"{row['energy_drift_final_median']:.2e}",
                 f"{row['momentum_drift_final']:.2e}", *(f"{row['rmse'][h]:.4f}" for h in horizons)]
        say("| " + " | ".join(cells) + " |")
    say()
    for row in rows:
        if "noether_loss_plain" in row:
            say(f"- {row['model']}: Noether loss per window {row['noether_loss_plain']:.3e} "
                f"(plain network on the window) -> {row['noether_loss_tailored']:.3e} (tailored)")
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")
    return rows


if __name__ == "__main__":
    main()
