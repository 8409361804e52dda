"""Pairwise precision and recall from contingency counts, against brute force."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from chainsleuth.analysis.evaluate import pairwise_precision_recall
from chainsleuth.errors import Invalid


def _brute(pred: list[int], truth: list[int]) -> tuple[float, float]:
    pairs = list(combinations(range(len(pred)), 2))
    claimed = {p for p in pairs if pred[p[0]] == pred[p[1]]}
    real = {p for p in pairs if truth[p[0]] == truth[p[1]]}
    both = len(claimed & real)
    return (both / len(claimed) if claimed else 1.0, both / len(real) if real else 1.0)


def test_hand_made_partitions() -> None:
    # predicted {0,1} {2,3} {4}; truth {0,1,2} {3,4}: 1 of 2 claimed pairs right, 1 of 4 found
    assert pairwise_precision_recall([0, 0, 1, 1, 2], [0, 0, 0, 1, 1]) == (0.5, 0.25)
    assert pairwise_precision_recall([7, 7, 7], [1, 1, 1]) == (1.0, 1.0)
    # all singletons: nothing claimed, nothing found
    assert pairwise_precision_recall([0, 1, 2], [5, 5, 6]) == (1.0, 0.0)


def test_matches_brute_force_on_random_labels() -> None:
    rng = np.random.default_rng(11)
    for _ in range(20):
        pred = rng.integers(0, 8, 40).tolist()
        truth = (rng.integers(0, 6, 40) * 2**33).tolist()  # labels beyond 32 bits
        got = pairwise_precision_recall(pred, truth)
        assert got == pytest.approx(_brute(pred, truth))


def test_shapes_must_match() -> None:
    with pytest.raises(Invalid, match="differ in shape"):
        pairwise_precision_recall([0, 1], [0])
