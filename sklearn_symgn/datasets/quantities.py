"""Conserved quantities of N-body states: total energy and total momentum.

One implementation serves NumPy arrays and torch tensors: a tensor gives a tensor that keeps the
autograd graph, so the same functions measure the drift of a trajectory
(:func:`~sklearn_symgn.rollout.quantity_drift`) and steer a differentiable rollout (the
``conserved`` quantity of :func:`~sklearn_symgn.rollout.rollout`).
"""

import numpy as np
import torch

from .._validation import Int, validate_params
from ._nbody import DIM, LAW, _check_state, pair_potential

__all__ = ["energy_function", "nbody_energy", "total_momentum"]


def _pairs(pos):
    """Indices ``(i, j)``, ``i < j``, of the unordered pairs of bodies, and their distances."""
    n = pos.shape[-2]
    if isinstance(pos, torch.Tensor):
        i, j = torch.triu_indices(n, n, 1, device=pos.device)
        return i, j, torch.linalg.vector_norm(pos[..., j, :] - pos[..., i, :], dim=-1)
    i, j = np.triu_indices(n, k=1)
    return i, j, np.linalg.norm(pos[..., j, :] - pos[..., i, :], axis=-1)


@validate_params({"X": ["array-like"], "dim": [Int(1)]})
def total_momentum(X, *, dim):
    """Total momentum ``sum_i m_i v_i`` of N-body states ``[pos, vel, charge, mass]``.

    Parameters
    ----------
    X : array-like or Tensor of shape (..., n_bodies, 2 * dim + 2)
        States. A torch tensor gives a tensor and keeps the autograd graph.
    dim : int
        Spatial dimension.

    Returns
    -------
    momentum : ndarray or Tensor of shape (..., dim)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_symgn.datasets import total_momentum
    >>> X = np.array([[[0, 0, 1, 0, 0, 2.0], [1, 0, -1, 0, 0, 2.0]]])
    >>> total_momentum(X, dim=2)
    array([[0., 0.]])
    """
    X = _check_state(X, dim, tensors=True)
    return (X[..., dim : 2 * dim] * X[..., 2 * dim + 1, None]).sum(-2)


@validate_params({"law": LAW, "X": ["array-like"], "dim": DIM})
def nbody_energy(law, X, *, dim):
    """Total energy (kinetic + pair potential, each unordered pair once) of N-body states.

    Parameters
    ----------
    law : str
        One of ``NBODY_LAWS``. For ``"damped"`` this is the spring energy, which damping dissipates.
    X : array-like or Tensor of shape (..., n_bodies, 2 * dim + 2)
        Node features ``[pos, vel, charge, mass]``. A torch tensor gives a tensor and keeps the
        autograd graph (NaN is then not checked for).
    dim : {2, 3}
        Spatial dimension.

    Returns
    -------
    energy : ndarray or Tensor of shape X.shape[:-2]

    Examples
    --------
    >>> import torch
    >>> from sklearn_symgn.datasets import make_nbody, nbody_energy
    >>> X, _ = make_nbody("spring", n_samples=3, random_state=0)
    >>> nbody_energy("spring", X, dim=2).shape
    (3,)
    >>> X = torch.tensor(X, requires_grad=True)
    >>> nbody_energy("spring", X, dim=2).sum().backward()
    >>> X.grad.shape
    torch.Size([3, 4, 6])
    """
    X = _check_state(X, dim, tensors=True)
    pos, vel = X[..., :dim], X[..., dim : 2 * dim]
    charge, mass = X[..., 2 * dim], X[..., 2 * dim + 1]
    kinetic = 0.5 * (mass * (vel**2).sum(-1)).sum(-1)
    i, j, r = _pairs(pos)
    potential = pair_potential(law, r, mass[..., i], mass[..., j], charge[..., i], charge[..., j])
    return kinetic + potential.sum(-1)


@validate_params({"law": LAW, "dim": DIM})
def energy_function(law, *, dim):
    """The total energy of an N-body law as a quantity ``g(X) -> (..., 1)``.

    For :func:`~sklearn_symgn.rollout.quantity_drift` and as the ``conserved`` quantity of
    :func:`~sklearn_symgn.rollout.rollout`.

    Parameters
    ----------
    law : str
        One of ``NBODY_LAWS`` (for ``"damped"``: the spring energy, which is not conserved).
    dim : {2, 3}
        Spatial dimension.

    Returns
    -------
    energy : callable
        ``energy(X)`` is ``nbody_energy(law, X, dim=dim)[..., None]``, of shape ``(..., 1)`` for
        states ``X`` of shape ``(..., n_bodies, 2 * dim + 2)``: NumPy for arrays, a
        differentiable tensor for tensors.

    Examples
    --------
    >>> import torch
    >>> from sklearn_symgn.datasets import energy_function, make_nbody, nbody_energy
    >>> X, _ = make_nbody("spring", n_samples=3, random_state=0)
    >>> energy = energy_function("spring", dim=2)
    >>> energy(X).shape
    (3, 1)
    >>> bool(torch.allclose(energy(torch.tensor(X))[:, 0],
    ...                     torch.tensor(nbody_energy("spring", X, dim=2))))
    True
    """

    def energy(X):
        return nbody_energy(law, X, dim=dim)[..., None]

    energy.__name__ = f"{law}_energy"
    return energy
