import numpy as np
import pytest
import torch

from sklearn_symgn.graphs import CompleteGraph, FixedGraph, KNNGraph, RadiusGraph


def _edges(ei):
    return set(map(tuple, ei.T.tolist()))


def test_complete_graph_offsets():
    ei = CompleteGraph().build(torch.zeros(2, 3, 2))
    assert ei.shape == (2, 12)
    assert _edges(ei) == {(j + 3 * b, i + 3 * b) for b in range(2) for i in range(3)
                          for j in range(3) if i != j}


def test_radius_and_knn_match_brute_force():
    pos = torch.tensor(np.random.default_rng(0).normal(size=(3, 6, 2)), dtype=torch.float32)
    d = torch.cdist(pos, pos)
    expected = {(b * 6 + j, b * 6 + i) for b in range(3) for i in range(6) for j in range(6)
                if i != j and d[b, i, j] < 1.0}
    assert _edges(RadiusGraph(1.0).build(pos)) == expected
    ei = KNNGraph(2).build(pos)
    assert ei.shape == (2, 3 * 6 * 2)
    for s, r in ei.T.tolist():
        b, i, j = r // 6, r % 6, s % 6
        others = sorted((d[b, i, k].item(), k) for k in range(6) if k != i)
        assert j in {k for _, k in others[:2]}


def test_fixed_graph_and_validation():
    g = FixedGraph([[0, 1], [1, 2]])
    g.check(3)
    assert _edges(g.build(torch.zeros(2, 3, 2))) == {(0, 1), (1, 2), (3, 4), (4, 5)}
    with pytest.raises(ValueError, match="outside"):
        FixedGraph([[0, 5], [1, 2]]).check(3)
    with pytest.raises(ValueError, match="self loops"):
        FixedGraph([[0, 1], [0, 2]]).check(3)
    with pytest.raises(ValueError, match="shape"):
        FixedGraph([0, 1]).check(3)
    with pytest.raises(ValueError, match="radius"):
        RadiusGraph(-1.0).check(3)
