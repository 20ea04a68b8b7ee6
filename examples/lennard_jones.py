"""Lennard-Jones from ASE: molecular dynamics in, the pair force out
=====================================================================

Simulates a small cluster of atoms with ASE's own Lennard-Jones calculator and velocity Verlet
integrator (not the library's simulator), reads the frames with
:func:`~sklearn_symgn.datasets.from_ase` (positions, velocities, masses; the calculator's forces
as targets), trains :class:`~sklearn_symgn.SymbolicGNRegressor`, distils the pair force with
``pow`` among the operators (the law has powers -13 and -7 of the distance) and compares it with
``24 ε (2 (σ/r)^12 - (σ/r)^6) / r`` and with ASE's forces on fresh frames: as simulated, hotter,
and compressed (pairs closer than in training).

Run ``python examples/lennard_jones.py`` (a few minutes on 2 CPU cores, ``ase`` installed:
``pip install 'sklearn-symgn[md]'``), or ``--quick`` for a smoke run of seconds that does not
train long enough to recover the law.
"""

import argparse
import time

import numpy as np
import sympy

from sklearn_symgn import MessageDistiller, SymbolicGNRegressor
from sklearn_symgn.datasets import from_ase
from sklearn_symgn.symbolic import OperonBackend

SIGMA, EPSILON, N_ATOMS = 1.0, 1.0, 6


def simulate(n_frames, temperature, rng, per_run=25, every=20, dt=0.005):
    """Frames of a six-atom LJ cluster (unit masses), ``per_run`` per velocity-Verlet run."""
    from ase import Atoms, units
    from ase.calculators.lj import LennardJones
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.md.velocitydistribution import Stationary, thermalize_momenta
    from ase.md.verlet import VelocityVerlet

    octahedron = np.vstack([np.eye(3), -np.eye(3)]) * 2 ** (1 / 6) / np.sqrt(2)
    frames = []
    while len(frames) < n_frames:
        atoms = Atoms("Ar6", positions=octahedron + 0.05 * rng.normal(size=(N_ATOMS, 3)),
                      masses=np.ones(N_ATOMS))
        atoms.calc = LennardJones(sigma=SIGMA, epsilon=EPSILON, rc=10.0)
        thermalize_momenta(atoms, temperature_K=temperature / units.kB, rng=rng)
        Stationary(atoms)
        dynamics = VelocityVerlet(atoms, timestep=dt)
        for _ in range(per_run):
            dynamics.run(every)
            frame = atoms.copy()
            frame.calc = SinglePointCalculator(frame, forces=atoms.get_forces())
            frames.append(frame)
    return frames[:n_frames]


def lj_force(r):
    """Magnitude of the LJ pair force along the pair (positive: repulsive)."""
    return 24 * EPSILON * (2 * (SIGMA / r) ** 12 - (SIGMA / r) ** 6) / r


def r2(pred, true):
    return float(1 - np.sum((pred - true) ** 2) / np.sum((true - true.mean(0)) ** 2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (no recovery)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    n_frames, epochs = (200, 3) if args.quick else (3000, "auto")
    temperature = 0.1  # k_B T in units of epsilon
    start = time.perf_counter()
    X, y, names = from_ase(simulate(n_frames, temperature, rng))
    print(f"{n_frames} ASE frames in {time.perf_counter() - start:.1f} s")
    search = OperonBackend(binary_operators=("add", "sub", "mul", "div", "pow"),
                           generations=10 if args.quick else 100, random_state=0)
    model = SymbolicGNRegressor(
        feature_names=names, position_columns=[0, 1, 2], max_epochs=epochs,
        hidden_layer_sizes=(32, 32) if args.quick else (128, 128, 128), random_state=0,
        # the node law (F = the summed messages) needs no pow
        distiller=MessageDistiller(target_names=["Fx", "Fy", "Fz"], backend=search,
                                   node_backend=OperonBackend(random_state=0)),
    )
    start = time.perf_counter()
    model.fit(X, y)
    print(f"trained in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    model.distill(X, y)
    print(f"distilled in {time.perf_counter() - start:.1f} s:\n{model.composed_law_}")
    # the targets are forces: the pair term of the composed law is the pair force itself
    # (pair_force_ multiplies by the receiver's mass, for acceleration targets)
    pair = model.composed_law_.pair_terms()[0]
    if pair is not None and pair.free_symbols <= set(sympy.symbols("dx r")):
        dx, r = sympy.symbols("dx r")
        radial = sympy.simplify(pair / dx)  # F . (x_j - x_i) / r**2
        print(f"pair force along x_i - x_j: {sympy.nsimplify(-radial * r, tolerance=1e-3)}"
              f"  (Lennard-Jones: 24*(2/r**13 - 1/r**7))")
        grid = np.linspace(0.95, 2.5, 50)
        found = -sympy.lambdify(r, radial * r)(grid)
        print(f"pair force R² against LJ on r in [0.95, 2.5]: {r2(found, lj_force(grid)):.4f}")
    for state, (hotter, scale) in {"as trained": (1, 1.0), "hotter (2x T)": (2, 1.0),
                                   "compressed (0.95x)": (1, 0.95)}.items():
        frames = simulate(max(100, n_frames // 5), hotter * temperature, rng)
        for frame in frames:
            frame.positions *= scale
            frame.calc = __import__("ase.calculators.lj", fromlist=["LennardJones"]) \
                .LennardJones(sigma=SIGMA, epsilon=EPSILON, rc=10.0)
        X_new, y_new, _ = from_ase(frames)
        print(f"{state:20} force R²: equations {r2(model.symbolic_model_.predict(X_new), y_new):.4f}"
              f", network {r2(model.predict(X_new), y_new):.4f}")
    return model


if __name__ == "__main__":
    main()
