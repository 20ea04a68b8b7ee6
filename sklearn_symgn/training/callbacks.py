"""skorch callbacks of the training loop."""

import math

from skorch.callbacks import Callback

__all__ = ["StopOnNonFiniteLoss", "TrainingDivergedError"]


class TrainingDivergedError(RuntimeError):
    """Training produced a non-finite (NaN or infinite) loss; the network's weights are unusable."""


class StopOnNonFiniteLoss(Callback):
    """Stop training at the first batch whose loss is NaN or infinite.

    After a non-finite loss the optimiser step has already written NaN into the weights, so no
    later epoch can recover and the network would predict NaN. Raising at once, with the epoch
    and batch, saves the remaining epochs and tells the user what to change.

    Raises
    ------
    TrainingDivergedError
        On the first non-finite training or validation loss.
    """

    def initialize(self):
        self.batch_ = 0
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.batch_ = 0

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        self.batch_ += 1
        value = float(loss.item()) if hasattr(loss, "item") else float(loss)
        if not math.isfinite(value):
            epoch = len(net.history)
            phase = "training" if training else "validation"
            raise TrainingDivergedError(
                f"Training diverged: the {phase} loss became {value} at epoch {epoch}, batch "
                f"{self.batch_}. The weights are no longer usable. Lower `lr`, check the inputs "
                "for extreme values (features or targets many orders of magnitude apart), or "
                "increase `batch_size`."
            )
