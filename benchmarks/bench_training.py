"""Time one training epoch: sklearn-symgn vs a straightforward PyG implementation.

Both train the same architecture (edge MLP on ``[p_j - p_i, r, o_i, o_j]``, sum aggregation, node
MLP on ``[x_i, sum m]``, same widths, L1 loss plus L1 message penalty, Adam) on the same simulated
4-body 2-D spring data with the same batch size, in this one process, on this machine. The
baseline is what a PyG user writes first: a list of ``Data`` objects fed by
``torch_geometric.loader.DataLoader`` and a ``MessagePassing`` layer with ``propagate``.

Usage: ``python benchmarks/bench_training.py [--n-samples 10000] [--epochs 3] [--threads 2]``
"""

import argparse
import time

import numpy as np
import torch
from torch import nn
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader
from torch_geometric.nn import MessagePassing

from sklearn_symgn import SymbolicGNRegressor
from sklearn_symgn.datasets import make_nbody


def mlp(a, hidden, b):
    layers, w = [], a
    for h in hidden:
        layers += [nn.Linear(w, h), nn.ReLU()]
        w = h
    return nn.Sequential(*layers, nn.Linear(w, b))


class BaselineGN(MessagePassing):
    """The paper's GN written the textbook PyG way."""

    def __init__(self, n_features, dim, message_dim, hidden):
        super().__init__(aggr="add")
        self.dim = dim
        self.edge_model = mlp(dim + 1 + 2 * (n_features - dim), hidden, message_dim)
        self.node_model = mlp(n_features + message_dim, hidden, dim)

    def forward(self, x, edge_index):
        return self.propagate(edge_index, x=x)

    def message(self, x_i, x_j):
        d = x_j[:, : self.dim] - x_i[:, : self.dim]
        r = d.norm(dim=-1, keepdim=True)
        m = self.edge_model(torch.cat([d, r, x_i[:, self.dim :], x_j[:, self.dim :]], -1))
        self.last_messages = m
        return m

    def update(self, aggr, x):
        return self.node_model(torch.cat([x, aggr], -1))


def baseline_epochs(X, y, epochs, batch_size, hidden, lr):
    n = X.shape[1]
    src, dst = zip(*[(j, i) for i in range(n) for j in range(n) if i != j])
    edge_index = torch.tensor([src, dst])
    graphs = [Data(x=torch.tensor(x, dtype=torch.float32), y=torch.tensor(t, dtype=torch.float32),
                   edge_index=edge_index) for x, t in zip(X, y)]
    model = BaselineGN(X.shape[-1], y.shape[-1], 100, hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(graphs, batch_size=batch_size, shuffle=True)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        for batch in loader:
            pred = model(batch.x, batch.edge_index)
            loss = (pred - batch.y).abs().sum() / batch.num_nodes
            loss = loss + model.last_messages.abs().sum() / batch.num_nodes
            opt.zero_grad()
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
    return times


def ours_epochs(X, y, epochs, batch_size, hidden, lr):
    model = SymbolicGNRegressor(regularization="l1", hidden_layer_sizes=hidden, max_epochs=epochs,
                                batch_size=batch_size, lr=lr, random_state=0)
    start = time.perf_counter()
    model.fit(X, y)
    total = time.perf_counter() - start
    return list(model.net_.history[:, "dur"]), total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--hidden", type=int, nargs="+", default=[128, 128, 128],
                        help="hidden widths of the default comparison")
    parser.add_argument("--sweep", action="store_true",
                        help="also compare other widths, from (32, 32) to the paper's (300, 300, 300)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    X, y = make_nbody("spring", n_samples=args.n_samples, random_state=0)
    configs = [tuple(args.hidden)]
    if args.sweep:
        configs += [h for h in [(32, 32), (64, 64, 64), (300, 300, 300)] if h != configs[0]]
    print(f"data: {args.n_samples} 4-body 2-D graphs, batch {args.batch_size}, {args.threads} "
          f"threads, torch {torch.__version__}; seconds per epoch, median of {args.epochs}")
    print(f"{'hidden':>16} | {'PyG DataLoader':>14} | {'sklearn-symgn':>13} | {'whole fit':>9} | speed-up")
    ratios = {}
    for hidden in configs:
        base = baseline_epochs(X, y, args.epochs, args.batch_size, hidden, 1e-3)
        ours, ours_total = ours_epochs(X, y, args.epochs, args.batch_size, hidden, 1e-3)
        b, o = float(np.median(base)), float(np.median(ours))
        ratios[hidden] = b / o
        print(f"{str(hidden):>16} | {b:14.3f} | {o:13.3f} | {ours_total:9.2f} | {b / o:.2f}x",
              flush=True)
    return ratios


if __name__ == "__main__":
    main()
