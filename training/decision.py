"""Decision rules: from probabilities and per-class thresholds to findings (one definition, in the manifest).

- multi-label (``threshold``): class ``c`` is a finding when ``p[c] >= threshold[c]``.
- single-label (``scaled_argmax``): the finding is ``argmax_c p[c] / threshold[c]``; with equal
  thresholds this is the plain arg-max, and a lower threshold favours its class (AF is tuned
  down so a wearable misses as few AF recordings as possible).
Records longer than one window: window probabilities are averaged first (``mean_of_windows``).
"""
from __future__ import annotations

import itertools

import numpy as np

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
    keep ``1/k``. Among thresholds that reach the recall, the best ``f1_nao`` (macro F1 without it);
    when none reaches it, the highest recall."""
    k = len(codes)
    base = np.full(k, 1.0 / k)
    if boost_code not in codes:
        return base
    c = codes.index(boost_code)
    free = [codes.index(f) for f in free_codes if f in codes and f != boost_code]
    grids = [np.round(np.arange(0.02, 1.0 / k + 1e-9, 0.01), 2)] + [np.round(np.arange(0.10, 0.401, 0.02), 2)] * len(free)
    best, best_key = base, None
    for values in itertools.product(*grids):
        th = base.copy()
        th[[c, *free]] = values
        pred = decide(prob, th, False).argmax(axis=1)
        recall = prf(y == c, pred == c)[1]
        score = single_label_score(y, pred, codes)
        key = (recall >= min_recall, score if recall >= min_recall else recall)
        if best_key is None or key > best_key:
            best, best_key = th, key
    return best
