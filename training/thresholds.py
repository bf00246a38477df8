"""Threshold tuning for the rules of :mod:`contract.decision`: per class on a plateau of the
F1-vs-threshold curve (multi-label tasks), jointly for the scaled arg-max (single-label tasks)."""
from __future__ import annotations

import numpy as np
from scipy.ndimage import minimum_filter, uniform_filter1d

from contract.decision import decide
from training.metrics import prf, single_label_score

GRID = np.round(np.arange(0.02, 0.99, 0.01), 2)
SMOOTH_POINTS = 5  # half-width of the F1 curve's moving average, in grid steps (chosen by training.threshold_check)
PLATEAU_TOLERANCE = 0.005  # smoothed F1 within this of its best counts as the plateau


def f1_curve(y: np.ndarray, prob: np.ndarray, grid: np.ndarray = GRID) -> np.ndarray:
    """F1 of ``prob >= t`` against binary ``y`` for each threshold ``t`` of ``grid``."""
    y = np.asarray(y).astype(bool)
    pos, neg = np.sort(prob[y]), np.sort(prob[~y])
    tp = len(pos) - np.searchsorted(pos, grid, side="left")
    fp = len(neg) - np.searchsorted(neg, grid, side="left")
    denom = 2 * tp + fp + (len(pos) - tp)
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)


def tune_multi_label(y: np.ndarray, prob: np.ndarray, smooth_points: int = SMOOTH_POINTS,
                     grid: np.ndarray = GRID) -> np.ndarray:
    """Per-class thresholds for the ``threshold`` rule: the centre of the plateau of the F1 curve.

    The curve is averaged over ``2·smooth_points + 1`` grid steps (edges repeated), then the threshold
    is the middle of the contiguous run of grid points around its best whose smoothed F1 is within
    :data:`PLATEAU_TOLERANCE` of that best. A lone peak of one fold (a handful of positives just
    above some threshold) then no longer decides. ``smooth_points=0`` is the plain peak of the raw
    curve (the rule before issue 16). A class without positives gets 0.5."""
    out = np.full(y.shape[1], 0.5)
    for c in range(y.shape[1]):
        if y[:, c].sum() == 0:
            continue
        f1 = f1_curve(y[:, c], prob[:, c], grid)
        if smooth_points == 0:
            out[c] = grid[int(np.argmax(f1))]
            continue
        smooth = uniform_filter1d(f1, size=2 * smooth_points + 1, mode="nearest")
        best = int(np.argmax(smooth))
        on = smooth >= smooth[best] - PLATEAU_TOLERANCE
        lo, hi = best, best
        while lo > 0 and on[lo - 1]:
            lo -= 1
        while hi < len(grid) - 1 and on[hi + 1]:
            hi += 1
        out[c] = grid[(lo + hi) // 2]
    return out


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
