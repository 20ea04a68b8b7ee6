"""Ctrl-C: a SIGINT sent to a process during fit or distill raises KeyboardInterrupt there and
leaves a consistent estimator (unfitted after an interrupted fit; the fitted network, without
half a distillation, after an interrupted distill)."""

import json
import subprocess
import sys
import textwrap

SETUP = textwrap.dedent("""
    import json, os, signal, threading
    from skorch.callbacks import Callback
    from sklearn_symgn import MessageDistiller, SymbolicGNRegressor
    from sklearn_symgn.datasets import make_nbody
    from sklearn_symgn.symbolic import OperonBackend

    X, y = make_nbody("spring", n_samples=64, random_state=0)

    def state(model, outcome):
        fitted = sorted(k for k in vars(model) if k.endswith("_") and not k.startswith("_"))
        print(json.dumps({"outcome": outcome, "fitted": fitted}))
""")

FIT = SETUP + textwrap.dedent("""
    class SigintAt(Callback):  # the signal a terminal's Ctrl-C sends, during the second epoch
        def on_batch_end(self, net, **kwargs):
            if len(net.history) == 2:
                os.kill(os.getpid(), signal.SIGINT)

    model = SymbolicGNRegressor(max_epochs=50, hidden_layer_sizes=(8,), batch_size=16,
                                callbacks=[SigintAt()], random_state=0)
    try:
        model.fit(X, y)
        state(model, "returned")
    except KeyboardInterrupt:
        state(model, "interrupted")
""")

DISTILL = SETUP + textwrap.dedent("""
    endless = OperonBackend(max_time=None, generations=10**6, early_stopping=False,
                            population_size=200, random_state=0)
    model = SymbolicGNRegressor(max_epochs=1, hidden_layer_sizes=(8,), random_state=0,
                                distiller=MessageDistiller(backend=endless)).fit(X, y)
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
    try:
        model.distill(X, y)
        state(model, "returned")
    except KeyboardInterrupt:
        model.predict(X)  # the network is intact
        state(model, "interrupted")
""")


def _run(code):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env={"OMP_NUM_THREADS": "1", **_env()})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _env():
    import os

    return {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}


def test_ctrl_c_during_fit_raises_and_leaves_an_unfitted_estimator():
    result = _run(FIT)
    assert result == {"outcome": "interrupted", "fitted": []}


def test_ctrl_c_during_distill_raises_and_keeps_the_network_only():
    result = _run(DISTILL)
    assert result["outcome"] == "interrupted"
    assert "net_" in result["fitted"]
    assert not {"edge_equations_", "symbolic_model_", "composed_law_"} & set(result["fitted"])


def test_a_sigint_handler_of_the_users_own_is_obeyed():
    """A program that handles SIGINT itself (and does not raise) keeps training."""
    import os
    import signal

    from skorch.callbacks import Callback

    from sklearn_symgn import SymbolicGNRegressor
    from sklearn_symgn.datasets import make_nbody

    received = []

    class SigintAt(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 1:
                os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        X, y = make_nbody("spring", n_samples=32, random_state=0)
        model = SymbolicGNRegressor(max_epochs=3, hidden_layer_sizes=(8,), batch_size=16,
                                    callbacks=[SigintAt()], random_state=0).fit(X, y)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert received == [signal.SIGINT]
    assert len(model.net_.history) == 3
