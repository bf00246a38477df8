"""The frame sequencer's numbers and arithmetic rules (what :mod:`streaming.sequencer` and the apps'
sequencers share; the manifest's ``live.sequencer``): gap rounding, the sensor's estimated rate
(a strap's clock drifts by up to 5 %) and the contiguity tolerance."""
from __future__ import annotations

import math

REORDER_DEPTH = 2
GAP_TOLERANCE_SAMPLES = 2.0
CLOCK_JUMP_SECONDS = 30.0
DUPLICATE_MEMORY = 16
GAP_ROUNDING = "floor(lateness_samples + 0.5)"
MAX_CLOCK_DRIFT = 0.05  # the Polar H10's 130 Hz is +-2 %, +-5 % from -20 to +70 degC (Polar's H10 ECG notes)
RATE_ESTIMATE_SECONDS = 2.0  # a segment's own rate is used once its samples span this long


def missing_samples(lateness_samples: float) -> int:
    """Samples a gap lost: ``floor(d + 0.5)``, half rounded up, spelled the same in every language
    (Python's ``round`` rounds half to even, Kotlin's ``roundToInt`` and Swift's ``rounded()`` half up)."""
    return math.floor(lateness_samples + 0.5)


def estimated_rate(nominal_hz: float, samples: int, seconds: float, previous_hz: float) -> float:
    """The sensor's real sample rate over a segment: ``samples`` released between two first-sample
    times ``seconds`` apart, clamped to ``nominal * (1 +- MAX_CLOCK_DRIFT)``; ``previous_hz`` (the
    last estimate, or the nominal rate) until ``seconds`` reaches :data:`RATE_ESTIMATE_SECONDS`."""
    if seconds < RATE_ESTIMATE_SECONDS:
        return float(previous_hz)
    lo, hi = nominal_hz * (1 - MAX_CLOCK_DRIFT), nominal_hz * (1 + MAX_CLOCK_DRIFT)
    return min(max(samples / seconds, lo), hi)


def tolerance_samples(frame_samples: int) -> float:
    """How far (in samples) a frame may start from where the previous one ended and still be
    contiguous: :data:`GAP_TOLERANCE_SAMPLES` plus the drift one frame of ``frame_samples`` can show
    before the rate is estimated."""
    return GAP_TOLERANCE_SAMPLES + MAX_CLOCK_DRIFT * frame_samples


def sequencer_numbers() -> dict:
    """The sequencer's numbers, for the manifest."""
    return {"reorder_depth_frames": REORDER_DEPTH, "gap_tolerance_samples": GAP_TOLERANCE_SAMPLES,
            "clock_jump_seconds": CLOCK_JUMP_SECONDS, "duplicate_memory_frames": DUPLICATE_MEMORY,
            "gap_rounding": GAP_ROUNDING, "max_clock_drift": MAX_CLOCK_DRIFT,
            "rate_estimate_seconds": RATE_ESTIMATE_SECONDS,
            "rate_rule": "after each released frame: rate = clamp(samples / seconds, nominal * (1 - "
                         "max_clock_drift), nominal * (1 + max_clock_drift)), samples = that frame's stream index "
                         "minus the segment's first index, seconds = the difference of their first-sample times; "
                         "unchanged while seconds < rate_estimate_seconds (starts at the nominal rate, kept across "
                         "segments); it replaces the nominal rate in every sequencer rule",
            "tolerance_rule": "contiguous within gap_tolerance_samples + max_clock_drift * (samples in the "
                              "previous frame), in samples at the estimated rate"}
