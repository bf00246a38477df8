"""Signals for the simulator: the project's synthetic ECG or a WFDB record, at the device rate.

A record spec is ``synthetic`` or ``synthetic:key=value,...`` (keys ``seconds`` 60, at most 600,
``hr`` 70 in 20..300, ``af`` 0, ``seed`` 0, ``noise`` 0.01 mV, ``wander`` 0.1 mV, ``mains`` 0 mV;
every value a finite number) or the path of a WFDB record (with or without ``.hea``), read by the
training reader (:func:`contract.records.read_lead`: mV, one lead by name, else ``I``, else the
first signal) and brought to the device rate with a polyphase resampler
(:func:`scipy.signal.resample_poly`): that is the sensor's side, not the preprocessing contract.
"""
from __future__ import annotations

from math import gcd, isfinite

import numpy as np
from scipy import signal

from contract.records import RecordError, read_lead
from contract.synthetic import synthetic_ecg
from streaming.errors import InputError

SYNTHETIC_DEFAULTS = {"seconds": 60.0, "hr": 70.0, "af": 0.0, "seed": 0.0, "noise": 0.01, "wander": 0.1, "mains": 0.0}
MAX_SYNTHETIC_SECONDS = 600.0  # the generator's time grows with the square of the length: ~13 s at 600 s, 250 Hz
SYNTHETIC_HEART_RATES = (20.0, 300.0)  # beats per minute


def parse_synthetic(spec: str) -> dict[str, float]:
    """The options of a ``synthetic:key=value,...`` spec, defaults filled in."""
    opts = dict(SYNTHETIC_DEFAULTS)
    _, _, rest = spec.partition(":")
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in opts:
            raise InputError(f"record '{spec}': bad option '{item}' (known: {', '.join(opts)})")
        try:
            opts[key] = float(value)
        except ValueError:
            raise InputError(f"record '{spec}': option {key} needs a number, got '{value}'") from None
        if not isfinite(opts[key]):
            raise InputError(f"record '{spec}': option {key} must be a finite number, got '{value}'")
    if not 0 < opts["seconds"] <= MAX_SYNTHETIC_SECONDS:
        raise InputError(f"record '{spec}': seconds must be in (0, {MAX_SYNTHETIC_SECONDS:g}]")
    low, high = SYNTHETIC_HEART_RATES
    if not low <= opts["hr"] <= high:
        raise InputError(f"record '{spec}': hr must be in [{low:g}, {high:g}] beats per minute")
    if opts["noise"] < 0:
        raise InputError(f"record '{spec}': noise must be >= 0 mV")
    if opts["seed"] < 0 or opts["seed"] != int(opts["seed"]):
        raise InputError(f"record '{spec}': seed must be a whole number >= 0")
    return opts


def load_signal(spec: str, rate: int, lead: str | None = None) -> np.ndarray:
    """One lead in mV at ``rate`` Hz, float64 ``[n]``."""
    if spec == "synthetic" or spec.startswith("synthetic:"):
        o = parse_synthetic(spec)
        return synthetic_ecg(rate, o["seconds"], heart_rate=o["hr"], af=bool(o["af"]), seed=int(o["seed"]),
                             noise_mv=o["noise"], wander_mv=o["wander"], mains_mv=o["mains"])[0]
    return resample(*read_record(spec, lead), rate)


def read_record(path: str, lead: str | None = None) -> tuple[np.ndarray, int]:
    """``(samples in mV, rate)`` of one lead of a WFDB record (:func:`contract.records.read_lead`)."""
    try:
        rec = read_lead(path, lead)
    except RecordError as e:
        raise InputError(str(e)) from None
    return rec.signal[0].astype(np.float64), rec.rate


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling from ``rate_in`` to ``rate_out`` Hz."""
    if rate_in == rate_out:
        return x.copy()
    g = gcd(rate_in, rate_out)
    return signal.resample_poly(x, rate_out // g, rate_in // g)
