"""Heart rate of one window from a simple R-peak detector, written to be ported line by line.

Input: one band-passed lead at the model rate (``Preprocessed.filtered[lead]``, 100 Hz).
Measured on 142 CinC 2017 normal-rhythm records (130 Hz replay, 10 s windows every 5 s): the
rate of windows of one record spread by a median 9% of their median (27% at the 90th
percentile); with ``|x|`` instead of the slope, T waves counted as beats and the spread was 18%.
A rough number for the screen, not a clinical heart rate.

1. ``a[i] = |x[i+1] - x[i]|`` (the slope: QRS complexes are the steepest part of a beat, T
   waves are not; either polarity). Peak ``i`` is the step from sample ``i`` to ``i+1``.
2. Threshold ``PEAK_FRACTION * s[floor(PEAK_PERCENTILE * (n - 1))]`` where ``s`` is ``a`` sorted
   ascending (an order statistic, no interpolation).
3. Candidates: ``1 <= i < n-1`` (``n`` = length of ``a``) with ``a[i] >= threshold``, ``a[i] >= a[i-1]`` and
   ``a[i] > a[i+1]``, in time order.
4. Greedy refractory rule: a candidate within ``REFRACTORY_SECONDS`` of the last kept peak replaces
   it when higher, else is dropped.
5. Heart rate ``60 * (peaks - 1) / ((last - first) / rate)`` (mean RR), or none with fewer than
   two peaks.
"""
from __future__ import annotations

import math

import numpy as np

PEAK_PERCENTILE = 0.99
PEAK_FRACTION = 0.5
REFRACTORY_SECONDS = 0.25


def r_peaks(x: np.ndarray, rate: int) -> list[int]:
    """Indices of the R peaks of ``x`` (one lead at ``rate`` Hz), as steps ``i -> i+1`` of steepest slope."""
    a = np.abs(np.diff(np.asarray(x, dtype=np.float64)))
    n = a.size
    if n < 3:
        return []
    threshold = PEAK_FRACTION * np.sort(a)[math.floor(PEAK_PERCENTILE * (n - 1))]
    refractory = REFRACTORY_SECONDS * rate
    peaks: list[int] = []
    for i in range(1, n - 1):
        if a[i] < threshold or a[i] < a[i - 1] or a[i] <= a[i + 1]:
            continue
        if peaks and i - peaks[-1] < refractory:
            if a[i] > a[peaks[-1]]:
                peaks[-1] = i
            continue
        peaks.append(i)
    return peaks


def heart_rate_bpm(x: np.ndarray, rate: int) -> float | None:
    """Mean heart rate over the window in beats per minute, or ``None`` with fewer than two peaks."""
    peaks = r_peaks(x, rate)
    if len(peaks) < 2:
        return None
    return 60.0 * (len(peaks) - 1) / ((peaks[-1] - peaks[0]) / rate)


def heart_rate_numbers() -> dict:
    """The detector's numbers, for the manifest."""
    return {"signal": "abs(diff(filtered lead)) at the model rate", "peak_percentile": PEAK_PERCENTILE,
            "peak_fraction": PEAK_FRACTION, "refractory_seconds": REFRACTORY_SECONDS, "rate": "mean RR",
            "lead": 0,
            "rule": "x = the filtered lead `lead` (band-passed, before z-scoring) at the model rate; a[i] = "
                    "|x[i+1] - x[i]|, n = len(a); none when n < 3; threshold = peak_fraction * s[floor("
                    "peak_percentile * (n - 1))] with s = a sorted ascending; candidates i in 1..n-2 in time order "
                    "with a[i] >= threshold, a[i] >= a[i-1], a[i] > a[i+1]; a candidate with i - (last kept peak) < "
                    "refractory_seconds * rate replaces that peak when a[i] is higher, else is dropped; "
                    "heart rate = 60 * (peaks - 1) / ((last - first) / rate) bpm, none (not shown) with fewer "
                    "than two peaks"}
