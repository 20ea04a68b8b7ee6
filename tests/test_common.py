"""scikit-learn's estimator checks on a tiny configuration.

A 2-D X is read as single-node graphs (the network reduces to its node model), which is what these
generic checks exercise; graph inputs are covered by the other test modules.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_symgn import SymbolicGNRegressor

EXPECTED_FAILURES = {}


def _tiny():
    return SymbolicGNRegressor(hidden_layer_sizes=(32,), max_epochs=30, batch_size=16, lr=1e-2,
                               regularization="standard", message_dim=2, random_state=0)


@parametrize_with_checks([_tiny()], expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    check(estimator)
