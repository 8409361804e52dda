"""Union-find against hand-drawn groups and scipy's connected components."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from chainsleuth.analysis.unionfind import union_groups


def _csr(groups: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    indptr = np.zeros(len(groups) + 1, np.int64)
    indptr[1:] = np.cumsum([len(g) for g in groups])
    indices = np.array([a for g in groups for a in g], np.uint32)
    return indptr, indices


def test_hand_drawn_groups_and_smallest_member_ids() -> None:
    # tx0 co-spends 3 and 5; tx1 co-spends 5 and 1; tx2 (a CoinJoin) would join 0 and 6
    indptr, indices = _csr([[3, 5], [5, 1], [0, 6], [2]])
    use = np.array([True, True, False, True])
    clusters = union_groups(7, indptr, indices, use=use)
    assert clusters.tolist() == [0, 1, 2, 1, 4, 1, 6]
    assert union_groups(7, indptr, indices).tolist() == [0, 1, 2, 1, 4, 1, 0]


def test_same_partition_as_scipy_on_random_groups() -> None:
    rng = np.random.default_rng(7)
    n = 5_000
    sizes = np.minimum(rng.zipf(2.0, 3_000), 50)
    groups = [rng.integers(0, n, s).tolist() for s in sizes]
    indptr, indices = _csr(groups)
    ours = union_groups(n, indptr, indices)
    rows = np.repeat(np.arange(len(groups)), sizes)
    graph = coo_matrix((np.ones(len(indices)), (rows + n, indices)), shape=(n + len(groups),) * 2)
    _, labels = connected_components(graph, directed=False)
    labels = labels[:n]
    # same partition: ids share a cluster in ours iff they share a component in scipy
    pairs = {(int(a), int(b)) for a, b in zip(ours, labels, strict=True)}
    assert len(pairs) == len(set(ours.tolist())) == len(set(labels.tolist()))
    # and each cluster id is the smallest member
    for cid in sorted(set(ours.tolist()))[:100]:
        assert cid == int(np.flatnonzero(ours == cid).min())


def test_deterministic_whatever_the_group_order() -> None:
    rng = np.random.default_rng(1)
    groups = [rng.integers(0, 300, 3).tolist() for _ in range(200)]
    a = union_groups(300, *_csr(groups))
    b = union_groups(300, *_csr(groups[::-1]))
    assert np.array_equal(a, b)
