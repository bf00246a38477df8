"""End to end: a tiny model trained and evaluated through the CLIs, DDP with two processes, bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from python_tests.conftest import REPO
from python_tests.synthetic_data import write_cinc, write_ptbxl

TINY = ["--model", "tiny_lamscn", "--epochs", "3", "--batch-size", "16", "--lr", "1e-2", "--no-progress",
        "--cache", "", "--crop-seconds", "10"]


def run(args: list[str], **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def synthetic_ptbxl(tmp_path_factory) -> Path:
    return write_ptbxl(tmp_path_factory.mktemp("ptbxl"), per_fold=40)


@pytest.fixture(scope="module")
def trained(synthetic_ptbxl, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "tiny"
    r = run(["-m", "training.train", "--task", "ptbxl17", "--data", str(synthetic_ptbxl), "--out", str(out),
             "--model-kwargs", '{"leads": 12}', *TINY, "--epochs", "30"])
    assert r.returncode == 0, r.stderr[-2000:]
    return out


def test_train_writes_a_complete_run_folder(trained):
    for name in ("weights.pt", "bundle.json", "metrics.json", "plots/per_class_f1.png", "plots/roc_curves.png",
                 "plots/pr_curves.png", "plots/threshold_curves.png", "plots/history.png"):
        assert (trained / name).is_file(), name
    meta = json.loads((trained / "bundle.json").read_text())
    assert meta["provenance"]["train_folds"] == [1, 2] and meta["provenance"]["val_fold"] == 9
    assert len(meta["labels"]) == 17 and meta["training"]["parameters"] > 0
    assert meta["preprocessing"]["window_samples"] == 1000


def test_tiny_model_learns_the_synthetic_rhythms(trained):
    """AFIB / STACH / SBRAD in the synthetic set differ by rate and regularity: a trained model separates them."""
    per = {pc["code"]: pc for pc in json.loads((trained / "metrics.json").read_text())["validation"]["per_class"]}
    aurocs = {k: per[k]["auroc"] for k in ("AFIB", "STACH", "SBRAD")}
    assert min(aurocs.values()) > 0.8, aurocs


def test_evaluate_cli_prints_table_and_summary(trained, synthetic_ptbxl, tmp_path):
    out = tmp_path / "eval.json"
    r = run(["-m", "training.evaluate", "--checkpoint", str(trained), "--data", str(synthetic_ptbxl),
             "--folds", "9", "--json", str(out), "--no-progress"])
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith("macro_f1=") and "micro_f1=" in last and "macro_auroc=" in last and last.endswith("n=40")
    assert "STACH" in r.stdout and json.loads(out.read_text())["n"] == 40


def test_evaluate_whole_folder_and_reports_bad_records(trained, synthetic_ptbxl, tmp_path):
    import shutil
    data = tmp_path / "copy"
    shutil.copytree(synthetic_ptbxl, data)
    dat = data / "records100/00000/00001_lr.dat"
    dat.write_bytes(dat.read_bytes()[:1000])
    r = run(["-m", "training.evaluate", "--checkpoint", str(trained), "--data", str(data), "--no-progress"])
    assert r.returncode == 0, r.stderr
    assert "skipping record 00001_lr" in r.stderr and r.stdout.strip().endswith("n=119")


def test_train_help_explains_every_flag():
    r = run(["-m", "training.train", "--help"])
    assert r.returncode == 0
    for flag in ("--task", "--data", "--out", "--epochs", "--patience", "--crop-seconds"):
        assert flag in r.stdout


@pytest.mark.parametrize("args,message", [
    (["-m", "training.train", "--task", "nope", "--data", "X", "--out", "Y"], "unknown task 'nope'"),
    (["-m", "training.train", "--task", "ptbxl17", "--data", "/nonexistent", "--out", "Y"], "not found"),
    (["-m", "training.evaluate", "--checkpoint", "/nonexistent", "--data", "X"], "no such file"),
    (["-m", "training.train", "--task", "ptbxl17", "--data", "X", "--out", "Y", "--device", "gpu0"], "--device gpu0"),
])
def test_cli_bad_input_is_one_line(args, message):
    r = run(args)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_cinc_task_trains_and_reports_f1_nao(tmp_path):
    data = write_cinc(tmp_path / "cinc", per_class=5)
    out = tmp_path / "run"
    r = run(["-m", "training.train", "--task", "cinc2017", "--data", str(data), "--out", str(out),
             "--model-kwargs", '{"leads": 1, "multi_label": false}', *TINY])
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1].startswith("wrote")
    assert "f1_nao=" in r.stdout
    r = run(["-m", "training.evaluate", "--checkpoint", str(out), "--data", str(data), "--no-progress"])
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1].startswith("f1_nao=")
    assert "quality gate ('~'): rejects " in r.stdout
    r = run(["-m", "training.evaluate", "--checkpoint", str(out), "--data", str(data), "--no-progress",
             "--split", "validation"])
    val_records = json.loads((out / "bundle.json").read_text())["provenance"]["val_records"]
    assert r.returncode == 0 and r.stdout.strip().endswith(f"n={val_records}") and val_records < 20


def test_ddp_two_processes(synthetic_ptbxl, tmp_path):
    out = tmp_path / "ddp"
    r = run(["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "training.train",
             "--task", "ptbxl17", "--data", str(synthetic_ptbxl), "--out", str(out), "--model-kwargs",
             '{"leads": 12}', *TINY, "--threads", "1"])
    assert r.returncode == 0, r.stderr[-3000:]
    assert (out / "weights.pt").is_file()
    assert r.stdout.count("epoch   1 ") == 1  # rank 0 alone reports and writes


def test_no_cache_writes_nothing_into_the_working_folder(synthetic_ptbxl, tmp_path):
    """``--cache ''`` disables caching: no preprocessed windows are left anywhere (least of all in the repo)."""
    before = set(REPO.glob("*.npz"))
    r = run(["-m", "training.train", "--task", "ptbxl17", "--data", str(synthetic_ptbxl), "--out", str(tmp_path / "o"),
             "--model-kwargs", '{"leads": 12}', *TINY, "--epochs", "1"], )
    assert r.returncode == 0, r.stderr[-2000:]
    assert set(REPO.glob("*.npz")) == before and not list(tmp_path.glob("**/*.npz"))


def test_ema_keeps_averaged_weights(tmp_path):
    """--ema validates and saves the moving average: same seed and data (training is deterministic), other
    weights than the raw run."""
    import torch

    data = write_cinc(tmp_path / "cinc", per_class=5)
    outs = {}
    for name, extra in (("raw", []), ("ema", ["--ema", "0.9"])):
        outs[name] = tmp_path / name
        r = run(["-m", "training.train", "--task", "cinc2017", "--data", str(data), "--out", str(outs[name]),
                 "--model-kwargs", '{"leads": 1, "multi_label": false}', *TINY, *extra])
        assert r.returncode == 0, r.stderr[-2000:]
    raw, ema = (torch.load(outs[k] / "weights.pt", weights_only=True) for k in ("raw", "ema"))
    assert raw.keys() == ema.keys()
    assert any(not torch.equal(raw[k], ema[k]) for k in raw)
    assert json.loads((outs["ema"] / "bundle.json").read_text())["training"]["args"]["ema"] == 0.9


def test_split_seed_alone_picks_the_cinc_validation_records(tmp_path):
    """--seed changes initialisation and batches only; --split-seed the records, and provenance records it."""
    data = write_cinc(tmp_path / "cinc", per_class=10)
    val = {}
    for name, extra in (("a", []), ("b", ["--seed", "7"]), ("c", ["--split-seed", "7"])):
        out = tmp_path / name
        r = run(["-m", "training.train", "--task", "cinc2017", "--data", str(data), "--out", str(out),
                 "--model-kwargs", '{"leads": 1, "multi_label": false}', *TINY, "--epochs", "1", *extra])
        assert r.returncode == 0, r.stderr[-2000:]
        val[name] = json.loads((out / "bundle.json").read_text())["provenance"]["val_split"]
    assert val["a"] == val["b"] == {"fraction": 0.2, "seed": 0} and val["c"] == {"fraction": 0.2, "seed": 7}


def test_retune_rewrites_thresholds_and_metrics(tmp_path):
    """training.retune recomputes what training tuned (same rule, same records), after any change
    of the thresholds; the weights stay byte for byte."""
    data = write_cinc(tmp_path / "cinc", per_class=6)
    out = tmp_path / "run"
    r = run(["-m", "training.train", "--task", "cinc2017", "--data", str(data), "--out", str(out),
             "--model-kwargs", '{"leads": 1, "multi_label": false}', *TINY])
    assert r.returncode == 0, r.stderr[-2000:]
    trained = json.loads((out / "bundle.json").read_text())
    weights = (out / "weights.pt").read_bytes()
    spoiled = {**trained, "labels": [{**lab, "threshold": 0.9} for lab in trained["labels"]], "metrics": {}}
    (out / "bundle.json").write_text(json.dumps(spoiled))
    r = run(["-m", "training.retune", "--checkpoint", str(out), "--data", str(data), "--no-progress"])
    assert r.returncode == 0, r.stderr[-2000:]
    assert "A:0.9->" in r.stdout and r.stdout.strip().splitlines()[-1].startswith("f1_nao=")
    retuned = json.loads((out / "bundle.json").read_text())
    assert [lab["threshold"] for lab in retuned["labels"]] == [lab["threshold"] for lab in trained["labels"]]
    assert retuned["metrics"] == trained["metrics"] and (out / "weights.pt").read_bytes() == weights
    r = run(["-m", "training.retune", "--checkpoint", str(tmp_path / "none"), "--data", str(data)])
    assert r.returncode == 2 and "no such file or folder" in r.stderr and "Traceback" not in r.stderr
