"""The signal-quality gate: each check fires on its fault and stays quiet on clean ECG."""
import json

import numpy as np
import pytest

from contract import quality
from contract.preprocessing import STD_FLOOR, input_length, preprocess_window
from contract.quality import assess_quality, quality_numbers
from contract.synthetic import flatline, saturate, synthetic_ecg

RATE = 130


def verdict(x: np.ndarray, rate: int = RATE) -> quality.Quality:
    x = np.atleast_2d(x)[:, :input_length(rate)]
    return assess_quality(x, rate, preprocess_window(x, rate) if np.isfinite(x).all() else None)


@pytest.mark.parametrize("hr, af", [(45, False), (70, False), (150, False), (90, True)])
def test_clean_synthetic_passes(hr, af):
    q = verdict(synthetic_ecg(RATE, 11, heart_rate=hr, af=af, seed=hr))
    assert q.ok, q.to_dict()


def test_flat_stretch_of_two_seconds_fails_flat():
    x = flatline(synthetic_ecg(RATE, 11, seed=1), 3 * RATE + 17, 5 * RATE + 17)
    assert verdict(x).reasons == ("flat",)


def test_constant_lead_fails_flat_not_saturated():
    q = verdict(np.full((1, 1400), 0.25))
    assert q.reasons == ("flat",)
    assert q.leads[0].std_mv < STD_FLOOR


def test_clipping_fails_saturated():
    x = saturate(synthetic_ecg(RATE, 11, seed=2), 0.6)
    assert verdict(x).reasons == ("saturated",)


def test_white_noise_fails_noisy():
    x = synthetic_ecg(RATE, 11, seed=3, noise_mv=0.6)
    assert verdict(x).reasons == ("noisy",)


@pytest.mark.parametrize("gain, reasons", [(1.0, ()), (10.0, ()), (30.0, ("implausible",)), (1000.0, ("implausible",))])
def test_amplitude_beyond_the_sensor_range_fails_implausible(gain, reasons):
    """A 1 mV synthetic ECG read as 1 V (or 30 mV) is not classified; 10 mV, within any lead's range, is."""
    x = synthetic_ecg(RATE, 11, seed=6) * gain
    q = verdict(x)
    assert q.reasons == reasons, q.to_dict()
    assert q.leads[0].max_abs_mv == pytest.approx(np.abs(x[0, :input_length(RATE)]).max())


def test_nan_fails_non_finite_without_preprocessing():
    x = synthetic_ecg(RATE, 11, seed=4)
    x[0, 100] = np.nan
    q = verdict(x)
    assert q.reasons == ("non_finite",) and not q.ok


def test_one_bad_lead_fails_the_window_and_is_named():
    x = synthetic_ecg(RATE, 11, leads=2, seed=5)
    x[1] = 0.1
    q = verdict(x)
    assert q.reasons == ("flat",)
    assert q.leads[0].reasons == () and q.leads[1].reasons == ("flat",)


def test_numbers_are_the_module_constants_and_serialisable():
    n = json.loads(json.dumps(quality_numbers()))
    assert n["flat"]["min_ptp_mv"] == quality.FLAT_PTP_MV
    assert n["saturated"]["min_fraction_at_extremes"] == quality.SATURATION_FRACTION
    assert n["noisy"]["max_ratio"] == quality.NOISE_RATIO_MAX
    assert n["implausible"]["max_abs_mv"] == quality.MAX_ABS_MV == 20.0
    assert n["checks"] == list(quality.REASONS)


def test_quality_golden_file_is_the_gate_on_both_sides_of_every_bound():
    """golden/quality/quality_heart_rate.json (#12): re-run from its stored inputs; each bound has a
    case on each side that differ in exactly that reason."""
    import json

    from contract import golden
    from contract.heart_rate import heart_rate_bpm, r_peaks
    from contract.preprocessing import MODEL_RATE, preprocess_window

    doc = json.loads((golden.GOLDEN_ROOT / golden.QUALITY_FILE).read_text())
    assert doc["schema"] == golden.QUALITY_SCHEMA and doc["quality"] == quality_numbers()
    cases = {c["name"]: c for c in doc["cases"]}
    rate = doc["rate_hz"]
    for name, c in cases.items():
        x = np.array([[np.nan if v is None else v for v in c["input"]]])
        pre = preprocess_window(x, rate) if np.isfinite(x).all() else None
        q = assess_quality(x, rate, pre)
        assert list(q.reasons) == c["reasons"], name
        if pre is None:
            continue
        lq = q.leads[0]
        for key in ("min_segment_ptp_mv", "max_abs_mv", "std_mv", "saturated_fraction"):
            assert getattr(lq, key) == pytest.approx(c[key], abs=1e-9), (name, key)
        if c["noise_ratio"] is not None:
            assert lq.noise_ratio == pytest.approx(c["noise_ratio"], abs=1e-9) and lq.std_mv >= STD_FLOOR, name
            assert r_peaks(pre.filtered[0], MODEL_RATE) == c["r_peaks"], name
            assert heart_rate_bpm(pre.filtered[0], MODEL_RATE) == pytest.approx(c["heart_rate_bpm"]), name
    pairs = [("ptp_above_flat_bound", "ptp_below_flat_bound", "flat"), ("clipped_0_8pct", "clipped_1_2pct", "saturated"),
             ("peak_19_99mv", "peak_20_01mv", "implausible"), ("noise_ratio_0_99", "noise_ratio_1_03", "noisy")]
    for ok, bad, reason in pairs:
        assert set(cases[bad]["reasons"]) - set(cases[ok]["reasons"]) == {reason}, (ok, bad)
    assert cases["ramp_std_below_floor"]["reasons"] == ["flat"] and cases["ramp_std_below_floor"]["min_segment_ptp_mv"] > quality.FLAT_PTP_MV
    assert cases["one_spike"]["r_peaks"] and len(cases["one_spike"]["r_peaks"]) == 1 and cases["one_spike"]["heart_rate_bpm"] is None
    assert cases["non_finite"]["reasons"] == ["non_finite"] and cases["non_finite"]["std_mv"] is None
