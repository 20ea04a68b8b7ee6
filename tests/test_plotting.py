"""Every plotting helper produces a figure (Agg backend) and rejects bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sklearn_symgn import SymbolicGNRegressor  # noqa: E402
from sklearn_symgn.plotting import (  # noqa: E402
    plot_message_forces,
    plot_pareto_front,
    plot_predicted_vs_true,
    plot_training_history,
)
from sklearn_symgn.symbolic import OperonBackend  # noqa: E402

from .conftest import TINY  # noqa: E402


@pytest.fixture(scope="module")
def fitted(spring_data):
    X, y, F, names = spring_data
    model = SymbolicGNRegressor(**{**TINY, "validation_fraction": 0.2}, feature_names=names)
    model.set_params(distiller__backend=OperonBackend(max_time=None, generations=3,
                                                      population_size=40, random_state=0))
    return model.fit(X, y).distill(X, y), X, y, F


def test_training_history(fitted):
    model, *_ = fitted
    fig = plot_training_history(model)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2 and len(lines[0].get_xdata()) == TINY["max_epochs"]
    plt.close(fig)


def test_message_forces_one_panel_per_component(fitted):
    model, X, _, F = fitted
    fig = plot_message_forces(model, X[:50], F[:50], max_edges=300)
    assert len(fig.axes) == 2 and all(ax.get_title().startswith("R² = ") for ax in fig.axes)
    assert len(fig.axes[0].collections[0].get_offsets()) == 300
    plt.close(fig)
    fig, axes = plt.subplots(1, 3)
    assert plot_message_forces(model, X[:50], F[:50], n_components=3, axes=axes) is fig
    with pytest.raises(ValueError, match="axes must hold 2"):
        plot_message_forces(model, X[:50], F[:50], axes=axes)
    with pytest.raises(ValueError, match="forces must have shape"):
        plot_message_forces(model, X[:50], F[:40])
    with pytest.raises(ValueError, match="n_components"):
        plot_message_forces(model, X[:50], F[:50], n_components=0)
    plt.close("all")


def test_pareto_front(fitted):
    model, *_ = fitted
    equation = model.radial_equation_ or model.edge_equations_[0]
    fig = plot_pareto_front(equation)
    line = fig.axes[0].get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), equation.complexity)
    plt.close(fig)
    with pytest.raises(TypeError, match="Equation"):
        plot_pareto_front("y = x")


def test_predicted_vs_true_compares_network_and_equations(fitted):
    model, X, y, _ = fitted
    fig = plot_predicted_vs_true(model, X, y, label="network")
    plot_predicted_vs_true(model.symbolic_model_, X, y, ax=fig.axes[0], label="equations")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("network: R² = ") and labels[1].startswith("equations: R² = ")
    plt.close(fig)
    with pytest.raises(ValueError, match="predicts"):
        plot_predicted_vs_true(model, X, y[:10])
