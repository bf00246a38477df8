"""The frame sequencer's numbers and its one arithmetic rule (what :mod:`streaming.sequencer` and
the apps' sequencers share; the manifest's ``live.sequencer``)."""
from __future__ import annotations

import math

REORDER_DEPTH = 2
GAP_TOLERANCE_SAMPLES = 2.0
CLOCK_JUMP_SECONDS = 30.0
DUPLICATE_MEMORY = 16
GAP_ROUNDING = "floor(lateness_samples + 0.5)"


def missing_samples(lateness_samples: float) -> int:
    """Samples a gap lost: ``floor(d + 0.5)``, half rounded up, spelled the same in every language
    (Python's ``round`` rounds half to even, Kotlin's ``roundToInt`` and Swift's ``rounded()`` half up)."""
    return math.floor(lateness_samples + 0.5)


def sequencer_numbers() -> dict:
    """The sequencer's numbers, for the manifest."""
    return {"reorder_depth_frames": REORDER_DEPTH, "gap_tolerance_samples": GAP_TOLERANCE_SAMPLES,
            "clock_jump_seconds": CLOCK_JUMP_SECONDS, "duplicate_memory_frames": DUPLICATE_MEMORY,
            "gap_rounding": GAP_ROUNDING}
