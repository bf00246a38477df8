"""Decision rules: from probabilities and per-class thresholds to findings (one definition, in the manifest).

- multi-label (``threshold``): class ``c`` is a finding when ``p[c] >= threshold[c]``.
- single-label (``scaled_argmax``): the finding is ``argmax_c p[c] / threshold[c]``; with equal
  thresholds this is the plain arg-max, and a lower threshold favours its class (AF is tuned
  down so a wearable misses as few AF recordings as possible).
Records longer than one window: window probabilities are averaged first (``mean_of_windows``).
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import minimum_filter

from training.metrics import prf, single_label_score


def rule_name(multi_label: bool) -> str:
    """The manifest's name of the rule a task uses."""
    return "threshold" if multi_label else "scaled_argmax"


def decide(prob: np.ndarray, thresholds: np.ndarray, multi_label: bool) -> np.ndarray:
    """Boolean findings ``[n, classes]`` (exactly one per row for single-label tasks)."""
    prob, thresholds = np.atleast_2d(prob), np.asarray(thresholds, dtype=np.float64)
    if multi_label:
        return prob >= thresholds[None, :]
    pick = np.argmax(prob / thresholds[None, :], axis=1)
    return np.eye(prob.shape[1], dtype=bool)[pick]


def tune_single_label(y: np.ndarray, prob: np.ndarray, codes: list[str], boost_code: str = "A",
                      min_recall: float = 0.90, free_codes: tuple[str, ...] = ("O",)) -> np.ndarray:
    """Thresholds for ``scaled_argmax``, searched jointly on a grid: ``boost_code``'s (0.02–0.25)
    must bring its recall to ``min_recall``, ``free_codes``' (0.10–0.40) are free; the other classes
    keep ``1/k``.

    The pick is steady, not a lone peak: a grid point qualifies only when the recall holds at it
    and at all its grid neighbours, and qualifying points are ranked by their neighbourhood's worst
    ``f1_nao`` (macro F1 without N/A/O/~), then their own. Probabilities that move a little (int8
    rounding, another runtime) then keep the recall: a pick at the edge lost the patch model's int8
    ``.pte`` one AF recording. Fallbacks: the best score that reaches the recall, else the highest
    recall."""
    k = len(codes)
    base = np.full(k, 1.0 / k)
    if boost_code not in codes:
        return base
    c = codes.index(boost_code)
    free = [codes.index(f) for f in free_codes if f in codes and f != boost_code]
    grids = [np.round(np.arange(0.02, 1.0 / k + 1e-9, 0.01), 2)] + [np.round(np.arange(0.10, 0.401, 0.02), 2)] * len(free)
    shape = tuple(len(g) for g in grids)

    def at(idx: tuple[int, ...]) -> np.ndarray:
        th = base.copy()
        th[[c, *free]] = [g[i] for g, i in zip(grids, idx)]
        return th

    score, recall = np.zeros(shape), np.zeros(shape)
    for idx in np.ndindex(shape):
        pred = decide(prob, at(idx), False).argmax(axis=1)
        recall[idx] = prf(y == c, pred == c)[1]
        score[idx] = single_label_score(y, pred, codes)
    reaches = recall >= min_recall
    steady = minimum_filter(reaches, size=3, mode="nearest")
    if steady.any():
        key = np.where(steady, minimum_filter(score, size=3, mode="nearest"), -np.inf)
        best = max(zip(*np.nonzero(key == key.max())), key=lambda i: score[i])
    elif reaches.any():
        best = np.unravel_index(np.argmax(np.where(reaches, score, -np.inf)), shape)
    else:
        best = np.unravel_index(np.argmax(recall), shape)
    return at(best)
