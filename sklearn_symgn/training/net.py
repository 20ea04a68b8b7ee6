"""The skorch net that trains a :class:`~sklearn_symgn.models.GraphNetwork`."""

from skorch import NeuralNet
from skorch.utils import to_tensor

from ..models.regularizers import message_penalty

__all__ = ["GraphNet"]


class GraphNet(NeuralNet):
    """skorch ``NeuralNet`` whose loss is the paper's: L1 error per node plus a message penalty.

    The module returns ``(prediction, raw_messages)``. The data term is the criterion (default
    ``L1Loss(reduction="sum")``) on targets divided by the module's ``y_scale`` and by the number of
    nodes; in training, :func:`~sklearn_symgn.models.regularizers.message_penalty` is added.

    Parameters
    ----------
    module : torch.nn.Module
        A :class:`~sklearn_symgn.models.GraphNetwork` (class or instance).
    regularization : {"standard", "bottleneck", "l1", "kl"}, default="standard"
        Which message penalty to add.
    regularization_strength : float, default=0.0
        Its weight.
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(self, module, *args, regularization="standard", regularization_strength=0.0, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.regularization = regularization
        self.regularization_strength = regularization_strength

    def get_loss(self, y_pred, y_true, X=None, training=False):
        pred, raw = y_pred
        y_true = to_tensor(y_true, device=self.device).reshape(pred.shape)
        scale = self.module_.y_scale
        n_nodes = pred.numel() // pred.shape[-1]
        loss = self.criterion_(pred / scale, y_true / scale) / max(n_nodes, 1)
        if training:
            loss = loss + message_penalty(
                raw, max(n_nodes, 1), self.regularization, self.regularization_strength
            )
        return loss
