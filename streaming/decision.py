"""From probabilities to the findings an app shows: per-class thresholds, then a debounce.

- **Above threshold**: :func:`training.decision.decide`, the manifest's rule: multi-label models,
  every class with ``p >= threshold``; single-label (softmax) models, the class with the largest
  ``p / threshold`` (the first on ties), the rule the single-label metrics are measured with.
- **Debounce**: a class is shown once it was above threshold in ``DEBOUNCE_WINDOWS`` consecutive
  classified windows, and hidden at the first classified window where it is not. A rejected
  window (gap, poor signal) resets every count: a finding never survives a break in the signal.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from training.decision import decide

DEBOUNCE_WINDOWS = 2


def above_threshold(probabilities: Sequence[float], thresholds: Sequence[float], multi_label: bool) -> list[bool]:
    """Which classes pass in one window (:func:`training.decision.decide` on one row)."""
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


def decision_numbers() -> dict:
    """The rule's numbers, for the manifest."""
    return {"debounce_windows": DEBOUNCE_WINDOWS, "rejected_window_resets": True,
            "single_label": "argmax of p / threshold (first on ties)", "multi_label": "p >= threshold per class"}
