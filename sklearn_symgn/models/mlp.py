"""Multi-layer perceptrons used as edge and node models."""

from torch import nn

__all__ = ["ACTIVATIONS", "make_mlp", "reset_mlps"]

ACTIVATIONS = {"relu": nn.ReLU, "silu": nn.SiLU, "tanh": nn.Tanh, "softplus": nn.Softplus}


def make_mlp(in_features, hidden_layer_sizes, out_features, activation="relu"):
    """Build an MLP: ``Linear -> act`` for each hidden width, then a last ``Linear``.

    Parameters
    ----------
    in_features, out_features : int
        Input and output widths.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer (the paper uses ``(300, 300, 300)``).
    activation : {"relu", "silu", "tanh", "softplus"}, default="relu"
        Non-linearity between layers.

    Returns
    -------
    torch.nn.Sequential
    """
    widths = [in_features, *hidden_layer_sizes]
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), ACTIVATIONS[activation]()]
    layers.append(nn.Linear(widths[-1], out_features))
    return nn.Sequential(*layers)


def reset_mlps(*mlps):
    """Re-initialise every layer of the given MLPs (for a layer's ``reset_parameters``)."""
    for mlp in mlps:
        for layer in mlp:
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
