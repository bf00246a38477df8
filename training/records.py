"""Reading one WFDB record into millivolts, with one-line errors for every way it can be bad."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb

from training.preprocessing import MODEL_RATE


class RecordError(ValueError):
    """A record cannot be used; the message names the record and the problem."""


@dataclass(frozen=True)
class Record:
    """Samples ``[leads, n]`` in mV (leads in the requested order), rate in Hz, and the record's name."""

    name: str
    signal: np.ndarray
    rate: int
    leads: tuple[str, ...]


def read_record(path: str | Path, leads: tuple[str, ...]) -> Record:
    """Read WFDB record ``path`` (no extension) and return ``leads`` in that order.

    A one-lead task takes the record's only signal whatever its name (AliveCor calls it ``ECG``).
    """
    rec, name = _open(path)
    names = [str(n).upper() for n in rec.sig_name]
    if len(leads) == 1 and len(names) == 1:
        order = [0]
    else:
        if len(names) != len(leads):
            raise RecordError(f"record {name}: expected {len(leads)} leads, found {len(names)}")
        missing = [lead for lead in leads if lead.upper() not in names]
        if missing:
            raise RecordError(f"record {name}: missing lead(s) {', '.join(missing)} (has {', '.join(rec.sig_name)})")
        order = [names.index(lead.upper()) for lead in leads]
    return _millivolts(rec, name, order, tuple(leads))


def read_lead(path: str | Path, lead: str | None = None) -> Record:
    """One lead of any WFDB record (``path`` with or without ``.hea``): ``lead`` by name, else lead I,
    else the record's first signal."""
    rec, name = _open(path)
    names = [str(n).upper() for n in rec.sig_name]
    if lead is None:
        k = names.index("I") if "I" in names else 0
    elif lead.upper() in names:
        k = names.index(lead.upper())
    else:
        raise RecordError(f"record {name}: no lead {lead} (has {', '.join(rec.sig_name)})")
    return _millivolts(rec, name, [k], (str(rec.sig_name[k]),))


def _open(path: str | Path) -> tuple[wfdb.Record, str]:
    """The record read in physical units, checked for a header, readability, length and rate."""
    path = Path(path)
    if path.suffix == ".hea":
        path = path.with_suffix("")
    name = path.name
    if not path.with_suffix(".hea").is_file():
        raise RecordError(f"record {name}: header {path.with_suffix('.hea')} not found")
    try:
        rec = wfdb.rdrecord(str(path), physical=True)
    except Exception as e:  # wfdb raises many types for corrupt files; all mean "unreadable"
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RecordError(f"record {name}: unreadable WFDB ({type(e).__name__}: {msg})") from None
    sig = rec.p_signal
    if sig is None or sig.ndim != 2:
        raise RecordError(f"record {name}: no signal data")
    if rec.sig_len is not None and sig.shape[0] != rec.sig_len:
        raise RecordError(f"record {name}: truncated signal ({sig.shape[0]} of {rec.sig_len} samples)")
    rate = float(rec.fs)
    if rate != int(rate) or rate < MODEL_RATE:
        raise RecordError(f"record {name}: unsupported sample rate {rate:g} Hz (need an integer rate >= {MODEL_RATE} Hz)")
    return rec, name


def _millivolts(rec: wfdb.Record, name: str, order: list[int], leads: tuple[str, ...]) -> Record:
    """Signals ``order`` of ``rec`` as ``[leads, n]`` mV, refusing other units and NaN/inf samples."""
    units = {str(u).lower() for u in (np.asarray(rec.units)[order] if rec.units else [])}
    scale = 1.0
    if units == {"uv"}:
        scale = 1e-3
    elif units and units != {"mv"}:
        raise RecordError(f"record {name}: unsupported units {sorted(units)} (expected mV or uV)")
    x = rec.p_signal[:, order].T * scale
    bad = ~np.isfinite(x)
    if bad.any():
        leads_bad = sorted({leads[i] for i in np.nonzero(bad)[0]})
        raise RecordError(f"record {name}: {int(bad.sum())} NaN/inf samples in lead(s) {', '.join(leads_bad)}")
    return Record(name=name, signal=x, rate=int(rec.fs), leads=leads)
