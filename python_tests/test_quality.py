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
