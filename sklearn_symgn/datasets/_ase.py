"""Molecular-dynamics frames from ASE (``ase.Atoms``) as the estimators' arrays."""

import numpy as np

#: Node features of :func:`from_ase`: position, velocity and mass of each atom.
ASE_FEATURE_NAMES = ["x", "y", "z", "vx", "vy", "vz", "m"]
TARGETS = ("forces", "accelerations")


def _atoms_module():
    try:
        import ase
    except ImportError as error:  # pragma: no cover - the optional extra is installed in CI
        raise ImportError("from_ase needs ASE: pip install 'sklearn-symgn[md]' "
                          "(or pip install ase).") from error
    return ase


def _checked_frames(frames):
    ase = _atoms_module()
    frames = [frames] if isinstance(frames, ase.Atoms) else list(frames)
    if not frames or not all(isinstance(f, ase.Atoms) for f in frames):
        raise TypeError("frames must be an ase.Atoms or a sequence of them (e.g. an "
                        f"ase.io.Trajectory); got {type(frames).__name__}.")
    sizes = {len(f) for f in frames}
    if len(sizes) != 1 or sizes == {0}:
        raise ValueError("frames must all hold the same, non-zero number of atoms (for "
                         f"varying sizes pass a list of torch_geometric Data); got {sorted(sizes)}.")
    return frames


def _box(frames):
    """Box lengths of periodic frames (``None`` for frames in vacuum); one orthorhombic cell,
    periodic along every axis, the same in all frames."""
    pbc = {tuple(bool(p) for p in f.pbc) for f in frames}
    if pbc == {(False, False, False)}:
        return None
    if pbc != {(True, True, True)}:
        raise ValueError(f"frames must be periodic along all three axes or none; got pbc "
                         f"{sorted(pbc)} (slabs and wires are not handled).")
    cells = np.stack([np.asarray(f.cell) for f in frames])
    if not np.allclose(cells, cells[0]) or not np.allclose(cells[0], np.diag(np.diag(cells[0]))):
        raise ValueError("periodic frames must share one orthorhombic cell (a diagonal cell "
                         f"matrix); got e.g. {np.asarray(frames[0].cell).tolist()}.")
    return np.diag(cells[0]).copy()


def from_ase(frames, *, targets="forces", return_box=False):
    """Node features and targets of ASE frames, for :class:`~sklearn_symgn.SymbolicGNRegressor`.

    Parameters
    ----------
    frames : ase.Atoms or sequence of ase.Atoms
        Snapshots of one system (an ``ase.io.Trajectory`` or a list of ``Atoms``), each with
        the same number of atoms and a calculator that gives its forces (frames read from a
        trajectory file carry them). Periodic frames need one orthorhombic cell, periodic
        along all three axes: build their graphs with
        ``Periodic(RadiusGraph(cutoff), box=box)`` (``return_box=True``), so displacements are
        minimum images.
    targets : {"forces", "accelerations"}, default="forces"
        ``"forces"``: the calculator's forces (then the node law is a plain sum of pair
        forces); ``"accelerations"``: forces over masses.
    return_box : bool, default=False
        Also return the box lengths of periodic frames (``None`` for frames in vacuum).

    Returns
    -------
    X : ndarray of shape (n_frames, n_atoms, 7)
        ``[x, y, z, vx, vy, vz, m]`` per atom, in ASE's units (Å, Å per ASE time unit, amu).
    y : ndarray of shape (n_frames, n_atoms, 3)
        Forces (eV/Å) or accelerations.
    feature_names : list of str
        ``ASE_FEATURE_NAMES``; positions are the first three columns.
    box : ndarray of shape (3,) or None
        Only with ``return_box=True``: the cell's lengths (Å), or ``None`` without periodicity.

    Examples
    --------
    >>> from ase import Atoms
    >>> from ase.calculators.lj import LennardJones
    >>> from sklearn_symgn.datasets import from_ase
    >>> atoms = Atoms("Ar2", positions=[[0, 0, 0], [0, 0, 1.2]], calculator=LennardJones())
    >>> X, y, names = from_ase([atoms])
    >>> X.shape, y.shape, names[:3]
    ((1, 2, 7), (1, 2, 3), ['x', 'y', 'z'])
    """
    if targets not in TARGETS:
        raise ValueError(f"targets must be one of {list(TARGETS)}; got {targets!r}.")
    frames = _checked_frames(frames)
    box = _box(frames)
    X = np.stack([np.column_stack([f.get_positions(), f.get_velocities(), f.get_masses()])
                  for f in frames])
    try:
        forces = np.stack([f.get_forces() for f in frames])
    except RuntimeError as error:  # ASE: "Atoms object has no calculator."
        raise ValueError("every frame needs forces: attach a calculator (atoms.calc = ...) "
                         "or read frames from a trajectory that stored them.") from error
    y = forces if targets == "forces" else forces / X[..., -1:]
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("the frames hold non-finite positions, velocities or forces.")
    names = list(ASE_FEATURE_NAMES)
    return (X, y, names, box) if return_box else (X, y, names)
