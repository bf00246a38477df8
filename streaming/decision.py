"""From probabilities to the findings an app shows: per-class thresholds, then a debounce.

- **Above threshold**: multi-label models, every class with ``p >= threshold``; single-label
  (softmax) models, the most probable class (the first on ties) whatever its probability: the
  manifest's ``argmax`` rule, the one the single-label metrics are measured with.
- **Debounce**: a class is shown once it was above threshold in ``DEBOUNCE_WINDOWS`` consecutive
  classified windows, and hidden at the first classified window where it is not. A rejected
  window (gap, poor signal) resets every count: a finding never survives a break in the signal.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEBOUNCE_WINDOWS = 2


def above_threshold(probabilities: Sequence[float], thresholds: Sequence[float], multi_label: bool) -> list[bool]:
    """Which classes pass in one window (single-label: the argmax; thresholds are checked for shape only)."""
    p = np.asarray(probabilities, dtype=np.float64)
    t = np.asarray(thresholds, dtype=np.float64)
    if p.shape != t.shape:
        raise ValueError(f"{p.size} probabilities but {t.size} thresholds")
    if multi_label:
        return [bool(v) for v in p >= t]
    top = int(np.argmax(p))
    return [i == top for i in range(p.size)]


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
            "single_label": "argmax (first on ties)", "multi_label": "p >= threshold per class"}
