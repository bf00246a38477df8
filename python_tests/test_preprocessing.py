"""The preprocessing contract: against scipy, on real records, its edge cases, and the golden files."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import signal

from contract import golden
from contract import preprocessing as pp
from contract.labels import PTBXL_LEADS
from contract.records import read_record
from contract.synthetic import synthetic_ecg


def test_bandpass_equals_scipy_sosfiltfilt_on_real_record(ptbxl_dir):
    x = read_record(ptbxl_dir / "records100/00000/00008_lr", PTBXL_LEADS).signal
    ours = pp.bandpass(x)
    ref = signal.sosfiltfilt(pp.bandpass_sos(), x, axis=-1, padtype="odd")
    np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_real_window_is_standardized(ptbxl_dir):
    x = read_record(ptbxl_dir / "records100/00000/00008_lr", PTBXL_LEADS).signal
    w = pp.preprocess_window(x, 100).window
    assert w.dtype == np.float32 and w.shape == (12, 1000)
    np.testing.assert_allclose(w.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(w.std(axis=1), 1, atol=1e-4)


def test_bandpass_design():
    sos = pp.bandpass_sos()
    w, h = signal.sosfreqz(sos, worN=[0.05, 0.5, 10.0, 40.0, 49.0], fs=100)
    gain = np.abs(h) ** 2  # forward-backward squares the magnitude
    assert gain[0] < 1e-3 and gain[2] > 0.99 and gain[4] < 0.05
    assert abs(gain[1] - 0.5) < 0.01 and abs(gain[3] - 0.5) < 0.01  # -3 dB edges of one pass: 0.5 forward-backward


def test_antialias_removes_mains_above_model_nyquist():
    rate = 500
    t = np.arange(pp.input_length(rate)) / rate
    x = np.sin(2 * np.pi * 5 * t) + np.sin(2 * np.pi * 60 * t)  # 60 Hz would alias to 40 Hz at 100 Hz
    y = pp.resample_linear(pp.antialias(x[None], rate), rate)[0]
    ref = np.sin(2 * np.pi * 5 * np.arange(pp.WINDOW) / 100)
    assert np.abs(y - ref)[50:-50].max() < 0.05


@pytest.mark.parametrize("rate", pp.SUPPORTED_RATES)
def test_resampling_positions_are_exact(rate):
    """Output k sits at input position k*rate/100: a ramp stays a ramp."""
    n = pp.input_length(rate)
    ramp = np.arange(n, dtype=np.float64)[None]
    y = pp.resample_linear(ramp, rate)[0]
    np.testing.assert_allclose(y, np.arange(pp.WINDOW) * rate / 100, atol=1e-9)
    assert n == int(np.ceil(999 * rate / 100)) + 1


def test_flat_lead_uses_the_floor_not_a_division_by_zero():
    x = np.vstack([synthetic_ecg(100, 10, seed=3)[0], np.full(1000, 0.4)])
    pre = pp.preprocess_window(x, 100)
    assert np.isfinite(pre.window).all()
    assert pre.lead_std[1] < pp.STD_FLOOR and pre.lead_std[0] > 0.05
    assert np.abs(pre.window[1]).max() < 1.0


@pytest.mark.parametrize("bad,match", [
    (np.zeros(1000), "shaped \\[leads, n\\]"),
    (np.zeros((1, 999)), "too short: 999 samples at 100 Hz"),
    (np.full((2, 1000), np.nan), "non-finite samples"),
])
def test_bad_input(bad, match):
    with pytest.raises(pp.PreprocessingError, match=match):
        pp.preprocess_window(bad, 100)


def test_unsupported_rates():
    for rate in (50, 99, 128.5):
        with pytest.raises(pp.PreprocessingError, match="unsupported sample rate"):
            pp.preprocess_window(np.zeros((1, 5000)), rate)


def test_window_starts():
    assert pp.window_starts(3000, 100, 5.0) == [0, 500, 1000, 1500, 2000]
    assert pp.window_starts(999, 100, 5.0) == []
    assert pp.window_starts(9000, 300, 5.0) == [0, 1500, 3000, 4500, 6000]


def test_contract_numbers_are_json_and_complete():
    doc = json.loads(json.dumps(pp.contract_numbers()))
    assert set(doc["antialias"]["taps_by_rate"]) == {"125", "128", "130", "200", "250", "256", "300", "360", "500", "512"}
    assert doc["bandpass"]["padlen"] == 27 and len(doc["bandpass"]["sos"]) == 4
    assert doc["resample"]["input_samples_by_rate"]["130"] == 1300


def test_committed_golden_files_equal_regenerated(tmp_path):
    fresh = golden.write_golden(tmp_path)
    assert tmp_path / golden.QUALITY_FILE in fresh
    for path in fresh:
        committed = golden.GOLDEN_ROOT / path.relative_to(tmp_path)
        assert committed.is_file(), f"{committed} missing: run python -m contract.golden"
        assert json.loads(committed.read_text()) == json.loads(path.read_text()), f"{path.name} drifted"


@pytest.mark.parametrize("rate", golden.GOLDEN_RATES)
def test_golden_file_content_is_the_contract(rate):
    """Re-run each golden case through the contract from its stored input (independent of writing)."""
    doc = json.loads((golden.DEFAULT_OUT / f"preprocessing_{rate}hz.json").read_text())
    assert doc["schema"] == golden.SCHEMA and doc["rate_hz"] == rate and doc["tolerance"] == 1e-4
    for case in doc["cases"]:
        pre = pp.preprocess_window(np.array(case["input"]), rate)
        for key in ("antialiased", "resampled", "filtered", "window"):
            np.testing.assert_allclose(np.array(case[key]), getattr(pre, key), atol=1e-6, err_msg=key)
        assert np.array(case["window"]).shape == (case["leads"], pp.WINDOW)
