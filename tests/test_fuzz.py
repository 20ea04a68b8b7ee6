"""Property-based: random malformed input to fit/predict only ever raises the documented errors."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import NotFittedError
from torch_geometric.data import Data

from sklearn_symgn import SymbolicGNRegressor

ALLOWED = (ValueError, TypeError, NotFittedError)
PARAMS = {"hidden_layer_sizes": (4,), "max_epochs": 1, "batch_size": 8, "random_state": 0}

values = st.one_of(
    st.floats(-1e3, 1e3, width=32),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0]),
)
shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
arrays = st.one_of(  # other dtypes: ints, booleans, complex numbers, strings
    hnp.arrays(np.int64, shapes, elements=st.integers(-5, 5)),
    hnp.arrays(np.bool_, shapes),
    hnp.arrays(np.complex64, shapes, elements=st.complex_numbers(max_magnitude=10, width=64)),
    hnp.arrays(np.dtype("U3"), shapes, elements=st.sampled_from(["a", "1.5", ""])),
)


@st.composite
def float_arrays(draw):
    """Float arrays of any small shape, sometimes poisoned with NaN or infinity."""
    shape = draw(shapes)
    return draw(hnp.arrays(np.float64, shape, elements=values))


@st.composite
def graph_lists(draw):
    graphs = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(0, 4))
        f = draw(st.integers(1, 3))
        x = draw(hnp.arrays(np.float32, (n, f), elements=st.floats(-10, 10, width=32)))
        g = Data(x=torch.from_numpy(x))
        if draw(st.booleans()):
            t = draw(st.sampled_from([(n,), (n, 2), (max(n - 1, 0),), (n, 1, 1)]))
            g.y = torch.from_numpy(draw(hnp.arrays(np.float32, t, elements=values.map(np.float32))))
        if draw(st.booleans()):
            e = draw(st.integers(0, 3))
            g.edge_index = torch.from_numpy(
                draw(hnp.arrays(np.int64, draw(st.sampled_from([(2, e), (e,), (3, e)])),
                                elements=st.integers(-1, 5)))
            )
        graphs.append(g)
    return graphs


MUTATIONS = ["none", "nan", "inf", "drop_axis", "add_axis", "samples", "nodes", "empty",
             "ints", "strings", "complex", "transpose"]


def _mutate(a, how, rng):
    if a is None or how == "none":
        return a
    a = np.array(a, dtype=np.float64)
    if how in ("nan", "inf") and a.size:
        a.flat[rng.integers(a.size)] = np.nan if how == "nan" else np.inf
        return a
    return {
        "drop_axis": lambda: a[..., 0],
        "add_axis": lambda: a[..., None],
        "samples": lambda: a[:-1],
        "nodes": lambda: a[:, :-1] if a.ndim > 1 else a,
        "empty": lambda: a[:0],
        "ints": lambda: a.astype(np.int64),
        "strings": lambda: a.astype(str),
        "complex": lambda: a.astype(np.complex64),
        "transpose": lambda: a.T,
    }.get(how, lambda: a)()


@st.composite
def near_valid(draw):
    """A valid ``(X, y, X_new)`` triple, then one random mutation of each part (often none)."""
    S, n, F, T = (draw(st.integers(lo, hi)) for lo, hi in ((1, 6), (1, 4), (1, 4), (1, 3)))
    X = draw(hnp.arrays(np.float64, (S, n, F), elements=st.floats(-10, 10, width=32)))
    y = draw(hnp.arrays(np.float64, (S, n, T), elements=st.floats(-10, 10, width=32)))
    X_new = draw(hnp.arrays(np.float64, (draw(st.integers(1, 3)), n, F),
                            elements=st.floats(-10, 10, width=32)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    mutation = st.sampled_from(MUTATIONS)
    return (_mutate(X, draw(mutation), rng), _mutate(y, draw(mutation), rng),
            _mutate(X_new, draw(mutation), rng))


wild = st.one_of(float_arrays(), arrays, graph_lists(),
                 st.sampled_from([None, "graphs", 3.0, {"x": 1}, [], [[1.0, 2.0], [3.0]]]))
triples = st.one_of(near_valid(), st.tuples(wild, st.one_of(st.none(), float_arrays(), arrays),
                                            wild))


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(triple=triples)
def test_fit_and_predict_raise_only_documented_errors(triple):
    X, y, X_new = triple
    torch.set_num_threads(1)
    model = SymbolicGNRegressor(**PARAMS)
    try:
        model.fit(X, y)
    except ALLOWED as err:
        event(f"fit: {type(err).__name__}")
        with pytest.raises(NotFittedError):
            model.predict(X_new)
        return
    try:
        pred = model.predict(X_new)
    except ALLOWED as err:
        event(f"fitted; predict: {type(err).__name__}")
        return
    event("fitted and predicted")
    assert np.all(np.isfinite(pred))  # never silently NaN


# ------------------------------------------------------------------------------------------------
# distill keywords: every setting of the distiller either works (finite equations) or raises a
# ValueError/TypeError, never a deep numpy/sympy/pyoperon error
# ------------------------------------------------------------------------------------------------
def _odd_values(*good):
    return st.one_of(st.sampled_from(good), st.sampled_from(
        [None, True, -1, 0, 1.5, 2**40, "auto", "ab", "", float("nan"), [1], (0.5,)]))


DISTILL_SETTINGS = st.fixed_dictionaries({}, optional={
    "n_components": _odd_values(1, 2, 3),
    "max_edges": _odd_values(50, 200, 10**6),
    "max_nodes": _odd_values(50, 200),
    "message_quantile": _odd_values("auto", 0.5, 1.0, 1, None),
    "message_form": _odd_values("auto", "central", "aligned", "raw", "radial"),
    "node_form": _odd_values("auto", "vector", "components"),
    "refit_constants": _odd_values(True, False),
    "target_names": _odd_values(["ax", "ay"], ["a"], ("u", "v"), "xy"),
    "random_state": _odd_values(0, 7, None),
    "extra_operators": _odd_values(("exp",), (), ("log", "exp"), ("banana",)),
})


@pytest.fixture(scope="module")
def fitted_spring():
    from sklearn_symgn.datasets import make_nbody

    X, y = make_nbody("spring", n_samples=40, random_state=0)
    model = SymbolicGNRegressor(**{**PARAMS, "hidden_layer_sizes": (8,)}).fit(X, y)
    return model, X, y


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(settings_=DISTILL_SETTINGS)
def test_distill_keywords_raise_only_documented_errors(fitted_spring, settings_):
    import copy

    from sklearn_symgn import MessageDistiller
    from sklearn_symgn.symbolic import OperonBackend

    model, X, y = fitted_spring
    model = copy.deepcopy(model)
    tiny = OperonBackend(max_time=None, generations=2, population_size=20, random_state=0)
    try:
        model.set_params(distiller=MessageDistiller(backend=tiny, **settings_))
        model.distill(X, y)
    except ALLOWED as err:
        event(f"distill: {type(err).__name__}")
        return
    event("distilled")
    assert np.all(np.isfinite(model.symbolic_model_.predict(X)))


# ------------------------------------------------------------------------------------------------
# column arguments: indices, names, or odd values; a fit either works with the columns asked
# for or raises a ValueError/TypeError naming the argument
# ------------------------------------------------------------------------------------------------
NAMES = ["x", "y", "vx", "vy", "q", "m"]
column_values = st.one_of(
    st.lists(st.one_of(st.integers(-8, 8), st.sampled_from(NAMES + ["w", ""])), max_size=4),
    st.sampled_from([None, "auto", "x", 0, 1.5, True, [0.5, 1.7], [True, False], (0, 0),
                     np.array([0, 1]), np.array([0.0, 1.0]), [[0, 1]], "xy", {"x": 0}]),
)
COLUMN_ARGUMENTS = st.fixed_dictionaries({}, optional={
    "position_columns": column_values, "receiver_columns": column_values,
    "node_columns": column_values,
})


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(columns=COLUMN_ARGUMENTS)
def test_column_arguments_work_or_raise_naming_the_argument(fitted_spring, columns):
    _, X, y = fitted_spring
    model = SymbolicGNRegressor(**PARAMS, feature_names=NAMES, **columns)
    try:
        model.fit(X, y)
    except ALLOWED as err:
        event(f"fit: {type(err).__name__}")
        assert any(name in str(err) for name in columns), (columns, err)
        return
    event("fitted")
    for name in ("position_columns", "node_columns"):
        resolved = getattr(model, name + "_")
        assert all(isinstance(c, int) and 0 <= c < len(NAMES) for c in resolved)
    assert np.all(np.isfinite(model.predict(X)))
