"""The node law as one vector law: ``a_d = h(Σφ_d, v_d, m, q, ...)`` for every axis ``d``.

When the distilled messages are aligned with the position axes (central or aligned form) and
the targets are one per axis (accelerations), every component obeys the same law. Rows are
(node, axis) pairs; per-axis variables are the summed message of that axis (``phi_d``) and the
node's own component of every *vector feature* (columns named ``<prefix><position name>``, e.g.
``vx, vy`` for positions ``x, y``: ``v_d``); scalar features (``m``, ``q``) are shared. Absolute
positions are left out: a law of interacting bodies does not depend on where they are.
"""

import numpy as np
import sympy

from ..symbolic import Equation

__all__ = ["VectorLayout", "component_equations"]


class VectorLayout:
    """Which node features are per-axis and which are scalars, for given position columns.

    Parameters
    ----------
    feature_names : list of str
        Node feature names.
    position_columns : list of int
        Coordinate columns, in axis order.
    columns : list of int, default=None
        The columns the node model sees (``None``: all); the others are not variables.

    Attributes
    ----------
    groups : dict of str to list of int
        Per-axis variable name (``"v_d"``) to its column for each axis.
    scalars : list of int
        Columns shared by all axes (neither positions nor vector features).
    names : list of str
        Variables of the vector law: ``phi_d``, the groups, then the scalars.

    Examples
    --------
    >>> layout = VectorLayout(["x", "y", "vx", "vy", "q", "m"], [0, 1])
    >>> layout.names
    ['phi_d', 'v_d', 'q', 'm']
    """

    def __init__(self, feature_names, position_columns, columns=None):
        names = list(feature_names)
        axes = [names[p] for p in position_columns]
        self.groups = {}
        unseen = set() if columns is None else set(range(len(names))) - set(columns)
        used = set(position_columns) | unseen
        for k, name in enumerate(names):
            if k in used or not name.endswith(axes[0]):
                continue
            prefix = name[: len(name) - len(axes[0])]
            columns = [names.index(prefix + a) if prefix + a in names else None for a in axes]
            if prefix and None not in columns and not used & set(columns):
                self.groups[f"{prefix}_d"] = columns
                used |= set(columns)
        self.scalars = [k for k in range(len(names)) if k not in used]
        self.feature_names = names
        self.names = ["phi_d", *self.groups, *(names[k] for k in self.scalars)]

    def table(self, message_sums, x):
        """Rows ``(node, axis)``, axis-major: ``(n_nodes * dim, len(names))``."""
        dim = message_sums.shape[1]
        blocks = []
        for d in range(dim):
            cols = [message_sums[:, d]] + [x[:, c[d]] for c in self.groups.values()]
            blocks.append(np.column_stack(cols + [x[:, k] for k in self.scalars]))
        return np.concatenate(blocks)

    def substitution(self, axis):
        """Symbols of the vector law to the node variables of one axis."""
        subs = {sympy.Symbol("phi_d"): sympy.Symbol(f"phi{axis + 1}")}
        for group, columns in self.groups.items():
            subs[sympy.Symbol(group)] = sympy.Symbol(self.feature_names[columns[axis]])
        return subs


def component_equations(vector, layout, target_names, node_names):
    """Per-target equations over the node variables, each the vector law on its axis.

    The whole front is substituted, so a component keeps the vector law's front and choice.
    """
    equations = []
    for axis, target in enumerate(target_names):
        subs = layout.substitution(axis)
        equations.append(Equation(
            str(target), list(node_names), vector.complexity, vector.loss,
            [e.xreplace(subs) for e in vector.expressions], vector.selection,
            preferred=vector.index,
        ))
    return equations
