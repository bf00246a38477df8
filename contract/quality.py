"""Signal quality of one window: the gate between a buffer and the model, defined once.

A window is classified only when every lead passes. The checks use the raw window (samples in
mV at the input rate) and the contract's intermediates (:mod:`contract.preprocessing`); every
number is in :func:`quality_numbers`, which the manifest carries so the apps use the same ones.

- **non_finite**: a NaN or infinite raw sample (nothing else is computed then).
- **flat**: some whole 1 s segment of the raw lead (consecutive segments from the window's
  start) has a peak-to-peak below ``FLAT_PTP_MV`` (electrode off, a lead held at a constant
  value), or the band-passed lead's std is below the preprocessing ``STD_FLOOR``. A flat stretch
  of 2 s or more always covers one whole segment; shorter ones may pass.
- **saturated**: at least ``SATURATION_FRACTION`` of the raw samples sit at the window's maximum
  or minimum (within ``SATURATION_TOLERANCE_MV``): the amplifier clipped.
- **implausible**: some raw sample beyond ``MAX_ABS_MV`` (the Polar H10's input range, ±20 mV):
  no ECG lead reaches it, so it is a scaling error (e.g. volts read as millivolts) or an
  artefact, not a signal to diagnose (z-scoring would otherwise hide the amplitude).
- **noisy**: ``rms(diff(filtered)) / rms(filtered)`` above ``NOISE_RATIO_MAX``. The first difference
  of the 0.5–40 Hz band at 100 Hz weighs high frequencies up: clean ECG concentrates its power in
  QRS and T waves well below 40 Hz, broadband muscle or electrode noise does not. Not judged on a
  lead whose std is below ``STD_FLOOR`` (already flat).

Measured when these numbers were set: lead I of the first 300 PTB-XL records (100 Hz) had a
smallest 1 s peak-to-peak of 0.040 mV and a largest noise ratio of 0.96; 598 CinC 2017 records
(300 Hz, all four classes) had a noise ratio of at most 0.79 at the 99th percentile and none was
flat or saturated. The largest |raw| sample over all leads of every third PTB-XL record of folds
1-6 and 9 (5,084) was 15.4 mV (99.9th percentile 8.6 mV), over all 3,411 CinC 2017 records 8.3 mV. Synthetic ECG reaches 1.0 with 0.3 mV of white noise. The low-frequency motion
artefacts of CinC's "noisy" class do *not* raise this ratio: that class is the model's to find.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from contract.preprocessing import STD_FLOOR, Preprocessed

FLAT_SEGMENT_SECONDS = 1.0
FLAT_PTP_MV = 0.03
SATURATION_FRACTION = 0.01
SATURATION_TOLERANCE_MV = 0.001
NOISE_RATIO_MAX = 1.0
MAX_ABS_MV = 20.0
REASONS = ("non_finite", "flat", "saturated", "implausible", "noisy")


@dataclass(frozen=True)
class LeadQuality:
    """The measured numbers of one lead and the reasons it fails (empty when it passes)."""

    min_segment_ptp_mv: float | None
    max_abs_mv: float | None
    std_mv: float | None
    saturated_fraction: float | None
    noise_ratio: float | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Quality:
    """The verdict on a window: ``ok`` when no lead has a reason to fail."""

    leads: tuple[LeadQuality, ...]
    reasons: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.reasons

    def to_dict(self) -> dict:
        return {"ok": self.ok, "reasons": list(self.reasons),
                "leads": [{"min_segment_ptp_mv": q.min_segment_ptp_mv, "max_abs_mv": q.max_abs_mv, "std_mv": q.std_mv,
                           "saturated_fraction": q.saturated_fraction, "noise_ratio": q.noise_ratio,
                           "reasons": list(q.reasons)} for q in self.leads]}


def min_segment_ptp(raw: np.ndarray, rate: int) -> float:
    """Smallest peak-to-peak over consecutive whole ``FLAT_SEGMENT_SECONDS`` segments at ``rate`` Hz."""
    seg = int(round(FLAT_SEGMENT_SECONDS * rate))
    n = raw.size // seg
    parts = raw[:n * seg].reshape(n, seg)
    return float((parts.max(axis=1) - parts.min(axis=1)).min())


def saturated_fraction(raw: np.ndarray) -> float:
    """Fraction of samples at the maximum or minimum of the lead (0 for a constant lead)."""
    hi, lo = raw.max(), raw.min()
    if hi - lo <= SATURATION_TOLERANCE_MV:
        return 0.0
    at_edge = (raw >= hi - SATURATION_TOLERANCE_MV) | (raw <= lo + SATURATION_TOLERANCE_MV)
    return float(at_edge.mean())


def noise_ratio(filtered: np.ndarray) -> float:
    """``rms(diff(x)) / rms(x)`` of the band-passed lead (0 for a zero lead)."""
    rms = float(np.sqrt(np.mean(filtered ** 2)))
    if rms == 0.0:
        return 0.0
    return float(np.sqrt(np.mean(np.diff(filtered) ** 2)) / rms)


def lead_quality(raw: np.ndarray, rate: int, filtered: np.ndarray, std: float) -> LeadQuality:
    """Every check on one lead: ``raw`` at ``rate`` Hz, ``filtered`` and its ``std`` from the contract."""
    ptp = min_segment_ptp(raw, rate)
    peak = float(np.abs(raw).max())
    sat = saturated_fraction(raw)
    noise = noise_ratio(filtered)
    reasons = []
    if ptp < FLAT_PTP_MV or std < STD_FLOOR:
        reasons.append("flat")
    if sat >= SATURATION_FRACTION:
        reasons.append("saturated")
    if peak > MAX_ABS_MV:
        reasons.append("implausible")
    if noise > NOISE_RATIO_MAX and std >= STD_FLOOR:  # the ratio of rounding residue means nothing
        reasons.append("noisy")
    return LeadQuality(ptp, peak, float(std), sat, noise, tuple(reasons))


def assess_quality(raw: np.ndarray, rate: int, pre: Preprocessed | None) -> Quality:
    """The verdict on a window ``raw`` ``[leads, n]`` (mV at ``rate`` Hz) and its contract intermediates.

    ``pre`` may be ``None`` only when ``raw`` holds non-finite samples (the contract refuses those).
    """
    raw = np.atleast_2d(np.asarray(raw, dtype=np.float64))
    if not np.isfinite(raw).all():
        bad = LeadQuality(None, None, None, None, None, ("non_finite",))
        ok = LeadQuality(None, None, None, None, None, ())
        return Quality(tuple(bad if not np.isfinite(r).all() else ok for r in raw), ("non_finite",))
    if pre is None:
        raise ValueError("assess_quality needs the preprocessed window for finite samples")
    need = pre.antialiased.shape[-1]
    leads = tuple(lead_quality(r[:need], rate, f, s) for r, f, s in zip(raw, pre.filtered, pre.lead_std))
    reasons = tuple(r for r in REASONS if any(r in q.reasons for q in leads))
    return Quality(leads, reasons)


def quality_numbers() -> dict:
    """Every threshold of the gate, for ``manifest.json``."""
    return {
        "checks": list(REASONS),
        "rule": "every check on every lead; a window is classified only when no lead has a reason; the window's "
                "reasons are listed in the order of checks. raw = the window's input_samples_by_rate[rate] samples "
                "in mV at the input rate; filtered = the band-passed lead at the model rate, before z-scoring",
        "non_finite": {"rule": "a NaN or infinite raw sample; then no other check is computed"},
        "flat": {"segment_seconds": FLAT_SEGMENT_SECONDS, "min_ptp_mv": FLAT_PTP_MV, "std_floor_mv": STD_FLOOR,
                 "signal": "raw (ptp), filtered (std)",
                 "rule": "seg = round(segment_seconds * rate); the raw lead cut into floor(n / seg) whole segments "
                         "from its start (a last partial segment is not checked: at 250 Hz, 9 segments of a "
                         "2,499-sample window); flat when min over segments of (max - min) < min_ptp_mv, or "
                         "std(filtered) < std_floor_mv"},
        "saturated": {"min_fraction_at_extremes": SATURATION_FRACTION, "tolerance_mv": SATURATION_TOLERANCE_MV,
                      "signal": "raw",
                      "rule": "hi, lo = max, min of the raw lead; fraction 0 when hi - lo <= tolerance_mv (a constant "
                              "lead), else the fraction of samples >= hi - tolerance_mv or <= lo + tolerance_mv; "
                              "saturated when fraction >= min_fraction_at_extremes"},
        "implausible": {"max_abs_mv": MAX_ABS_MV, "signal": "raw", "rule": "some |raw sample| > max_abs_mv"},
        "noisy": {"max_ratio": NOISE_RATIO_MAX, "statistic": "rms(diff(filtered)) / rms(filtered)",
                  "signal": "filtered",
                  "rule": "ratio 0 when rms(filtered) = 0; noisy when ratio > max_ratio and std(filtered) >= "
                          "flat.std_floor_mv (a flat lead is not judged noisy)"},
    }
