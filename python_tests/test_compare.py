"""export.compare end to end on two tiny trained bundles (a tiny LAMSCN and a narrow mobilenet1d).

Exercised: parameters / MACs / recorded metrics, fp32 + int8 .pte, .mlpackage and ONNX builds of the
LAMSCN bundle, every latency worker (eager, ExecuTorch fp32 / int8, ONNX Runtime; LiteRT where the
``litert`` extra is installed, else the rows' reason naming it), two alternating timing rounds,
agreement with eager, resident memory and the .pte's planned arena, ratios, Markdown / JSON / PNG
outputs, and a failed int8 build of the baseline kept as a row with its reason (the baseline's int8
lowering is skipped that way, which keeps the test near a minute).
"""
from __future__ import annotations

import importlib.util
import json

import pytest
import torch

from contract.labels import get_task
from export import build as export_build
from export import compare
from python_tests.export_fixtures import synthetic_dataset, train_tiny_bundle
from training.checkpoint import save_bundle
from training.registry import build_model

torch.set_num_threads(1)
LITERT = importlib.util.find_spec("litert_torch") is not None and importlib.util.find_spec("ai_edge_litert") is not None


def tiny_mobilenet_bundle(path, steps: int = 50):
    """mobilenet1d at width 0.25 on synthetic 17-class labels, saved with recorded metrics."""
    task = get_task("ptbxl17")
    kwargs = {"num_classes": task.num_classes, "width": 0.25}
    torch.manual_seed(0)
    model = build_model("mobilenet1d", **kwargs)
    x, y = (torch.from_numpy(a) for a in synthetic_dataset(12, task.num_classes, 48, seed=2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for i in range(steps):
        idx = torch.arange(i * 8, i * 8 + 8) % len(x)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return save_bundle(path, model, "mobilenet1d", kwargs, task, [0.5] * task.num_classes,
                       metrics={"macro_f1": 0.5, "macro_auroc": 0.75, "n": 48},
                       training={"epochs_run": 3, "best_epoch": 2})


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    lamscn = train_tiny_bundle(root / "tiny_lamscn", "ptbxl17", steps=50)
    baseline = tiny_mobilenet_bundle(root / "tiny_mobilenet")
    real_int8 = export_build.int8_program

    def int8_or_fail(bundle, data, leads, samples):
        if bundle.meta["model"]["name"] == "mobilenet1d":
            raise RuntimeError("simulated int8 lowering failure")
        return real_int8(bundle, data, leads, samples)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(export_build, "int8_program", int8_or_fail)
        assert compare.main(["--checkpoints", f"{lamscn},{baseline}", "--out", str(root / "out"),
                             "--runs", "3", "--warmup", "1", "--rounds", "2"]) == 0
    return root / "out"


def test_rows_latencies_and_ratios(compared):
    doc = json.loads((compared / "compare.json").read_text())
    lam, mob = doc["rows"]
    assert doc["reference"] == "tiny_lamscn"
    assert (lam["model"], mob["model"]) == ("tiny_lamscn", "mobilenet1d")
    litert = {"litert_fp32", "litert_int8"}
    if LITERT:
        assert lam["errors"] == {}
    else:  # the rows say what to install instead of failing the run
        assert set(lam["errors"]) == litert and all("pip install -e '.[litert]'" in v for v in lam["errors"].values())
    assert set(lam["latency"]) == {"eager", "et_fp32", "et_int8", "onnx"} | (litert if LITERT else set())
    assert lam["latency"]["et_int8"]["ratio_to_reference_int8"] == pytest.approx(1.0)
    assert all(t["median_ms"] > 0 and len(t["rounds_ms"]) == 2 for r in doc["rows"] for t in r["latency"].values())
    assert doc["rounds"] == 2
    # per-call and per-op cost from the two sigmoid chains: the 129-op chain is the slower one
    et = doc["call_overhead"]["executorch"]
    assert et["chains_us"]["129"] > et["chains_us"]["1"] > 0 and et["per_op_us"] > 0
    assert set(doc["call_overhead"]) == ({"executorch", "litert"} if LITERT else {"executorch"})
    for key in ("et_fp32", "et_int8", *(litert if LITERT else ())):
        memory = lam["memory"][key]
        assert memory["peak_rss_kib"] > memory["rss_after_imports_kib"] > 0 and memory["added_kib"] > 0
    # the memory plan of a fully delegated .pte holds the delegate's input and output: 12 x 1000 + 17 floats
    assert lam["memory"]["et_fp32"]["planned_arena_bytes"] >= 4 * (12 * 1000 + 17)
    assert min(lam["bytes"][k] for k in ("et_fp32", "et_int8", "coreml_fp16", "onnx")) > 0
    # every on-device artifact is compared with eager on the same synthetic windows (no --data here)
    assert lam["agreement_on"] == f"{compare.SYNTHETIC_WINDOWS} synthetic windows"
    assert lam["agreement"]["et_fp32"]["max_abs_diff"] < 1e-4  # fp32 .pte vs eager: measured ~1e-6
    assert set(lam["agreement"]) == {"et_fp32", "et_int8"} | (litert if LITERT else set())
    assert lam["macro_auroc"] is None and mob["macro_auroc"] == 0.75  # the tiny LAMSCN has no recorded AUROC
    assert mob["parameters"] > lam["parameters"] and mob["macs"] > 0
    assert (lam["epochs"], mob["epochs"]) == (None, "3 (2)")  # the recipe is visible per row
    assert "| 3 (2) |" in (compared / "compare.md").read_text()


def test_failed_export_keeps_its_row(compared):
    mob = json.loads((compared / "compare.json").read_text())["rows"][1]
    assert "simulated int8 lowering failure" in mob["errors"]["et_int8"]
    assert "et_int8" not in mob["latency"] and "et_int8" not in mob["memory"] and "et_int8" not in mob["agreement"]
    assert {"eager", "et_fp32", "onnx"} <= set(mob["latency"])
    table = (compared / "compare.md").read_text()
    line = next(l for l in table.splitlines() if l.startswith("| tiny_mobilenet"))
    assert "simulated int8 lowering failure" in line and "0.750" in line


def test_plot_written(compared):
    png = (compared / "compare.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
