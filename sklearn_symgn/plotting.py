"""Figures of the method: training curves, messages vs forces, Pareto fronts, predictions.

Every function returns a :class:`matplotlib.figure.Figure` (matplotlib is imported on first
use: ``pip install "sklearn-symgn[plot]"``) and draws into ``ax``/``axes`` when given.
"""


import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_is_fitted

from ._validation import validate_params
from .metrics import EDGE_FORCE_CONSTRAINTS, edge_forces
from .symbolic import Equation

__all__ = [
    "plot_message_forces",
    "plot_pareto_front",
    "plot_predicted_vs_true",
    "plot_training_history",
]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'sklearn_symgn.plotting needs matplotlib: pip install "sklearn-symgn[plot]".'
        ) from exc
    return plt


def _axes(axes, n):
    plt = _pyplot()
    if axes is None:
        fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.4), squeeze=False)
        return fig, list(axes[0])
    axes = list(np.atleast_1d(axes))
    if len(axes) != n:
        raise ValueError(f"axes must hold {n} matplotlib Axes; got {len(axes)}.")
    return axes[0].figure, axes


@validate_params({"estimator": "no_validation", "ax": "no_validation"})
def plot_training_history(estimator, *, ax=None):
    """Training (and validation) loss per epoch, from the skorch history.

    Parameters
    ----------
    estimator : SymbolicGNRegressor
        Fitted.
    ax : matplotlib Axes, default=None

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_is_fitted(estimator, "net_")
    fig, (ax,) = _axes(ax, 1)
    history = estimator.net_.history
    epochs = history[:, "epoch"]
    ax.plot(epochs, history[:, "train_loss"], label="train")
    if "valid_loss" in history[-1]:
        ax.plot(epochs, history[:, "valid_loss"], label="validation")
    ax.set(xlabel="epoch", ylabel="loss (scaled L1 + penalty)", yscale="log")
    ax.legend()
    return fig


@validate_params({**EDGE_FORCE_CONSTRAINTS, "axes": "no_validation"})
def plot_message_forces(estimator, X, forces, *, n_components=None, mass_column=-1,
                        max_edges=5000, random_state=0, axes=None):
    """The paper's figure: each top message component against its best linear fit on the forces.

    The ``n_components`` most significant components (as ranked by ``distill``) are fitted
    linearly on the true pairwise forces ``F`` and on ``F / m_i``; the better of the two is drawn,
    one panel per component, with its R² in the title. Points on the diagonal mean the message
    is a linear function of the force.

    Parameters
    ----------
    estimator : SymbolicGNRegressor
        Fitted on graphs of equally many nodes.
    X : ndarray of shape (n_samples, n_nodes, n_features)
    forces : ndarray of shape (n_samples, n_nodes, n_nodes, dim)
        ``forces[s, i, j]``: force of ``j`` on ``i``.
    n_components : int, default=None
        ``None`` means ``dim``.
    mass_column : int, default=-1
        Node-feature column of the mass.
    max_edges : int, default=5000
        Edges drawn.
    random_state : int, default=0
    axes : sequence of matplotlib Axes, default=None
        One per component.

    Returns
    -------
    matplotlib.figure.Figure
    """
    edges, components, f, f_over_m = edge_forces(
        estimator, X, forces, n_components=n_components, mass_column=mass_column,
        max_edges=max_edges, random_state=random_state,
    )
    candidates = {"F": f, "F / m_i": f_over_m}
    k = len(components)
    fig, axes = _axes(axes, k)
    for ax, c in zip(axes, components):
        message = edges.messages[:, c]
        fits = {name: LinearRegression().fit(t, message).predict(t) for name, t in candidates.items()}
        name = max(fits, key=lambda n: r2_score(message, fits[n]))
        ax.scatter(fits[name], message, s=3, alpha=0.4)
        lo, hi = np.percentile(np.r_[fits[name], message], [0.5, 99.5])
        ax.plot([lo, hi], [lo, hi], color="k", lw=0.8)
        ax.set(xlim=(lo, hi), ylim=(lo, hi), xlabel=f"linear fit on {name}",
               ylabel=f"message component {c}",
               title=f"R² = {r2_score(message, fits[name]):.3f}")
    fig.tight_layout()
    return fig


@validate_params({"equation": "no_validation", "ax": "no_validation"})
def plot_pareto_front(equation, *, ax=None):
    """Loss against complexity of a distilled equation's Pareto front; the chosen one marked.

    Parameters
    ----------
    equation : Equation
        E.g. ``model.edge_equations_[0]`` or ``model.radial_equation_``.
    ax : matplotlib Axes, default=None

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(equation, Equation):
        raise TypeError(f"equation must be an Equation; got {type(equation).__name__}.")
    fig, (ax,) = _axes(ax, 1)
    ax.plot(equation.complexity, equation.loss, "o-", ms=4)
    ax.plot(equation.complexity[equation.index], equation.loss[equation.index], "r*", ms=14,
            label=f"chosen ({equation.selection})")
    ax.set(xlabel="complexity", ylabel="loss (MSE)", yscale="log",
           title=f"{equation.target}: {len(equation.loss)} expressions")
    ax.legend()
    return fig


@validate_params({
    "estimator": "no_validation", "X": ["array-like"], "y": ["array-like"],
    "ax": "no_validation", "label": [str, None],
})
def plot_predicted_vs_true(estimator, X, y, *, ax=None, label=None):
    """Predicted against true targets (all nodes and components), with the R².

    Parameters
    ----------
    estimator : fitted regressor
        :class:`~sklearn_symgn.SymbolicGNRegressor` or its ``symbolic_model_``.
    X, y : array-like or list of Data
        Inputs and targets, as for ``estimator.score``.
    ax : matplotlib Axes, default=None
    label : str, default=None
        Legend label (e.g. "network", "equations"); call twice on one ``ax`` to compare.

    Returns
    -------
    matplotlib.figure.Figure
    """
    y_pred = np.asarray(estimator.predict(X), dtype=np.float64).ravel()
    y_true = np.asarray(y, dtype=np.float64).ravel()
    if y_pred.shape != y_true.shape:
        raise ValueError(f"y has {y_true.size} values but the model predicts {y_pred.size}.")
    fig, (ax,) = _axes(ax, 1)
    score = r2_score(y_true, y_pred)
    ax.scatter(y_true, y_pred, s=3, alpha=0.4,
               label=f"{label + ': ' if label else ''}R² = {score:.3f}")
    lo, hi = np.percentile(np.r_[y_true, y_pred], [0.5, 99.5])
    ax.plot([lo, hi], [lo, hi], color="k", lw=0.8)
    ax.set(xlim=(lo, hi), ylim=(lo, hi), xlabel="true", ylabel="predicted")
    ax.legend()
    return fig
