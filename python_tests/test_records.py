"""WFDB reading on real shared records and on synthetic records the tests write, bad input included."""
from __future__ import annotations

import numpy as np
import pytest

from contract.labels import CINC2017, PTBXL17, PTBXL_LEADS
from contract.records import RecordError, read_lead, read_record
from contract.synthetic import synthetic_ecg
from python_tests.synthetic_data import write_record
from training.datasets import Example, load_windows


def test_real_ptbxl_record(ptbxl_dir):
    rec = read_record(ptbxl_dir / "records100/00000/00001_lr", PTBXL_LEADS)
    assert rec.signal.shape == (12, 1000) and rec.rate == 100
    assert 0.05 < np.abs(rec.signal).max() < 10  # millivolts, not ADC counts


def test_real_500hz_record_matches_100hz_after_resampling(ptbxl_dir):
    """PTB-XL's 100 Hz files are downsampled 500 Hz files: the contract's resampling must agree."""
    from contract.preprocessing import preprocess_window
    lo = preprocess_window(read_record(ptbxl_dir / "records100/00000/00001_lr", PTBXL_LEADS).signal, 100).window
    hi = preprocess_window(read_record(ptbxl_dir / "records500/00000/00001_hr", PTBXL_LEADS).signal, 500).window
    corr = [np.corrcoef(a, b)[0, 1] for a, b in zip(lo, hi)]
    # PTB-XL made its 100 Hz files with its own decimation filter: raw sample-for-sample agreement
    # is ~0.95-0.97 per lead, so the bar is the median lead correlation.
    assert np.median(corr) > 0.93 and min(corr) > 0.85, corr


def test_real_cinc_record(cinc_dir):
    rec = read_record(cinc_dir / "training/A00006", CINC2017.leads)
    assert rec.signal.shape == (1, 9000) and rec.rate == 300


def test_synthetic_record_round_trip_and_lead_order(tmp_path):
    x = synthetic_ecg(100, 10, leads=12, seed=1)
    shuffled = PTBXL_LEADS[::-1]
    path = write_record(tmp_path, "rev", x[::-1], 100, shuffled)
    rec = read_record(path, PTBXL_LEADS)
    np.testing.assert_allclose(rec.signal, x, atol=1e-3)  # 1 µV quantisation


def test_read_lead_picks_one_lead_by_name(tmp_path):
    """The simulator's reader: a named lead, else lead I, else the first signal; a .hea path works too."""
    x = synthetic_ecg(100, 10, leads=12, seed=1)
    path = write_record(tmp_path, "rev", x[::-1], 100, PTBXL_LEADS[::-1])
    np.testing.assert_allclose(read_lead(path).signal, x[:1], atol=1e-3)
    v2 = read_lead(f"{path}.hea", "v2")
    assert v2.leads == ("V2",) and np.allclose(v2.signal, x[7:8], atol=1e-3)
    with pytest.raises(RecordError, match=r"^record rev: no lead aVX \(has V6, "):
        read_lead(path, "aVX")
    path = write_record(tmp_path, "one", x[3:4], 100, ("ECG",))
    assert read_lead(path).leads == ("ECG",)


def test_flac_format_516(tmp_path):
    x = synthetic_ecg(100, 10, leads=12, seed=2)
    path = write_record(tmp_path, "flac", x, 100, PTBXL_LEADS, fmt="516")
    np.testing.assert_allclose(read_record(path, PTBXL_LEADS).signal, x, atol=1e-3)


def test_wrong_lead_count(tmp_path):
    path = write_record(tmp_path, "r8", synthetic_ecg(100, 10, leads=8), 100, PTBXL_LEADS[:8])
    with pytest.raises(RecordError, match=r"^record r8: expected 12 leads, found 8$"):
        read_record(path, PTBXL_LEADS)


def test_missing_lead_names(tmp_path):
    names = PTBXL_LEADS[:11] + ("X",)
    path = write_record(tmp_path, "rx", synthetic_ecg(100, 10, leads=12), 100, names)
    with pytest.raises(RecordError, match="missing lead"):
        read_record(path, PTBXL_LEADS)


def test_unsupported_rate(tmp_path):
    path = write_record(tmp_path, "r50", synthetic_ecg(50, 20, leads=12), 50, PTBXL_LEADS)
    with pytest.raises(RecordError, match="unsupported sample rate 50 Hz"):
        read_record(path, PTBXL_LEADS)


def test_missing_header(tmp_path):
    with pytest.raises(RecordError, match="header .* not found"):
        read_record(tmp_path / "nothing", PTBXL_LEADS)


def test_truncated_dat(tmp_path):
    path = write_record(tmp_path, "trunc", synthetic_ecg(100, 10, leads=12), 100, PTBXL_LEADS)
    dat = path.with_suffix(".dat")
    dat.write_bytes(dat.read_bytes()[:5000])
    with pytest.raises(RecordError, match=r"^record trunc: (truncated signal|unreadable WFDB)"):
        read_record(path, PTBXL_LEADS)


def test_corrupt_header(tmp_path):
    path = write_record(tmp_path, "bad", synthetic_ecg(100, 10, leads=12), 100, PTBXL_LEADS)
    path.with_suffix(".hea").write_text("this is not a header\n")
    with pytest.raises(RecordError, match="^record bad: unreadable WFDB"):
        read_record(path, PTBXL_LEADS)


def test_nan_samples(tmp_path):
    x = synthetic_ecg(100, 10, leads=12)
    path = write_record(tmp_path, "nan", x, 100, PTBXL_LEADS)
    # -32768 is WFDB's format-16 "invalid sample" value: it reads back as NaN
    raw = bytearray(path.with_suffix(".dat").read_bytes())
    raw[24 * 10:24 * 10 + 2] = (-32768).to_bytes(2, "little", signed=True)
    path.with_suffix(".dat").write_bytes(bytes(raw))
    with pytest.raises(RecordError, match="NaN/inf samples in lead"):
        read_record(path, PTBXL_LEADS)


def test_batch_loading_reports_and_skips_bad_records(tmp_path, capsys):
    good = write_record(tmp_path, "good", synthetic_ecg(100, 10, leads=12), 100, PTBXL_LEADS)
    short = write_record(tmp_path, "short", synthetic_ecg(100, 5, leads=12), 100, PTBXL_LEADS)
    eight = write_record(tmp_path, "eight", synthetic_ecg(100, 10, leads=8), 100, PTBXL_LEADS[:8])
    target = (0,) * 17
    ex = [Example("good", good, 1, target), Example("short", short, 1, target), Example("eight", eight, 1, target),
          Example("gone", tmp_path / "gone", 1, target)]
    ws = load_windows(ex, PTBXL17, progress=False)
    assert [e.record_id for e in ws.examples] == ["good"] and ws.x.shape == (1, 12, 1000)
    assert np.isfinite(ws.x).all()
    reasons = dict(ws.skipped)
    assert "too short" in reasons["short"] and "expected 12 leads" in reasons["eight"] and "not found" in reasons["gone"]
    assert capsys.readouterr().err.count("skipping record") == 3
