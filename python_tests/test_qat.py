"""Quantization-aware fine-tuning (export.qat): the fake-quant graph is the eager model when it does not
quantize, the loss terms are what they say, fine-tuning lowers the int8/fp32 disagreement it is
trained on and its weights reach the eager model, and the command writes a loadable, calibrated bundle."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from export.calibration import read_calibration
from export.qat import (calibrate_fake_quant, consistency_loss, copy_weights_back, fake_quant_graph, fine_tune,
                        set_fake_quant)
from python_tests.export_fixtures import REPO, THREADS_ENV, synthetic_dataset, train_tiny_bundle
from python_tests.synthetic_data import write_ptbxl
from training.checkpoint import load_bundle, write_metadata
from training.model import WithProbabilities, tiny_lamscn


def _model(seed: int = 0) -> torch.nn.Module:
    """A tiny 12-lead model whose BatchNorm statistics are far from the defaults, so a graph that
    used batch statistics (train mode) instead of the running ones would not match it."""
    torch.manual_seed(seed)
    model = tiny_lamscn(12, 17)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    return model.eval()


@pytest.fixture(scope="module")
def windows() -> tuple[torch.Tensor, torch.Tensor]:
    x, y = synthetic_dataset(12, 17, 48, seed=3)
    return torch.from_numpy(x), torch.from_numpy(y)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> torch.nn.Module:
    """The tiny 12-lead test bundle's trained model (its probabilities spread, unlike an untrained one's)."""
    return load_bundle(train_tiny_bundle(tmp_path_factory.mktemp("qat") / "tiny", "ptbxl17")).model.eval()


def test_graph_without_fake_quantization_is_the_eager_model(windows):
    x, _ = windows
    model = _model()
    graph = fake_quant_graph(model, True, 12, x.shape[-1])
    calibrate_fake_quant(graph, x[:32])
    eager = WithProbabilities(model, True).eval()(x[:8]).detach()
    set_fake_quant(graph, quantize=False)
    # measured ~3e-7 (float rounding); a train-mode BatchNorm would differ by ~0.1
    assert torch.allclose(graph(x[:8]), eager, atol=1e-5)
    set_fake_quant(graph, quantize=True)
    # quantized, it must differ (measured 6.6e-4 on these windows, an untrained model's outputs sit
    # near 0.5): the fake quantizers are live
    assert (graph(x[:8]) - eager).abs().max() > 1e-4


def test_consistency_loss_is_mean_plus_tail_of_squared_differences():
    p_f = torch.full((10, 10), 0.5)
    p_q = p_f.clone()
    p_q[0, 0] += 0.3  # one large difference among 100 values: the top 2 % are it and one zero
    got = consistency_loss(p_q, p_f)
    assert got.item() == pytest.approx(0.09 / 100 + 0.09 / 2, rel=1e-5)
    assert consistency_loss(p_f, p_f).item() == 0.0


def test_fine_tuning_lowers_the_disagreement_and_its_weights_reach_the_eager_model(windows, trained):
    x, y = windows
    model = trained
    graph = fake_quant_graph(model, True, 12, x.shape[-1])
    calibrate_fake_quant(graph, x[:32])

    def disagreement() -> float:
        with torch.no_grad():
            set_fake_quant(graph, quantize=True)
            p_q = graph(x)
            set_fake_quant(graph, quantize=False)
            p_f = graph(x)
            set_fake_quant(graph, quantize=True)
        return consistency_loss(p_q, p_f).item()

    before = disagreement()
    args = type("Args", (), {"lr": 3e-3, "weight_decay": 0.0, "epochs": 10, "batch_size": 16, "noise": 0.0,
                             "scale": 0.0, "seed": 0, "consistency": 1000.0})()
    history = fine_tune(graph, x.numpy(), y.numpy(), True, args, torch.ones(17), log=lambda _: None)
    after = disagreement()
    assert len(history) == 10 and all(np.isfinite([h["task_loss"], h["consistency"]]).all() for h in history)
    # measured (Intel Xeon): 1.87e-3 before, 7.6e-4 after, 2.5x lower; asserted: 1.5x lower (bound
    # 1.24e-3, 60 % above the measured value)
    assert after < before / 1.5, (before, after)
    copy_weights_back(graph, model)
    set_fake_quant(graph, quantize=False)
    with torch.no_grad():
        assert torch.allclose(graph(x[:8]), WithProbabilities(model, True).eval()(x[:8]), atol=1e-5)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "export.qat", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600, env={**__import__("os").environ, **THREADS_ENV})


def test_command_writes_a_calibrated_bundle_from_a_dataset_folder(tmp_path):
    data = write_ptbxl(tmp_path / "ptbxl", per_fold=8, folds=(1, 9))
    bundle = train_tiny_bundle(tmp_path / "tiny", "ptbxl17", steps=20)
    meta = json.loads((bundle / "bundle.json").read_text())
    meta["provenance"].update(val_fold=9)
    write_metadata(bundle, meta)
    out = tmp_path / "tuned"
    proc = _run("--checkpoint", str(bundle), "--data", str(data), "--out", str(out), "--epochs", "1",
                "--batch-size", "4")
    assert proc.returncode == 0, proc.stderr[-2000:]
    tuned = load_bundle(out)
    read_calibration(out / "calibration.json", tuned.model)  # fresh calibration of the new weights
    assert tuned.meta["training"]["int8_fine_tune"]["history"][0]["epoch"] == 1
    before = load_bundle(bundle).model.state_dict()
    assert any(not torch.equal(before[k], v) for k, v in tuned.model.state_dict().items())


def test_command_with_a_missing_checkpoint_is_one_line(tmp_path):
    proc = _run("--checkpoint", str(tmp_path / "nope"), "--data", str(tmp_path), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "nope" in proc.stderr, proc.stderr
