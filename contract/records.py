"""Reading one WFDB record into millivolts, with one-line errors for every way it can be bad."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb

from contract.preprocessing import MODEL_RATE


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
        try:
            header = wfdb.rdheader(str(path))
        except Exception:
            header = None
        if header is not None:
            _check_file_lengths(header, path.parent, name)  # says so when the header overstates the file
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RecordError(f"record {name}: unreadable WFDB ({type(e).__name__}: {msg})") from None
    _check_file_lengths(rec, path.parent, name)
    sig = rec.p_signal
    if sig is None or sig.ndim != 2:
        raise RecordError(f"record {name}: no signal data")
    if rec.sig_len is not None and sig.shape[0] != rec.sig_len:
        raise RecordError(f"record {name}: truncated signal ({sig.shape[0]} of {rec.sig_len} samples)")
    rate = float(rec.fs)
    if rate != int(rate) or rate < MODEL_RATE:
        raise RecordError(f"record {name}: unsupported sample rate {rate:g} Hz (need an integer rate >= {MODEL_RATE} Hz)")
    return rec, name


# bytes per sample of the fixed-width WFDB signal formats (FLAC formats 508/516/524 have none)
_BYTES_PER_SAMPLE = {"8": 1, "16": 2, "24": 3, "32": 4, "61": 2, "80": 1, "160": 2, "212": 1.5, "310": 4 / 3,
                     "311": 4 / 3}
_PACKED = {"212", "310", "311"}  # formats that may pad their last group of samples (by up to 4 bytes)


def _check_file_lengths(header: wfdb.Record, folder: Path, name: str) -> None:
    """Compare the header's sample count with the size of each fixed-width signal file: a file that
    holds more samples than the header says is a header/file mismatch (wfdb would quietly read only
    the first ones), one that holds fewer is truncated."""
    if not header.sig_len or not header.file_name:
        return
    frame_bytes: dict[str, float] = {}
    formats: dict[str, set[str]] = {}
    for k, file in enumerate(header.file_name):
        fmt = str(header.fmt[k])
        spf = (header.samps_per_frame or [1] * header.n_sig)[k] or 1
        frame_bytes[file] = frame_bytes.get(file, 0.0) + _BYTES_PER_SAMPLE.get(fmt, float("nan")) * spf
        formats.setdefault(file, set()).add(fmt)
    for file, size in frame_bytes.items():
        signal_file = folder / file
        if size != size or not signal_file.is_file():
            continue  # a compressed format, or a missing file (wfdb's own error names it)
        offset = (header.byte_offset or [None] * header.n_sig)[header.file_name.index(file)] or 0
        held = (signal_file.stat().st_size - offset) / size  # whole frames, plus any padding
        said = f"the header says {header.sig_len} samples, {file} holds {int(held)}"
        if held < header.sig_len:
            raise RecordError(f"record {name}: truncated signal file (header/file mismatch): {said}")
        if (held - header.sig_len) * size >= size + (4 if formats[file] & _PACKED else 0):
            raise RecordError(f"record {name}: header/file mismatch: {said}")


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
