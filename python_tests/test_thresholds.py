"""Multi-label threshold tuning (the plateau rule of issue 16) and its split-half check."""
from __future__ import annotations

import numpy as np
import pytest

from training.metrics import prf
from training.threshold_check import macro_f1, main, split_half
from training.thresholds import GRID, f1_curve, tune_multi_label


def labelled(n: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Multi-hot labels and informative but noisy probabilities."""
    rng = np.random.default_rng(seed)
    y = rng.random((n, classes)) < np.linspace(0.03, 0.3, classes)
    prob = np.clip(0.35 * y + rng.beta(2, 5, (n, classes)), 0, 1)
    return y, prob


def test_f1_curve_is_f1_at_each_threshold():
    y, prob = labelled(300, 3, 0)
    for c in range(3):
        assert f1_curve(y[:, c], prob[:, c]) == pytest.approx([prf(y[:, c], prob[:, c] >= t)[2] for t in GRID])


def test_peak_rule_is_the_raw_argmax_and_a_class_without_positives_gets_half():
    y, prob = labelled(300, 4, 1)
    y[:, 3] = False
    th = tune_multi_label(y, prob, smooth_points=0)
    for c in range(3):
        f1 = [prf(y[:, c], prob[:, c] >= t)[2] for t in GRID]
        assert th[c] == GRID[int(np.argmax(f1))]
    assert th[3] == 0.5


def test_plateau_rule_takes_the_middle_of_a_flat_run_not_its_edge():
    """Negatives up to 0.6, two positives far above them: F1 is flat from 0.61 to 0.95. The peak rule
    takes the run's first point, next to the negatives, so probabilities 0.02 higher (another runtime,
    int8) add false positives; the plateau rule takes the middle and keeps its F1."""
    rng = np.random.default_rng(2)
    prob = np.concatenate([rng.uniform(0.0, 0.6, 400), [0.95, 0.96], [0.55, 0.58]])[:, None]
    y = np.zeros(prob.shape, bool)
    y[-4:] = True
    peak = tune_multi_label(y, prob, smooth_points=0)[0]
    plateau = tune_multi_label(y, prob, smooth_points=5)[0]
    assert peak <= 0.61 and 0.7 <= plateau <= 0.85, (peak, plateau)
    moved = prob + 0.02
    assert prf(y[:, 0], moved[:, 0] >= peak)[2] < prf(y[:, 0], prob[:, 0] >= peak)[2]
    assert prf(y[:, 0], moved[:, 0] >= plateau)[2] == prf(y[:, 0], prob[:, 0] >= plateau)[2]


def test_split_half_scores_both_directions_and_the_peak_rule_is_optimistic():
    y, prob = labelled(600, 5, 3)
    r = split_half(y, prob, 0, splits=10, seed=0)
    assert r.shape == (20, 2)
    assert r[:, 0].mean() > r[:, 1].mean()  # tuned on a half, it scores better on that half
    assert np.array_equal(r, split_half(y, prob, 0, splits=10, seed=0))  # seeded: the same splits
    th = tune_multi_label(y, prob, 0)
    assert macro_f1(y, prob, th) == pytest.approx(np.mean([prf(y[:, c], prob[:, c] >= th[c])[2] for c in range(5)]))


def test_check_refuses_a_single_label_bundle_in_one_line(capsys):
    from pathlib import Path
    bundle = Path(__file__).resolve().parent.parent / "checkpoints" / "lamscn_1lead_cinc2017"
    if not bundle.is_dir():
        pytest.skip("no shipped cinc2017 checkpoint")
    assert main(["--checkpoint", str(bundle), "--data", "/nonexistent"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "single-label" in err and "\n" not in err


def test_check_without_usable_validation_records_is_one_line(tmp_path, capsys):
    """A data folder without the bundle's validation fold: one line, no traceback (the shared
    training.evaluate.validation_probabilities, as retune uses)."""
    from pathlib import Path

    from python_tests.synthetic_data import write_ptbxl

    bundle = Path(__file__).resolve().parent.parent / "checkpoints" / "lamscn_12lead_ptbxl17"
    data = write_ptbxl(tmp_path / "ptbxl", per_fold=2, folds=(1,))
    assert main(["--checkpoint", str(bundle), "--data", str(data), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {data}: none of the 0 validation records is usable", err
