"""Export: build artifacts from a tiny trained bundle once, then check them like an app would."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from contract import manifest as mf
from contract import model_io
from contract.preprocessing import MODEL_RATE, SUPPORTED_RATES, contract_numbers
from contract.quality import quality_numbers
from export.calibration import CalibrationError, calibrate, read_calibration, write_calibration
from export.executorch_lowering import LoweringError, export_fp32, lower_to_xnnpack, portable_ops, pte_contents
from export.mil_numpy import UnsupportedOpError, mlpackage_predictor, run_program
from export.parity import MAX_ABS_DIFF, compare, failures, synthetic_windows
from export.runtime import load_pte
from python_tests.export_fixtures import (  # noqa: F401 (fixtures)
    REPO,
    THREADS_ENV,
    built,
    built_real_calibration,
    real_validation,
    run_build,
    shipped_android,
    tiny_bundle,
)
from training.checkpoint import load_bundle
from training.inference import predict

NAME = "tiny_ptbxl17"


@pytest.fixture(scope="module")
def bundle(tiny_bundle):
    return load_bundle(tiny_bundle)


@pytest.fixture(scope="module")
def fresh_inputs(bundle):
    """Windows the build's own verification did not use (it uses seed 0)."""
    return synthetic_windows(len(bundle.meta["leads"]), 24, seed=7)


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): mf.digest(p)[1] for p in sorted(folder.rglob("*")) if p.is_file()}


# --- the build --------------------------------------------------------------------------------

def test_build_prints_stages_and_table(built):
    out, proc = built
    for stage in ("android: export", "android: quantize", "android: lower fp32", "android: lower int8",
                  "android: verify", "ios: convert fp16", "ios: quantize int8 weights", "ios: verify"):
        assert re.search(rf"^\[{stage}[^\]]*\] done in \d+\.\d s$", proc.stdout, re.M), stage
    for artifact in (f"android/{NAME}.fp32.pte", f"android/{NAME}.int8.pte",
                     f"ios/{NAME}.fp16.mlpackage", f"ios/{NAME}.int8.mlpackage"):
        assert artifact in proc.stdout.split("artifact")[-1]
        assert (out / artifact).exists()
    assert "Traceback" not in proc.stderr
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temporary folders left behind"


def test_rebuild_is_byte_identical(built, tiny_bundle, tmp_path):
    out, _ = built
    proc = run_build("--target", "all", "--checkpoint", str(tiny_bundle), "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    first, second = tree_digest(out), tree_digest(tmp_path)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_script_and_module_entry_points_show_help():
    for cmd in ([sys.executable, "export/build.py", "--help"], [sys.executable, "-m", "export.build", "--help"]):
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and "--calibration-data" in proc.stdout, proc.stderr


# --- ExecuTorch ---------------------------------------------------------------------------------

@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_pte_is_one_xnnpack_delegate(built, precision):
    contents = pte_contents(built[0] / "android" / f"{NAME}.{precision}.pte")
    assert contents["operators"] == [], f"ops on portable kernels: {contents['operators']}"
    assert contents["delegates"] == ["XnnpackBackend"]


def test_pte_fp32_parity_synthetic(built, bundle, fresh_inputs):
    got = load_pte(built[0] / "android" / f"{NAME}.fp32.pte")(fresh_inputs)
    ref = predict(bundle.model, fresh_inputs, True)
    assert got.shape == ref.shape == (len(fresh_inputs), 17)
    assert ref.std() > 0.01, "reference outputs are near-constant: the parity check would be vacuous"
    # measured 5e-7 (AMD EPYC, AVX-512 VNNI): 20x inside the 1e-5 product target
    assert failures(compare(ref, got, bundle.thresholds, True), "fp32") == []


# The tiny bundle is a few steps of training on synthetic ECG: its int8 error against eager fp32 is a
# property of those weights (0.0496 measured, right at the product's 0.05, and it moves with the
# CPU's int8 kernels), not of the pipeline. What the pipeline must get right is that the .pte
# computes the quantized program it was lowered from: XNNPACK's integer kernels differ from
# PyTorch's quantize/dequantize reference only in how each requantization rounds (about one step
# per layer, and the kernels differ by CPU). Measured 0.0141 (AMD EPYC, AVX-512 VNNI): the bound
# below has a 3.5x margin, and a wrong scale, zero point, layout or a missing op misses it by far
# (e.g. the same .pte against the eager model's own outputs is already at 0.0496).
REFERENCE_BOUND = 0.05


def test_pte_int8_computes_its_quantized_program(built, bundle, fresh_inputs):
    from export.calibration import quantized_program

    program = quantized_program(bundle.model, read_calibration(bundle.calibration_path, bundle.model).ranges, 12, 1000)
    reference = np.concatenate([program.module()(torch.from_numpy(w[None])).detach().numpy() for w in fresh_inputs])
    got = load_pte(built[0] / "android" / f"{NAME}.int8.pte")(fresh_inputs)
    bound = REFERENCE_BOUND
    assert np.abs(got - reference).max() <= bound
    # decisions: identical wherever the reference is further than the bound from the threshold
    thresholds = np.array(bundle.thresholds)
    clear = np.abs(reference - thresholds) > bound
    assert clear.mean() > 0.5, "too few clear decisions for the check to mean anything"
    assert ((got >= thresholds) == (reference >= thresholds))[clear].all()
    assert reference.std() > 0.01


def test_pte_fp32_parity_real_validation(real_validation, built, bundle):
    x, _ = real_validation
    got = load_pte(built[0] / "android" / f"{NAME}.fp32.pte")(x)
    # fp32 XNNPACK vs eager: float reassociation only, measured < 1e-6 on every build here (10x margin)
    assert np.abs(got - predict(bundle.model, x, True)).max() <= MAX_ABS_DIFF["fp32"]


def test_recalibration_from_data_folder(real_validation, built_real_calibration, bundle):
    """--calibration-data: int8 recalibrated on real training windows, and the artifact runs.
    (The int8 accuracy targets are checked on the shipped model below: this bundle was trained
    on synthetic ECG, so its int8 error on real ECG says little about the pipeline.)"""
    x, _ = real_validation
    doc = mf.read(built_real_calibration)
    assert {a["precision"]: a.get("calibration") for a in doc["artifacts"]}["int8"] == "data"
    got = load_pte(built_real_calibration / f"{NAME}.int8.pte")(x[:8])
    assert got.shape == (8, 17) and np.isfinite(got).all()


def shipped_parity(real_validation, shipped_android, precision: str) -> dict:
    """The shipped model, its own calibration, real fold-9 windows: compare() of one artifact."""
    bundle_dir, folder = shipped_android
    shipped = load_bundle(bundle_dir)
    x, target = real_validation
    ref = predict(shipped.model, x, True)
    got = load_pte(folder / f"{shipped_name(folder)}.{precision}.pte")(x)
    return compare(ref, got, shipped.thresholds, True, target=target)


def test_shipped_fp32_parity_real_validation(real_validation, shipped_android):
    # measured max |dp| 6.3e-7 on all 2,183 fold-9 windows: 16x inside 1e-5
    result = shipped_parity(real_validation, shipped_android, "fp32")
    assert failures(result, "fp32") == [], result


def test_shipped_int8_decisions_and_f1_real_validation(real_validation, shipped_android):
    """int8 targets met: >= 98% identical decisions, macro-F1 within 0.01 of fp32, on all 2,183 fold-9 windows.
    Measured (Intel Xeon, AVX-512 VNNI): 99.70% agreement (0.30% of decisions differ, 2% may: 6.7x inside)
    and macro-F1 0.6620 vs 0.6677 fp32 (-0.0057: 0.0043 inside the allowed 0.01 drop; one record's flip
    moves macro-F1 by about 0.0006, so about seven flips). With the thresholds of the peak rule before
    issue 16 (edges of F1 plateaus) the drop was 0.0086 here, and 0.0110 on a 400-record subset."""
    result = shipped_parity(real_validation, shipped_android, "int8")
    assert [f for f in failures(result, "int8") if not f.startswith("max |dp|")] == [], result


@pytest.mark.xfail(strict=True, reason="known miss: PT2E int8 (min/max ranges) reaches max |dp| 0.157 on "
                   "all 2,183 fold-9 windows (LAMSCN-12 of folds 1-6), target 0.05; the fp32 model itself moves by 0.125 "
                   "under input noise of the int8 input step; python -m export.qat fine-tuning reached 0.070 only "
                   "at -0.012 fp32 macro-F1, so it did not ship (reports/int8/README.md)")
def test_shipped_int8_max_dp_real_validation(real_validation, shipped_android):
    result = shipped_parity(real_validation, shipped_android, "int8")
    assert result["max_abs_diff"] <= MAX_ABS_DIFF["int8"], result


def shipped_name(folder: Path) -> str:
    return mf.read(folder)["model"]["name"]


def test_lamscn_12lead_fully_delegated_fp32_and_int8(request):
    from training.model import lamscn_12lead

    if (REPO / "checkpoints" / "lamscn_12lead_ptbxl17" / "bundle.json").is_file():
        # the shipped bundle is this builder: check the artifacts its build wrote (saves two lowerings)
        _, folder = request.getfixturevalue("shipped_android")
        for precision in ("fp32", "int8"):
            contents = pte_contents(folder / f"{shipped_name(folder)}.{precision}.pte")
            assert contents == {"operators": [], "delegates": ["XnnpackBackend"]}, (precision, contents)
        return
    torch.manual_seed(0)
    model = lamscn_12lead().eval()
    windows = torch.from_numpy(synthetic_windows(12, 4, seed=3))
    for program in (export_fp32(model, True, 12, 1000), calibrate(model, windows)):
        assert portable_ops(lower_to_xnnpack(program)) == {}


def test_lowering_names_ops_left_on_portable_kernels():
    class LastAxisMean(torch.nn.Module):  # a 3-D mean over the last axis stays off XNNPACK
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv1d(2, 3, 3)

        def forward(self, x):
            return self.conv(x).mean(dim=-1)

    with pytest.raises(LoweringError, match="portable kernels: .*mean"):
        lower_to_xnnpack(export_fp32(LastAxisMean().eval(), True, 2, 50))


# --- calibration --------------------------------------------------------------------------------

def test_calibration_is_plain_numbers_and_matches_weights(bundle):
    cal = read_calibration(bundle.calibration_path, bundle.model)
    assert cal.info["windows"] == 32 and cal.info["input_shape"] == [1, 12, 1000]
    doc = json.loads(bundle.calibration_path.read_text())  # plain JSON: numbers and names only
    assert set(doc["activations"]) == set(cal.ranges) and len(cal.ranges) > 10
    for r in doc["activations"].values():
        assert set(r) == {"observes", "min", "max"} and r["min"] <= r["max"]
    assert bundle.calibration_path.stat().st_size < 20_000, "a calibration is a few kB of ranges, never ECG"


def test_calibration_rebuilds_the_calibrated_program(bundle, fresh_inputs):
    """The stored ranges give the same quantized program as converting the observed graph directly."""
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e

    from export.calibration import _prepared, observe, quantized_program
    from python_tests.export_fixtures import synthetic_dataset

    windows = torch.from_numpy(synthetic_dataset(12, 17, 8, seed=4)[0])
    prepared = _prepared(bundle.model, 12, 1000)
    with torch.no_grad():
        for w in windows:
            prepared(w[None])
    direct = convert_pt2e(prepared)
    stored = json.loads(json.dumps(observe(bundle.model, windows)))
    rebuilt = quantized_program(bundle.model, stored, 12, 1000).module()
    x = torch.from_numpy(fresh_inputs[:6])
    with torch.no_grad():
        a = torch.cat([direct(w[None]) for w in x])
        b = torch.cat([rebuilt(w[None]) for w in x])
    assert torch.equal(a, b)


def test_stale_or_corrupt_calibration_is_refused(tiny_bundle, tmp_path):
    stale = load_bundle(tiny_bundle)
    with torch.no_grad():
        stale.model.head.bias.add_(0.1)
    with pytest.raises(CalibrationError, match="stale"):
        read_calibration(stale.calibration_path, stale.model)
    junk = tmp_path / "calibration.json"
    junk.write_bytes(b"not json")
    with pytest.raises(CalibrationError, match="cannot be read"):
        read_calibration(junk, stale.model)
    fresh = load_bundle(tiny_bundle)
    doc = json.loads(fresh.calibration_path.read_text())
    first = sorted(doc["activations"])[0]
    doc["activations"][first]["max"] = float("nan")
    junk.write_text(json.dumps(doc))
    with pytest.raises(CalibrationError, match="no valid finite range"):
        read_calibration(junk, fresh.model)
    doc["activations"].pop(first)
    junk.write_text(json.dumps(doc))
    from export.calibration import quantized_program
    with pytest.raises(CalibrationError, match="does not fit this model"):
        quantized_program(fresh.model, read_calibration(junk, fresh.model).ranges, 12, 1000)
    with pytest.raises(CalibrationError, match="shaped"):
        write_calibration(stale.model, torch.zeros(5, 1000), tmp_path)


class _Payload:
    """Unpickling this runs a shell command that writes a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("file", ["calibration.json", "calibration.pt2"])
def test_crafted_calibration_never_runs_code(tmp_path, tiny_bundle, file):
    """A downloaded bundle whose calibration file is a code-running pickle (or the former saved-program
    format, which torch.export.load may unpickle): the build refuses it in one line, the code never runs."""
    import pickle
    import zipfile

    marker = tmp_path / "marker"
    bundle = tmp_path / "crafted"
    shutil.copytree(tiny_bundle, bundle)
    (bundle / "calibration.json").unlink()
    payload = pickle.dumps(_Payload(marker))
    if file.endswith(".pt2"):  # shaped like a torch.export archive, the pickle inside
        with zipfile.ZipFile(bundle / file, "w") as z:
            z.writestr("archive/data.pkl", payload)
            z.writestr("archive/version", "1")
    else:
        (bundle / file).write_bytes(payload)
    assert not marker.exists()
    proc = run_build("--target", "android", "--checkpoint", str(bundle), "--out", str(tmp_path / "o"))
    assert_one_line_error(proc, "calibration")
    assert not marker.exists(), "the crafted calibration ran code"
    assert not (tmp_path / "o" / "android").exists()


# --- Core ML ------------------------------------------------------------------------------------

@pytest.mark.parametrize("precision,file", [("fp16", "fp16"), ("int8-weights", "int8")])
def test_mlpackage_parity_numpy(built, bundle, fresh_inputs, precision, file):
    path = built[0] / "ios" / f"{NAME}.{file}.mlpackage"
    ref = predict(bundle.model, fresh_inputs, True)
    got = mlpackage_predictor(path)(fresh_inputs)
    # measured fp16 0.0019 (2.6x inside 5e-3), int8 weights 0.0155 (3.2x inside 0.05); NumPy evaluates
    # the program, so these do not depend on the CPU's int8 kernels
    assert np.abs(got - ref).max() <= MAX_ABS_DIFF[precision]
    if sys.platform == "darwin":  # the real Core ML runtime where it exists
        import coremltools as ct

        model = ct.models.MLModel(str(path))
        native = np.concatenate([model.predict({"ecg": w[None]})["probabilities"] for w in fresh_inputs])
        assert np.abs(native - ref).max() <= MAX_ABS_DIFF[precision]


def test_mlpackage_interface_and_metadata(built, bundle):
    import coremltools as ct

    spec = ct.models.MLModel(str(built[0] / "ios" / f"{NAME}.int8.mlpackage"), skip_model_load=True).get_spec()
    assert [i.name for i in spec.description.input] == ["ecg"]
    assert [o.name for o in spec.description.output] == ["probabilities"]
    assert list(spec.description.input[0].type.multiArrayType.shape) == [1, 12, 1000]
    assert spec.specificationVersion >= 8  # iOS 17
    meta = spec.description.metadata.userDefined
    assert json.loads(meta["lamscn.labels"]) == [lab["code"] for lab in bundle.meta["labels"]]
    assert json.loads(meta["lamscn.thresholds"]) == bundle.thresholds
    assert "com.github.apple.coremltools.conversion_date" not in meta


def test_mil_interpreter_refuses_unknown_ops():
    from coremltools.converters.mil import Builder as mb
    from coremltools.converters.mil.mil import types

    @mb.program(input_specs=[mb.TensorSpec(shape=(1, 4), dtype=types.fp32)])
    def prog(x):
        return mb.tanh(x=x)

    with pytest.raises(UnsupportedOpError, match="tanh"):
        run_program(prog, {"x": np.zeros((1, 4), np.float32)})


# --- manifest -----------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["android", "ios"])
def test_manifest_matches_bundle_and_files(built, bundle, target):
    folder = built[0] / target
    doc = mf.read(folder)  # schema + checksums
    assert doc["labels"] == bundle.meta["labels"]
    assert [lab["threshold"] for lab in doc["labels"]] == bundle.thresholds
    assert doc["leads"] == bundle.meta["leads"]
    assert doc["preprocessing"] == json.loads(json.dumps(contract_numbers()))
    assert set(doc["preprocessing"]["antialias"]["taps_by_rate"]) == {str(r) for r in SUPPORTED_RATES if r != MODEL_RATE}
    assert doc["live"]["quality"] == json.loads(json.dumps(quality_numbers()))
    assert doc["live"]["debounce"]["debounce_windows"] >= 1 and doc["live"]["hop_seconds"] == 5.0
    assert sorted(a["file"] for a in doc["artifacts"]) == sorted(p.name for p in folder.iterdir()
                                                                if p.name not in ("manifest.json", "parity.json",
                                                                                  mf.SCHEMA_FILE, model_io.FILE))
    assert (folder / mf.SCHEMA_FILE).read_bytes() == mf.SCHEMA_PATH.read_bytes()
    assert set(doc["tools"]) >= {"torch", "executorch", "coremltools", "numpy"}
    parity = json.loads((folder / "parity.json").read_text())
    met = [a for a in doc["artifacts"] if parity["artifacts"][a["file"]]["passed"]]
    assert doc["runtime"]["recommended_artifact"] == min(met, key=lambda a: a["bytes"])["file"]
    for file, r in parity["artifacts"].items():
        assert r["passed"] == (failures(r, r["precision"]) == []), file
        # fp32 and fp16 must pass (the build stops otherwise); the tiny bundle's int8 error against eager
        # is its weights' (see REFERENCE_BOUND) and is recorded, with a warning, not asserted here
        assert r["passed"] or r["precision"].startswith("int8"), (file, r)
        assert r["max_abs_diff"] == r["max_abs_diff"] and r["windows"] == 32, (file, r)


def test_manifest_refuses_tampering(built, tmp_path):
    folder = tmp_path / "android"
    shutil.copytree(built[0] / "android", folder)
    pte = folder / f"{NAME}.int8.pte"
    data = bytearray(pte.read_bytes())
    data[len(data) // 2] ^= 0xFF
    pte.write_bytes(bytes(data))
    with pytest.raises(mf.ManifestError, match="does not match"):
        mf.read(folder)
    doc = json.loads((folder / "manifest.json").read_text())
    doc["schema_version"] = "lamscn-manifest/999"
    (folder / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(mf.ManifestError, match="schema_version"):
        mf.read(folder)
    doc["schema_version"] = mf.SCHEMA_VERSION
    del doc["labels"][0]["threshold"]
    with pytest.raises(mf.ManifestError, match="labels/0"):
        mf.validate(doc)


def run_artifact(folder: Path, file: str, windows: np.ndarray) -> np.ndarray:
    return load_pte(folder / file)(windows) if file.endswith(".pte") else mlpackage_predictor(folder / file)(windows)


@pytest.mark.parametrize("target", ["android", "ios"])
def test_model_io_cases_are_what_each_artifact_computes(built, bundle, target):
    """The self-test file: decoded inputs are the build's verification windows, each artifact run on
    them again gives its ``expected`` (the same bytes, the same CPU: well inside every tolerance),
    and ``reference`` is eager PyTorch."""
    folder = built[0] / target
    manifest = mf.read(folder)
    doc = model_io.read(folder / model_io.FILE, manifest)
    windows = np.stack([c["input"] for c in doc["cases"]])
    assert len(doc["cases"]) == model_io.CASES and doc["labels"] == [lab["code"] for lab in manifest["labels"]]
    np.testing.assert_array_equal(windows, synthetic_windows(12, model_io.CASES, seed=0))
    np.testing.assert_allclose([c["reference"] for c in doc["cases"]], predict(bundle.model, windows, True), atol=1e-6)
    for art in manifest["artifacts"]:
        case = doc["artifacts"][art["file"]]
        assert case["tolerance"] == model_io.TOLERANCE[art["precision"]]
        got = run_artifact(folder, art["file"], windows)
        assert np.abs(got - np.array(case["expected"])).max() <= case["tolerance"] / 10, art["file"]


def test_model_io_cases_refuse_another_build(built, tmp_path):
    folder = built[0] / "android"
    manifest = mf.read(folder)
    doc = json.loads((folder / model_io.FILE).read_text())
    cases = [("model version", lambda d: d["model"].update(version="0" * 12), "model version"),
             ("artifact sha256", lambda d: next(iter(d["artifacts"].values())).update(sha256="0" * 64), "sha256"),
             ("schema", lambda d: d.update(schema="lamscn-model-io/9"), "schema"),
             ("input bytes", lambda d: d["cases"][0].update(input_f32le_b64=d["cases"][0]["input_f32le_b64"][:-8]),
              "bytes, expected"),
             ("missing field", lambda d: d.pop("input"), "malformed")]
    for name, edit, message in cases:
        bad = json.loads(json.dumps(doc))
        edit(bad)
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(bad))
        with pytest.raises(model_io.ModelIoError, match=message):
            model_io.read(path, manifest)
    with pytest.raises(model_io.ModelIoError, match="no such file"):
        model_io.read(tmp_path / "none.json", manifest)


def test_edited_threshold_is_refused_by_the_pinned_digest(built, tmp_path):
    """A schema-valid manifest with one threshold changed passes every check but the pin (#15)."""
    folder = tmp_path / "android"
    shutil.copytree(built[0] / "android", folder)
    pin = hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    assert f"android/manifest.json sha256 {pin}" in built[1].stdout  # the build prints what to pin
    mf.read(folder, pinned_sha256=pin)
    doc = json.loads((folder / "manifest.json").read_text())
    doc["labels"][0]["threshold"] = 0.99
    (folder / "manifest.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    mf.read(folder)  # still a valid manifest whose artifacts match: only the pin can tell
    with pytest.raises(mf.ManifestError, match="pinned by the app build"):
        mf.read(folder, pinned_sha256=pin)


@pytest.mark.parametrize("corrupt", ["truncated_half", "six_bytes", "not_a_program", "random_body"])
def test_corrupt_pte_with_matching_manifest_is_one_error_not_an_abort(built, tmp_path, corrupt):

    folder = tmp_path / "android"
    shutil.copytree(built[0] / "android", folder)
    pte = folder / f"{NAME}.int8.pte"
    data = pte.read_bytes()
    data = {"truncated_half": data[: len(data) // 2], "six_bytes": data[:6],
            "not_a_program": b"PK\x03\x04" + data[4:],
            "random_body": data[:16] + np.random.default_rng(0).bytes(len(data) - 16)}[corrupt]
    pte.write_bytes(data)
    doc = json.loads((folder / "manifest.json").read_text())
    for a in doc["artifacts"]:  # the manifest is made to match, as a crafted bundle's would
        if a["file"] == pte.name:
            a["bytes"], a["sha256"], _ = mf.digest(pte)
    (folder / "manifest.json").write_text(json.dumps(doc))
    # in a child, so that a runtime abort would fail this test instead of killing the suite
    proc = subprocess.run([sys.executable, "-c", "import sys\nfrom export.runtime import load_artifact\n"
                           "try:\n    load_artifact(sys.argv[1])\nexcept Exception as e:\n"
                           "    print(f'error: {e}', file=sys.stderr); sys.exit(1)\n", str(pte)],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert_one_line_error(proc, pte.name)
    assert len([ln for ln in proc.stderr.splitlines() if ln.strip()]) == 1, proc.stderr[-2000:]


# --- bad input ----------------------------------------------------------------------------------

def assert_one_line_error(proc: subprocess.CompletedProcess, pattern: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:") or "error: " in ln]
    assert lines and pattern in lines[-1], proc.stderr[-2000:]


def test_cli_unknown_target():
    assert_one_line_error(run_build("--target", "windows"), "invalid choice: 'windows'")


def test_cli_missing_and_corrupt_checkpoint(tmp_path, tiny_bundle):
    assert_one_line_error(run_build("--target", "android", "--checkpoint", str(tmp_path / "nope"),
                                    "--out", str(tmp_path / "o")), "no such file or folder")
    assert_one_line_error(run_build("--target", "android", "--model", "no_such_model",
                                    "--out", str(tmp_path / "o")), "checkpoints/no_such_model")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_bundle, broken)
    (broken / "weights.pt").write_bytes(b"\x00garbage")
    assert_one_line_error(run_build("--target", "ios", "--checkpoint", str(broken), "--out", str(tmp_path / "o")),
                          "weights.pt is corrupt")
    assert not (tmp_path / "o" / "ios").exists()


def test_cli_output_folder_is_a_file_or_not_writable(tmp_path, tiny_bundle):
    f = tmp_path / "file"
    f.write_text("x")
    assert_one_line_error(run_build("--target", "ios", "--checkpoint", str(tiny_bundle), "--out", str(f)),
                          "is a file")
    if os.geteuid() == 0:  # root writes anywhere chmod allows; /sys refuses even root
        locked = Path("/sys")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
    assert_one_line_error(run_build("--target", "ios", "--checkpoint", str(tiny_bundle), "--out", str(locked)),
                          "not writable")


def test_cli_model_not_fully_delegated(tmp_path, tiny_bundle):
    """A registered model XNNPACK cannot fully take: the build names the op and stops."""
    bundle = tmp_path / "maxpool"
    shutil.copytree(tiny_bundle, bundle)
    meta = json.loads((bundle / "bundle.json").read_text())
    meta["model"]["name"] = "tiny_with_maxpool1d"
    (bundle / "bundle.json").write_text(json.dumps(meta))
    (bundle / "calibration.json").unlink()  # made for the graph without the pool (it would be refused first)
    code = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
import torch.nn.functional as F
from torch import nn
from training import registry
from training.model import tiny_lamscn

class MaxPool1dOnView(nn.Module):  # becomes max_pool2d_with_indices, which XNNPACK does not take
    def forward(self, x):
        return F.max_pool1d(x.squeeze(-1), 3, 1, 1).unsqueeze(-1)

def tiny_with_maxpool1d(**kw):
    m = tiny_lamscn(**kw)
    m.stem.append(MaxPool1dOnView())  # no parameters: the bundle's weights still fit
    return m

registry.REGISTRY["tiny_with_maxpool1d"] = tiny_with_maxpool1d
from export.build import main
sys.exit(main(["--target", "android", "--checkpoint", {str(bundle)!r}, "--out", {str(tmp_path / 'o')!r}]))
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **THREADS_ENV})
    assert_one_line_error(proc, "not fully delegated to XNNPACK: ops left on portable kernels:")
    assert not (tmp_path / "o" / "android").exists()


def test_cli_without_calibration_warns_and_marks_manifest(tmp_path, tiny_bundle):
    bundle = tmp_path / "uncalibrated"
    shutil.copytree(tiny_bundle, bundle)
    (bundle / "calibration.json").unlink()
    proc = run_build("--target", "android", "--checkpoint", str(bundle), "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "WARNING" in proc.stdout and "SYNTHETIC" in proc.stdout
    doc = mf.read(tmp_path / "o" / "android")
    assert {a["precision"]: a.get("calibration") for a in doc["artifacts"]}["int8"] == "synthetic"
    assert any("synthetic" in w for w in doc["warnings"])


def test_single_label_softmax_model(tmp_path):
    """The one-lead, single-label task (softmax inside the graph): .pte and Core ML agree with eager."""
    from export.coreml_conversion import convert_fp16, save_mlpackage
    from python_tests.export_fixtures import train_tiny_bundle

    single = load_bundle(train_tiny_bundle(tmp_path / "tiny_cinc2017", "cinc2017", steps=60))
    x = synthetic_windows(1, 12, seed=5)
    ref = predict(single.model, x, False)
    assert np.allclose(ref.sum(axis=1), 1.0, atol=1e-5)
    pte = tmp_path / "single.pte"
    pte.write_bytes(lower_to_xnnpack(export_fp32(single.model, False, 1, 1000)).buffer)
    assert np.abs(load_pte(pte)(x) - ref).max() <= MAX_ABS_DIFF["fp32"]  # measured 2.4e-7: 40x inside
    package = save_mlpackage(convert_fp16(single.model, False, 1, 1000, {}), tmp_path / "single.mlpackage")
    assert np.abs(mlpackage_predictor(package)(x) - ref).max() <= MAX_ABS_DIFF["fp16"]  # measured 8.8e-4: 5.7x


# --- the parity command -------------------------------------------------------------------------

def test_parity_command_evaluates_every_artifact(built, bundle, fresh_inputs):
    """``export.parity`` on a whole build: one result per artifact, the fp32/fp16 ones within target,
    every line ending in the fields the README's table is read from."""
    from export.parity import evaluate_build, result_line
    from python_tests.export_fixtures import synthetic_dataset

    x, y = fresh_inputs, synthetic_dataset(12, 17, len(fresh_inputs), seed=7)[1]
    results = evaluate_build(built[0], bundle, x, np.arange(len(x)), y, len(x))
    assert sorted(r["precision"] for r in results) == ["fp16", "fp32", "int8", "int8-weights"]
    for r in results:
        assert r["failures"] == failures(r, r["precision"])
        if r["precision"] in ("fp32", "fp16"):
            assert r["failures"] == [], r
        assert re.search(r" max_abs_diff=\S+ agreement=\d\.\d{4} macro_f1=\d\.\d{4}/\d\.\d{4}$", result_line(r))


def test_parity_command_bad_input(tmp_path, tiny_bundle):
    from export.parity import main

    proc = subprocess.run([sys.executable, "-m", "export.parity", "--dist", str(tmp_path / "nope"), "--checkpoint",
                           str(tiny_bundle), "--data", str(tmp_path), "--folds", "x"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert_one_line_error(proc, "--folds")
    assert main(["--dist", str(tmp_path / "nope"), "--checkpoint", str(tmp_path / "no_bundle"),
                 "--data", str(tmp_path)]) == 2


def test_stale_work_folders_of_dead_builds_are_removed_and_live_ones_kept(tmp_path):
    """What a SIGKILLed build leaves (``.TARGET.partial-PID-*`` of a dead PID, ``.TARGET.old-*``) goes on the
    next build; a live build's work folder stays (#15)."""
    from export.build import remove_stale_partials

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = [tmp_path / f".android.partial-{dead.stdout.strip()}-abc", tmp_path / ".ios.old-xyz"]
    live = tmp_path / f".android.partial-{os.getpid()}-def"
    for p in (*gone, live):
        (p / "inner").mkdir(parents=True)
    remove_stale_partials(tmp_path)
    assert not any(p.exists() for p in gone) and live.is_dir()


def test_sigterm_during_a_build_leaves_no_work_folder(tmp_path, tiny_bundle):
    import signal
    import time

    out = tmp_path / "dist"
    proc = subprocess.Popen([sys.executable, str(REPO / "export" / "build.py"), "--target", "android", "--checkpoint",
                             str(tiny_bundle), "--out", str(out)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **THREADS_ENV})
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.glob(".android.partial-*")) and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the build ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "interrupted", err[-500:]
    assert list(out.iterdir()) == []  # no hidden work folder, no half-written target
