"""The shipped checkpoints: they load, fit their budgets, and reproduce the metrics they record."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from contract.decision import decide
from training import datasets, metrics
from training.checkpoint import load_bundle
from training.evaluate import validation_examples
from training.inference import predict, record_probabilities
from training.model import count_parameters

CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"


def test_ptbxl17_bundle_loads_within_budget():
    b = load_bundle(CHECKPOINTS / "lamscn_12lead_ptbxl17")
    assert b.task.name == "ptbxl17" and count_parameters(b.model) <= 100_000
    assert b.calibration_path is not None
    assert b.meta["metrics"]["macro_auroc"] >= 0.90


def test_ptbxl17_reproduces_its_fold9_metrics(ptbxl_dir):
    b = load_bundle(CHECKPOINTS / "lamscn_12lead_ptbxl17")
    val = [e for e in datasets.ptbxl_examples(ptbxl_dir) if e.fold == 9]
    ws = datasets.load_windows(val, b.task, progress=False)
    prob = record_probabilities(predict(b.model, ws.x, True), ws.record, len(ws.examples))
    rep = metrics.multilabel_report(ws.y, prob, np.array(b.thresholds), b.task.codes)
    assert rep["n"] == b.meta["metrics"]["n"]
    for key in ("macro_f1", "micro_f1", "macro_auroc"):
        assert rep[key] == pytest.approx(b.meta["metrics"][key], abs=1e-4), key


def test_cinc2017_bundle_reproduces_its_validation_metrics(cinc_dir):
    path = CHECKPOINTS / "lamscn_1lead_cinc2017"
    if not path.is_dir():
        pytest.skip("no shipped cinc2017 checkpoint")
    b = load_bundle(path)
    assert count_parameters(b.model) <= 50_000
    val = validation_examples(b.task, datasets.cinc2017_examples(cinc_dir), b.meta["provenance"])
    ws = datasets.load_windows(val, b.task, progress=False)
    prob = record_probabilities(predict(b.model, ws.x, False), ws.record, len(ws.examples))
    pred = decide(prob, np.array(b.thresholds), False).argmax(1)
    rep = metrics.singlelabel_report(ws.y, prob, b.task.codes, pred)
    assert rep["n"] == b.meta["metrics"]["n"]
    assert rep["f1_nao"] == pytest.approx(b.meta["metrics"]["f1_nao"], abs=1e-4)


def test_cinc2017_int8_pte_fits_a_watch():
    """The patch model's int8 .pte stays within the 100 KB target (fused blocks, 16-byte segments)."""
    from export.build import int8_program
    from export.executorch_lowering import SEGMENT_ALIGNMENT, lower_to_xnnpack

    path = CHECKPOINTS / "lamscn_1lead_cinc2017"
    if not path.is_dir():
        pytest.skip("no shipped cinc2017 checkpoint")
    program, source = int8_program(load_bundle(path), None, 1, 1000)
    assert source == "bundle"
    size = len(lower_to_xnnpack(program).buffer)
    assert SEGMENT_ALIGNMENT == 16 and size <= 100_000, size
