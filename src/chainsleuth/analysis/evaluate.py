"""Clustering quality against ground truth, counted over address pairs.

Pairwise precision is the share of address pairs put in one cluster that truly belong
to one entity; recall is the share of true same-entity pairs that were put together
(the measure of Kappos et al. 2022 and the graphsense evaluations). Pairs are counted
from the contingency table of (predicted, true) labels, ``C(n, 2)`` per cell, so the
cost is a sort of the labels, never the O(n^2) pairs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from chainsleuth.errors import Invalid


def _pairs(counts: npt.NDArray[np.int64]) -> int:
    return int((counts * (counts - 1) // 2).sum())


def _counts(labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return np.unique(labels, return_counts=True)[1].astype(np.int64)


def pairwise_precision_recall(
    predicted: npt.ArrayLike, truth: npt.ArrayLike
) -> tuple[float, float]:
    """(precision, recall) of the partition ``predicted`` against ``truth``.

    Both give one label per item (e.g. a cluster id and an entity id per address). With
    no predicted (or true) pair, precision (or recall) is 1.0: nothing claimed is wrong.
    """
    pred = np.asarray(predicted).astype(np.int64)
    true = np.asarray(truth).astype(np.int64)
    if pred.shape != true.shape or pred.ndim != 1:
        raise Invalid(f"label arrays differ in shape: {pred.shape} and {true.shape}")
    _, pred_dense = np.unique(pred, return_inverse=True)
    _, true_dense = np.unique(true, return_inverse=True)
    cells = _counts(pred_dense.astype(np.int64) * (int(true_dense.max(initial=0)) + 1) + true_dense)
    both = _pairs(cells)
    claimed, real = _pairs(_counts(pred)), _pairs(_counts(true))
    return (both / claimed if claimed else 1.0, both / real if real else 1.0)
