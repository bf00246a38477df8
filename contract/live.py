"""The live loop's device-independent numbers, gathered for the manifest's ``live`` section: hop,
sequencer, quality gate, heart rate and debounce, each from the module that defines it."""
from __future__ import annotations

from contract.decision import decision_numbers
from contract.heart_rate import heart_rate_numbers
from contract.quality import quality_numbers
from contract.sequencing import sequencer_numbers

HOP_SECONDS = 5.0


def live_numbers(hop_seconds: float = HOP_SECONDS) -> dict:
    """What an app needs to run a stream besides preprocessing (the manifest's ``live``)."""
    return {"hop_seconds": hop_seconds, "sequencer": sequencer_numbers(), "quality": quality_numbers(),
            "heart_rate": heart_rate_numbers(), "debounce": decision_numbers()}
