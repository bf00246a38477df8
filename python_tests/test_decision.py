"""Decision rules and single-label threshold tuning."""
from __future__ import annotations

import numpy as np

from contract.decision import decide
from training.metrics import noisy_gate, single_label_score, singlelabel_report
from training.thresholds import tune_single_label


def test_multilabel_threshold_rule():
    p = np.array([[0.2, 0.6], [0.5, 0.1]])
    assert decide(p, np.array([0.5, 0.5]), True).tolist() == [[False, True], [True, False]]


def test_scaled_argmax_equal_thresholds_is_argmax_and_lower_threshold_favours():
    p = np.array([[0.5, 0.3, 0.2]])
    assert decide(p, np.full(3, 1 / 3), False).argmax(1).tolist() == [0]
    assert decide(p, np.array([1 / 3, 0.15, 1 / 3]), False).argmax(1).tolist() == [1]
    assert decide(p, np.full(3, 1 / 3), False).sum() == 1


def test_tuning_reaches_the_af_recall_target():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 400)
    prob = rng.dirichlet(np.ones(4), 400)
    prob[np.arange(400), y] += 0.3  # informative but imperfect
    prob[y == 1, 1] -= 0.25  # AF under-called by arg-max
    prob = np.clip(prob, 1e-3, None)
    prob /= prob.sum(1, keepdims=True)
    codes = ["N", "A", "O", "~"]
    plain_recall = ((prob.argmax(1) == 1) & (y == 1)).sum() / (y == 1).sum()
    th = tune_single_label(y, prob, codes, min_recall=0.9)
    pred = decide(prob, th, False).argmax(1)
    recall = ((pred == 1) & (y == 1)).sum() / (y == 1).sum()
    assert plain_recall < 0.9 <= recall and th[1] < 0.25 and np.allclose(th[[0, 3]], 0.25)
    assert 0.10 <= th[2] <= 0.40  # "other rhythm" is tuned too, freely


def test_tuning_raises_an_under_called_class_and_scores_better():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 600)
    prob = rng.dirichlet(np.ones(4), 600)
    prob[np.arange(600), y] += 0.4
    prob[y == 2, 0] += 0.35  # "other rhythm" often looks normal to the model
    prob /= prob.sum(1, keepdims=True)
    codes = ["N", "A", "O", "~"]
    th = tune_single_label(y, prob, codes, min_recall=0.0)
    f1_o = lambda t: f1_score(y == 2, decide(prob, t, False).argmax(1) == 2)  # noqa: E731
    assert th[2] < 0.25 and f1_o(th) > f1_o(np.full(4, 0.25))


def f1_score(truth: np.ndarray, pred: np.ndarray) -> float:
    tp = (truth & pred).sum()
    return 2 * tp / (truth.sum() + pred.sum())


def test_noisy_gate_counts_rejections():
    y = np.array([3, 3, 3, 0, 1, 2, 0])
    pred = np.array([3, 0, 3, 3, 1, 2, 0])
    assert noisy_gate(y, pred, 3) == {"noisy": 3, "noisy_rejected": 2, "usable": 4, "usable_rejected": 1}
    rep = singlelabel_report(y, np.eye(4)[pred], ["N", "A", "O", "~"], pred)
    assert rep["noisy_gate"]["usable_rejected"] == 1


def test_selection_score_matches_the_report():
    """The tuner's and early stopping's score is the report's f1_nao (CinC codes) or its macro F1."""
    rng = np.random.default_rng(2)
    y = rng.integers(0, 4, 200)
    prob = rng.dirichlet(np.ones(4), 200)
    pred = prob.argmax(1)
    rep = singlelabel_report(y, prob, ["N", "A", "O", "~"], pred)
    assert single_label_score(y, pred, ["N", "A", "O", "~"]) == rep["f1_nao"]
    rep = singlelabel_report(y, prob, ["a", "b", "c", "d"], pred)
    assert single_label_score(y, pred, ["a", "b", "c", "d"]) == np.mean([pc["f1"] for pc in rep["per_class"]])


def test_tuning_picks_a_steady_point():
    """The recall target holds at the pick and at every neighbouring grid point (AF step 0.01, Other 0.02)."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 500)
    prob = rng.dirichlet(np.ones(4), 500)
    prob[np.arange(500), y] += 0.3
    prob[y == 1, 1] -= 0.2
    prob = np.clip(prob, 1e-3, None)
    prob /= prob.sum(1, keepdims=True)
    codes = ["N", "A", "O", "~"]
    th = tune_single_label(y, prob, codes, min_recall=0.9)
    for d_af in (-0.01, 0, 0.01):
        for d_o in (-0.02, 0, 0.02):
            t = th + np.array([0, d_af, d_o, 0])
            pred = decide(prob, t, False).argmax(1)
            assert ((pred == 1) & (y == 1)).sum() / (y == 1).sum() >= 0.9, (th, d_af, d_o)


def test_class_without_positives_is_n_a_and_left_out_of_the_macro():
    """#16 item 6: on a set where a class has no positives (an external set) its F1 is n/a, not 0,
    and the report says how many classes the macro covers."""
    import json

    from contract.labels import PTBXL17
    from training.metrics import multilabel_report
    from training.report import format_table, summary_line

    rng = np.random.default_rng(0)
    y = rng.random((300, 3)) < 0.3
    y[:, 2] = False
    prob = np.clip(0.4 * y + rng.random((300, 3)) * 0.6, 0, 1)
    rep = multilabel_report(y, prob, np.full(3, 0.5), ["a", "b", "c"])
    absent = rep["per_class"][2]
    assert absent["f1"] is None and absent["auroc"] is None and absent["precision"] is None
    assert rep["macro_classes"] == 2 and rep["classes_without_positives"] == ["c"]
    assert rep["macro_f1"] == np.mean([pc["f1"] for pc in rep["per_class"][:2]])
    json.dumps(rep, allow_nan=False)  # no NaN in what metrics.json gets
    task = type("T", (), {"multi_label": True, "name": PTBXL17.name})()
    table = format_table(task, rep)
    assert table.splitlines()[3].split()[2:6] == ["n/a"] * 4
    assert "macro over 2 of 3 classes; n/a (no positives in this set): c" in table
    assert summary_line(task, rep).endswith("macro_classes=2 n=300")
    every = multilabel_report(y[:, :2], prob[:, :2], np.full(2, 0.5), ["a", "b"])
    assert every["classes_without_positives"] == [] and "macro_classes" not in summary_line(task, every)
