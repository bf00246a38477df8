"""Decision rules: from probabilities and per-class thresholds to the findings an app shows
(one definition, in the manifest's ``decision`` and ``live.debounce``).

- multi-label (``threshold``): class ``c`` is a finding when ``p[c] >= threshold[c]``.
- single-label (``scaled_argmax``): the finding is ``argmax_c p[c] / threshold[c]`` (the first on
  ties); with equal thresholds this is the plain arg-max, and a lower threshold favours its class
  (AF is tuned down so a wearable misses as few AF recordings as possible).
- a recording (a file, evaluation): window probabilities are averaged first (``mean_of_windows``).
- a live stream: each classified window is decided on its own, then **debounced**: a class is
  shown once it was above threshold in ``DEBOUNCE_WINDOWS`` consecutive classified windows, and
  hidden at the first classified window where it is not. A rejected window (gap, poor signal)
  resets every count: a finding never survives a break in the signal.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEBOUNCE_WINDOWS = 2


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


def above_threshold(probabilities: Sequence[float], thresholds: Sequence[float], multi_label: bool) -> list[bool]:
    """Which classes pass in one window (:func:`decide` on one row)."""
    p = np.asarray(probabilities, dtype=np.float64)
    t = np.asarray(thresholds, dtype=np.float64)
    if p.shape != t.shape:
        raise ValueError(f"{p.size} probabilities but {t.size} thresholds")
    return [bool(v) for v in decide(p, t, multi_label)[0]]


class Debouncer:
    """Consecutive above-threshold counts per class and the findings they show."""

    def __init__(self, num_classes: int, windows: int = DEBOUNCE_WINDOWS) -> None:
        self.windows = windows
        self.counts = [0] * num_classes

    def update(self, above: Sequence[bool]) -> list[bool]:
        """Count one classified window; return which classes are shown."""
        self.counts = [c + 1 if a else 0 for c, a in zip(self.counts, above, strict=True)]
        return self.shown()

    def reset(self) -> list[bool]:
        """A rejected window: every count back to zero."""
        self.counts = [0] * len(self.counts)
        return self.shown()

    def shown(self) -> list[bool]:
        return [c >= self.windows for c in self.counts]


def decision_section(multi_label: bool, poor_signal_code: str | None) -> dict:
    """The manifest's ``decision``: the rule, where each form applies, and the "too noisy" label."""
    return {
        "rule": rule_name(multi_label),
        "description": "class c is a finding when probabilities[c] >= labels[c].threshold" if multi_label
        else "the finding is argmax over c of probabilities[c] / labels[c].threshold (the first on ties)",
        "records": "mean_of_windows",
        "live": "per_window_debounced",
        "where": "records (a file, an evaluation): average the window probabilities, then decide once; live "
                 "streams: decide each classified window, then live.debounce",
        "poor_signal_label": poor_signal_code,
        "poor_signal": "a window whose decided class is poor_signal_label is shown as poor signal, never as a "
                       "finding" if poor_signal_code else "this task has no such label",
    }


def decision_numbers() -> dict:
    """The rule's numbers, for the manifest."""
    return {"debounce_windows": DEBOUNCE_WINDOWS, "rejected_window_resets": True,
            "single_label": "argmax of p / threshold (first on ties)", "multi_label": "p >= threshold per class"}
