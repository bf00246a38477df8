"""Thresholds, debounce and the heart-rate detector."""
import numpy as np
import pytest

from contract.decision import DEBOUNCE_WINDOWS, Debouncer, above_threshold
from contract.heart_rate import heart_rate_bpm, r_peaks
from contract.preprocessing import MODEL_RATE, preprocess_window
from contract.synthetic import synthetic_ecg


def test_multi_label_uses_each_threshold():
    assert above_threshold([0.4, 0.6, 0.69], [0.3, 0.7, 0.69], True) == [True, False, True]


def test_single_label_is_the_scaled_argmax():
    assert above_threshold([0.5, 0.3, 0.2], [0.6, 0.1, 0.1], False) == [False, True, False]  # 0.83 < 3.0
    assert above_threshold([0.5, 0.3, 0.2], [1 / 3] * 3, False) == [True, False, False]  # equal: plain argmax
    assert above_threshold([0.2, 0.4, 0.4], [0.5, 0.5, 0.5], False) == [False, True, False]  # first on ties


def test_threshold_count_must_match():
    with pytest.raises(ValueError):
        above_threshold([0.1, 0.2], [0.5], True)


def test_debounce_shows_after_k_windows_and_resets_on_rejection():
    d = Debouncer(2)
    shown = [d.update([True, False]) for _ in range(DEBOUNCE_WINDOWS)]
    assert shown[-1] == [True, False] and all(s == [False, False] for s in shown[:-1])
    assert d.update([True, True]) == [True, DEBOUNCE_WINDOWS == 1]
    assert d.reset() == [False, False]
    assert d.update([True, True]) == [DEBOUNCE_WINDOWS == 1] * 2
    assert d.update([False, True])[0] is False


@pytest.mark.parametrize("hr", [40, 60, 75, 100, 140, 180])
def test_heart_rate_of_synthetic_ecg(hr):
    x = synthetic_ecg(130, 11, heart_rate=hr, seed=hr)
    pre = preprocess_window(x, 130)
    assert heart_rate_bpm(pre.filtered[0], MODEL_RATE) == pytest.approx(hr, rel=0.04)


def test_heart_rate_of_inverted_lead_is_the_same():
    x = synthetic_ecg(130, 11, heart_rate=80, seed=1)
    a = preprocess_window(x, 130).filtered[0]
    b = preprocess_window(-x, 130).filtered[0]
    assert r_peaks(a, MODEL_RATE) == r_peaks(-a, MODEL_RATE)
    assert heart_rate_bpm(b, MODEL_RATE) == pytest.approx(heart_rate_bpm(a, MODEL_RATE), rel=0.02)


def test_no_heart_rate_without_two_peaks():
    assert heart_rate_bpm(np.zeros(1000), MODEL_RATE) is None
    one = np.zeros(1000)
    one[500] = 1.0
    assert heart_rate_bpm(one, MODEL_RATE) is None


def test_heart_rate_is_steady_on_a_real_normal_rhythm_record():
    from pathlib import Path

    from streaming.records import read_record, resample
    record = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cinc2017" / "training" / "A00006"
    if not Path(str(record) + ".hea").is_file():
        pytest.skip(f"CinC 2017 record A00006 not present at {record} (shared data absent)")
    x, fs = read_record(str(record))
    y = resample(x, fs, 130)
    rates = [heart_rate_bpm(preprocess_window(y[None, s:s + 1300], 130).filtered[0], MODEL_RATE)
             for s in range(0, y.size - 1300 + 1, 650)]
    assert len(rates) == 5 and (max(rates) - min(rates)) / np.median(rates) < 0.15  # it was 0.35 with |x| (T waves counted)
