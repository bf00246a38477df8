"""``golden/model/``: the shipped bundles' model-I/O cases stay those of the shipped weights, and the
shipped 12-lead model's artifacts, freshly built here, meet them within their tolerances."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from contract import manifest as mf
from contract import model_io
from export.build import model_version
from export.runtime import load_pte
from python_tests.export_fixtures import shipped_android  # noqa: F401 (fixture)
from training.checkpoint import load_bundle
from training.inference import predict

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "golden" / "model"
BUNDLES = ["lamscn_12lead_ptbxl17", "lamscn_1lead_cinc2017"]


def golden(name: str) -> dict:
    path = GOLDEN / f"{name}.json"
    if not (REPO / "checkpoints" / name).is_dir():
        pytest.skip(f"no shipped checkpoint {name}")
    assert path.is_file(), f"{path} missing: regenerate it (golden/model/README.md)"
    return model_io.decode_cases(json.loads(path.read_text()))


@pytest.mark.parametrize("name", BUNDLES)
def test_golden_cases_belong_to_the_shipped_weights(name):
    doc = golden(name)
    bundle = load_bundle(REPO / "checkpoints" / name)
    assert doc["schema"] == model_io.SCHEMA and doc["model"] == {"name": name, "version": model_version(bundle)}
    assert doc["labels"] == bundle.task.codes and len(doc["cases"]) == model_io.CASES
    assert sorted(a["precision"] for a in doc["artifacts"].values()) == sorted(model_io.TOLERANCE)
    windows = np.stack([c["input"] for c in doc["cases"]])
    # eager PyTorch on any CPU: float reassociation only (measured < 1e-6)
    ref = predict(bundle.model, windows, bundle.task.multi_label)
    np.testing.assert_allclose([c["reference"] for c in doc["cases"]], ref, atol=1e-5)
    for file, art in doc["artifacts"].items():
        # what each artifact was measured to do against eager stays inside its own tolerance's scale
        assert art["max_abs_diff_to_reference"] == pytest.approx(
            np.abs(np.array(art["expected"]) - ref).max(), abs=1e-5), file


def test_fresh_android_build_meets_the_golden_cases(shipped_android):
    """The self-test an app runs, here on x86: the shipped model's .pte files, built now, against the
    golden cases (tolerances fp32 1e-4, int8 0.05). On the machine that wrote the golden file (Intel
    Xeon) the outputs are the same bits; on another CPU XNNPACK may pick other kernels (fp32: float
    reassociation; int8: other rounding, not yet measured across CPUs: a failure prints the figure)."""
    bundle_dir, folder = shipped_android
    doc = golden(bundle_dir.name)
    manifest = mf.read(folder)
    assert manifest["model"]["version"] == doc["model"]["version"]
    windows = np.stack([c["input"] for c in doc["cases"]])
    for art in manifest["artifacts"]:
        case = doc["artifacts"][art["file"]]
        got = load_pte(folder / art["file"])(windows)
        worst = float(np.abs(got - np.array(case["expected"])).max())
        assert worst <= case["tolerance"], f"{art['file']}: max |dp| {worst:.3g} > {case['tolerance']}"
