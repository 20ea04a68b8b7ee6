"""The operator set grows when the law of the default operators is not exact on the targets."""

import numpy as np
import pytest
import sympy
import torch

from sklearn_symgn import MessageDistiller
from sklearn_symgn.distillation import NetworkSpec
from sklearn_symgn.graphs import CompleteGraph
from sklearn_symgn.graphs.inputs import DenseGraphs
from sklearn_symgn.messages import EdgeMessages
from sklearn_symgn.symbolic import OperonBackend

from .test_distill import _true_messages

FAST = OperonBackend(generations=20, random_state=0)


def _cluster_messages(n_samples=60, seed=0):
    """Snapshots of 5 atoms in 3-D whose pair force ``20 (1 - r) exp(-2 r)`` is repulsive
    below r = 1; the true forces as 'messages', mixed linearly, with 0.1 % noise."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(scale=0.7, size=(4 * n_samples, 5, 3)),
                        rng.normal(scale=0.3, size=(4 * n_samples, 5, 3))], axis=-1)
    delta = X[:, :, None, :3] - X[:, None, :, :3]  # x_i - x_j
    r = np.linalg.norm(delta, axis=-1) + np.eye(5)
    X = X[(r + 9 * np.eye(5)).min(axis=(1, 2)) > 0.5][:n_samples]
    delta = X[:, :, None, :3] - X[:, None, :, :3]
    r = np.linalg.norm(delta, axis=-1, keepdims=True) + np.eye(5)[..., None]
    F = (1 - np.eye(5))[..., None] * 20 * (1 - r) * np.exp(-2 * r) * delta / r
    s, i, j = np.nonzero(~np.eye(5, dtype=bool)[None].repeat(len(X), 0))
    mix = rng.normal(size=(3, 3))
    messages = F[s, i, j] @ mix.T
    messages *= 1 + 1e-3 * rng.normal(size=messages.shape)
    messages = np.column_stack([messages, np.zeros((len(s), 2))])
    edges = EdgeMessages(messages, messages.std(axis=0), s, i, j, X[s, i], X[s, j])
    y = F.sum(axis=2)
    graphs = DenseGraphs(torch.as_tensor(X), torch.as_tensor(y), (3,))
    spec = NetworkSpec([0, 1, 2], ["x", "y", "z", "vx", "vy", "vz"], CompleteGraph(), 3, (3,))
    return graphs, edges, spec, X, y


def test_an_exponential_pair_force_is_found_by_the_grown_search():
    graphs, edges, spec, X, y = _cluster_messages()
    result = MessageDistiller(backend=FAST).distill(graphs, edges, spec)
    assert result.added_operators == ("exp",)
    force = result.pair_force[0]
    assert force.has(sympy.exp)
    dx, r = sympy.symbols("dx r")
    distances = np.linspace(0.5, 5.0, 50)  # in range and far beyond it
    found = sympy.lambdify(r, force.subs(dx, r))(distances)  # along x, atoms r apart
    np.testing.assert_allclose(found, 20 * (distances - 1) * np.exp(-2 * distances), atol=1e-3)
    plain = MessageDistiller(backend=FAST, extra_operators=()).distill(graphs, edges, spec)
    assert plain.added_operators == () and not plain.pair_force[0].has(sympy.exp)


def test_an_exact_law_is_not_searched_again():
    graphs, edges, spec, _, _ = _true_messages("spring")
    result = MessageDistiller(backend=FAST).distill(graphs, edges, spec)
    assert result.added_operators == ()
    assert not any(eq.expression.has(sympy.exp) for eq in result.edge_equations)


def test_a_backend_is_extended_by_the_operators_it_lacks():
    backend = OperonBackend(unary_operators=("log",), random_state=3)
    grown = backend.extended(("exp", "log"))
    assert grown.unary_operators == ("log", "exp") and grown.random_state == 3
    assert backend.unary_operators == ("log",)  # a copy
    assert grown.extended(("exp",)) is None


def test_extra_operators_are_validated():
    with pytest.raises(ValueError, match="extra_operators"):
        MessageDistiller(extra_operators=3)._validate_params()


def test_a_function_that_acts_as_a_straight_line_is_an_expansion():
    """``exp`` of a tiny argument (an expansion standing in for a softened power law) acts
    linearly over the pairs; the cluster's ``exp(-2 r)`` does not."""
    from sklearn_symgn.distillation.radial import acts_linearly

    graphs, _, spec, _, _ = _cluster_messages(n_samples=20)
    variables = ["dx", "dy", "dz", "r", "vx_i", "vx_j", "vy_i", "vy_j", "vz_i", "vz_j"]
    dx, r = sympy.symbols("dx r")
    expansion = 8305 * dx * (sympy.exp(0.00012 / r**2) - sympy.exp(2.46e-6 / r**3)) / r
    assert acts_linearly(expansion, spec, graphs, variables)
    assert not acts_linearly(20 * dx * (r - 1) * sympy.exp(-2 * r) / r, spec, graphs, variables)
    assert not acts_linearly(dx / r**3, spec, graphs, variables)  # no function at all


def test_added_operators_are_those_the_kept_law_reads():
    """A grown search whose kept law reads no ``exp`` adds nothing; powers (``sqrt``) count."""
    from sklearn_symgn.distillation.radial import operators_read

    dx, r = sympy.symbols("dx r")
    assert operators_read(dx / (r * (r + 0.01)), ("exp",)) == ()
    assert operators_read(dx * sympy.exp(-2 * r), ("exp", "log")) == ("exp",)
    assert operators_read(dx * sympy.sqrt(r), ("sqrt",)) == ("sqrt",)
