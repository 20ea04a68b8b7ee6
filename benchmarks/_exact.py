"""The exact-form check shared by the benchmark scripts: is the composed law's pair term the
true law (its terms, each constant within 2 %, nothing else above 0.5 %)?"""

import numpy as np
import sympy


def pair_term(model):
    """The pair term of the composed law's first target (``ComposedLaw.pair_terms``), with
    ``1/q`` written ``q`` (charges of ±1), or ``None`` when the law is not linear in one pair
    sum."""
    pair = model.composed_law_.pair_terms()[0]
    if pair is None:
        return None
    q_i, q_j = sympy.symbols("q_i q_j")
    return pair.xreplace({1 / q_i: q_i, 1 / q_j: q_j})


def check_pair_law(model, x_receiver, x_sender, target, shapes, feature_names):
    """Exact-form check of ``model.composed_law_`` on edges.

    ``x_receiver``/``x_sender`` are the node features of each edge's ends, ``target`` the true
    contribution of the edge to the receiver's first target, ``shapes`` the true law's terms
    without their constants (see :func:`sklearn_symgn.metrics.law_form_match`).
    """
    from sklearn_symgn.distillation.variables import edge_variables
    from sklearn_symgn.metrics import law_form_match

    pair = pair_term(model)
    if pair is None:
        return {"exact_form": False, "exact_form_detail": "not a sum of pair terms"}
    table, variables = edge_variables(x_receiver, x_sender, list(model.position_columns_),
                                      list(feature_names))
    check = law_form_match(pair, shapes, table, variables, np.asarray(target, dtype=float))
    return {"exact_form": bool(check["match"]), "pair_law": str(pair), "exact_form_detail": {
        key: check[key] for key in ("coefficients", "missing", "extra", "deviation")}}
