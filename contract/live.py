"""The live loop's device-independent numbers, gathered for the manifest's ``live`` section: hop,
sequencer, quality gate, heart rate, debounce and the no-data timeout, each from the module that
defines it."""
from __future__ import annotations

from contract.decision import decision_numbers
from contract.heart_rate import heart_rate_numbers
from contract.quality import quality_numbers
from contract.sequencing import sequencer_numbers

HOP_SECONDS = 5.0
NO_DATA_SECONDS = 5.0  # a subscribed sensor silent this long ends the session (Movesense fails silently)


def live_numbers(hop_seconds: float = HOP_SECONDS) -> dict:
    """What an app needs to run a stream besides preprocessing (the manifest's ``live``)."""
    return {"hop_seconds": hop_seconds, "sequencer": sequencer_numbers(), "quality": quality_numbers(),
            "heart_rate": heart_rate_numbers(), "debounce": decision_numbers(),
            "no_data_seconds": NO_DATA_SECONDS,
            "no_data_rule": "end the session with a 'no data' status when no ECG notification arrived for "
                            "no_data_seconds after the start command was written, or since the last one (a "
                            "Movesense answers a failed subscription with silence)"}
