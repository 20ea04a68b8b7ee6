"""scikit-learn's estimator checks on tiny configurations of every estimator of the package.

* ``SymbolicGNRegressor`` with ``graph=NoEdges()``: a 2-D X is read as single-node graphs (the
  network reduces to its node model), which is what these generic checks exercise; graph inputs
  are covered by the other test modules.
* ``SymbolicHGNRegressor`` declares ``two_d_array=False`` (single-node graphs have no pairs, so
  there is nothing to learn): scikit-learn then runs only the checks that need no 2-D data.
* ``SymbolicGraphModel`` is built from equations, which fix its number of node features and
  targets: every check that fits it on generic data of another width fails with a clear
  ``ValueError`` naming both widths; those are the declared expected failures.
"""

import numpy as np
import sympy
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_symgn import SymbolicGNRegressor, SymbolicHGNRegressor
from sklearn_symgn.distillation import SymbolicGraphModel
from sklearn_symgn.distillation.variables import edge_variables
from sklearn_symgn.graphs import NoEdges
from sklearn_symgn.symbolic import Equation

WIDTH = "its equations fix the number of node features; generic data of another width is " \
        "rejected with a ValueError naming both"
SYMBOLIC_MODEL_FAILURES = {
    name: WIDTH for name in (
        "check_fit_score_takes_y", "check_estimators_overwrite_params",
        "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
        "check_readonly_memmap_input", "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit", "check_estimators_dtypes",
        "check_pipeline_consistency", "check_estimators_nan_inf", "check_estimators_pickle",
        "check_f_contiguous_array_estimator", "check_regressors_train",
        "check_regressors_no_decision_function", "check_supervised_y_2d",
        "check_methods_sample_order_invariance", "check_methods_subset_invariance",
        "check_fit2d_1feature", "check_dict_unchanged", "check_fit_idempotent",
        "check_fit_check_is_fitted", "check_fit2d_predict1d", "check_requires_y_none",
    )
}
SYMBOLIC_MODEL_FAILURES.update({
    "check_regressor_multioutput": "its node equations fix the number of targets",
    "check_n_features_in": "n_features_in_ is the length of feature_names, known before fit: "
                           "the equations are the model, fit only refits their constants",
})


def _tiny_network():
    return SymbolicGNRegressor(hidden_layer_sizes=(32,), max_epochs=30, batch_size=16, lr=1e-2,
                               regularization="standard", message_dim=2, random_state=0,
                               graph=NoEdges())


def _tiny_hamiltonian():
    return SymbolicHGNRegressor(hidden_layer_sizes=(16,), max_epochs=5, random_state=0)


def _symbolic_model():
    names = [f"x{k}" for k in range(10)]
    _, edge_names = edge_variables(np.zeros((1, 10)), np.zeros((1, 10)), [], names)
    x0, x1 = sympy.symbols("x0 x1")
    edge = Equation("phi1", edge_names, [1], [0.0], [sympy.Float(0.0)])
    node = Equation("y0", ["phi1", *names], [3], [0.0],
                    [sympy.Float(1.5) * x0 + sympy.Float(0.5) * x1])
    return SymbolicGraphModel([edge], [node], names, [], NoEdges(), ())


def _expected_failures(estimator):
    return SYMBOLIC_MODEL_FAILURES if isinstance(estimator, SymbolicGraphModel) else {}


@parametrize_with_checks([_tiny_network(), _tiny_hamiltonian(), _symbolic_model()],
                         expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
