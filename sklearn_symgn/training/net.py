"""The skorch net that trains a :class:`~sklearn_symgn.models.GraphNetwork`."""

import signal
import threading

import numpy as np
from skorch import NeuralNet
from skorch.utils import to_numpy, to_tensor

__all__ = ["GraphNet"]


class _Interrupted(Exception):
    """Carries a Ctrl-C past skorch, which would swallow the ``KeyboardInterrupt``."""


class _SigintWatch:
    """Records whether a SIGINT arrived while active (main thread only: Python delivers
    signals there); the signal still raises ``KeyboardInterrupt`` as before."""

    signalled = False

    def __enter__(self):
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame):
        if callable(self._previous):  # Python's default raises KeyboardInterrupt; another
            try:                      # handler may choose not to, and is obeyed
                self._previous(signum, frame)
            except KeyboardInterrupt:
                self.signalled = True
                raise
        elif self._previous != signal.SIG_IGN:  # SIG_IGN: the user chose to ignore Ctrl-C
            self.signalled = True
            raise KeyboardInterrupt

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


class GraphNet(NeuralNet):
    """skorch ``NeuralNet`` whose loss is the paper's: L1 error per node plus a message penalty.

    The module returns ``(prediction, raw_messages)``. The data term is the criterion (default
    ``L1Loss(reduction="sum")``) on targets divided by the module's ``y_scale`` and by the number of
    nodes; in training, the message strategy's penalty is added.

    Parameters
    ----------
    module : torch.nn.Module
        A :class:`~sklearn_symgn.models.GraphNetwork` (class or instance).
    message_strategy : MessageStrategy, default=None
        Adds its ``penalty`` of the raw messages to the training loss; ``None``: no penalty.
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(self, module, *args, message_strategy=None, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.message_strategy = message_strategy

    def predict_batched(self, dataset, batch_size):
        """Like ``predict`` (the module's first output, in order), with ``batch_size`` graphs per
        forward pass instead of the training batch size."""
        kwargs = {**self.get_params_for("iterator_valid"), "batch_size": batch_size}
        outputs = []
        for batch in self.iterator_valid(dataset, **kwargs):
            out = self.evaluation_step(batch, training=False)
            outputs.append(to_numpy(out[0] if isinstance(out, tuple) else out))
        return np.concatenate(outputs, 0)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        pred, raw = y_pred
        y_true = to_tensor(y_true, device=self.device).reshape(pred.shape)
        scale = self.module_.y_scale
        n_nodes = pred.numel() // pred.shape[-1]
        loss = self.criterion_(pred / scale, y_true / scale) / max(n_nodes, 1)
        if training and self.message_strategy is not None:
            loss = loss + self.message_strategy.penalty(raw, max(n_nodes, 1))
        return loss

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's loop, but a Ctrl-C is not swallowed.

        skorch ends training quietly on ``KeyboardInterrupt`` and returns a half-trained net as
        if all were well. That is right for a callback's stop (skorch's ``EarlyStopping``
        raises ``KeyboardInterrupt``), wrong for the user's Ctrl-C: a SIGINT that arrives
        during the loop leaves it as ``_Interrupted`` (which skorch does not catch), and
        :meth:`partial_fit` raises it again as ``KeyboardInterrupt``.
        """
        with _SigintWatch() as watch:
            try:
                return super().fit_loop(X, y, epochs=epochs, **fit_params)
            except KeyboardInterrupt as interrupt:
                if watch.signalled:
                    raise _Interrupted from interrupt
                raise  # a callback's stop: skorch ends training as it should

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        try:
            return super().partial_fit(X, y, classes, **fit_params)
        except _Interrupted:
            raise KeyboardInterrupt("training interrupted") from None
