"""Build on-device artifacts from a checkpoint bundle.

    python export/build.py --target android|ios|all [--model NAME | --checkpoint PATH]
                           [--out DIR] [--calibration-data DIR]

android: ExecuTorch ``.pte`` lowered entirely to XNNPACK, fp32 and int8 (PT2E static, calibration
from the bundle). ios: Core ML ``.mlpackage`` (ML program, iOS 17+), fp16 and int8 weights.
Each target folder gets ``manifest.json`` (with ``manifest.schema.json`` beside it), ``parity.json`` and
``model_io.json`` (the apps' self-test cases, :mod:`contract.model_io`). Every stage prints its time; the
run ends with a table of artifact, precision, bytes, max |Δp| vs PyTorch and decision agreement.

A target is built in a hidden temporary folder next to its destination and moved into place only
when complete and verified. Same inputs give byte-identical outputs.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `training` and `export` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("TQDM_DISABLE", "1")  # coremltools' per-pass progress bars
for _name in ("torchao", "coremltools"):  # optional native parts absent on Linux CPU builds
    logging.getLogger(_name).setLevel(logging.ERROR)
warnings.filterwarnings("ignore", category=FutureWarning)  # torch/executorch deprecation notes

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CHECKPOINTS = REPO / "checkpoints"
DEFAULT_MODEL = "lamscn_12lead_ptbxl17"
TARGETS = ("android", "ios")
VERIFY_WINDOWS = 32  # synthetic windows every artifact is checked on (export.parity.synthetic_windows, seed 0)
SYNTHETIC_CALIBRATION_WINDOWS = 128
TOOLS = ("torch", "executorch", "torchao", "coremltools", "numpy")
LOCAL_KEYS = ("data_dir",)  # provenance keys of older bundles that name a folder of the training machine


class BuildError(RuntimeError):
    """A build problem with a one-line explanation for the user."""


@dataclass
class Row:
    """One line of the summary table."""

    artifact: str
    precision: str
    bytes: int
    max_abs_diff: float
    decision_agreement: float


@contextlib.contextmanager
def stage(name: str):
    """Print ``[name]`` and, when the block ends, its wall time."""
    print(f"[{name}] ...", flush=True)
    start = time.perf_counter()
    yield
    print(f"[{name}] done in {time.perf_counter() - start:.1f} s", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="export/build.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--target", required=True, choices=(*TARGETS, "all"), help="which artifacts to build")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--model", default=None,
                     help=f"bundle folder name under checkpoints/ (default {DEFAULT_MODEL})")
    src.add_argument("--checkpoint", type=Path, default=None, help="path of a checkpoint bundle folder")
    p.add_argument("--out", type=Path, default=REPO / "dist", help="output folder (default dist/)")
    p.add_argument("--calibration-data", type=Path, default=None,
                   help="recalibrate int8 from this dataset folder instead of the bundle's calibration")
    return p.parse_args(argv)


def bundle_path(args: argparse.Namespace) -> Path:
    """The bundle folder from --checkpoint, --model, or the shipped default."""
    if args.checkpoint is not None:
        return args.checkpoint
    return CHECKPOINTS / (args.model or DEFAULT_MODEL)


def check_out(out: Path) -> Path:
    """Create ``out`` if needed and prove it is a writable folder."""
    if out.exists() and not out.is_dir():
        raise BuildError(f"output folder {out} is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=".write-test-", dir=out)
        os.rmdir(probe)
    except OSError as e:
        raise BuildError(f"output folder {out} is not writable ({e.strerror or e})") from None
    return out


def versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in TOOLS}


def model_version(bundle) -> str:
    """The bundle's declared version, else a content version from its weights."""
    from export.calibration import weights_fingerprint

    return str(bundle.meta.get("version") or f"sha256-{weights_fingerprint(bundle.model)[:12]}")


def base_manifest(bundle, name: str) -> dict:
    """Everything in ``manifest.json`` except the artifacts."""
    from contract.decision import decision_section
    from contract.devices import devices_section
    from contract.live import live_numbers
    from contract.manifest import SCHEMA_VERSION
    from contract.preprocessing import contract_numbers
    from training.model import count_parameters

    task = bundle.task
    pre = contract_numbers()
    return {
        "schema_version": SCHEMA_VERSION,
        "model": {"name": name, "version": model_version(bundle), "architecture": bundle.meta["model"]["name"],
                  "kwargs": bundle.meta["model"].get("kwargs", {}), "parameters": count_parameters(bundle.model)},
        "task": {"name": task.name, "multi_label": task.multi_label, "description": task.description},
        "labels": bundle.meta["labels"],
        "leads": list(bundle.meta["leads"]),
        "sample_rate_hz": pre["model_rate_hz"],
        "window": {"samples": pre["window_samples"], "seconds": pre["window_seconds"]},
        "input": {"name": "ecg", "dtype": "float32", "shape": list(bundle.input_shape)},
        "output": {"name": "probabilities", "dtype": "float32", "shape": [1, task.num_classes]},
        "preprocessing": pre,
        "decision": decision_section(task.multi_label, task.poor_signal_code),
        "live": live_numbers(),
        "devices": devices_section(),
        "metrics": bundle.meta.get("metrics", {}),
        # what the model was trained on, never where it lay on the machine that trained it
        "provenance": {k: v for k, v in bundle.meta.get("provenance", {}).items() if k not in LOCAL_KEYS},
        "tools": versions(),
    }


def int8_program(bundle, calibration_data: Path | None, leads: int, samples: int):
    """The converted PT2E program and where its calibration came from: data, bundle or synthetic."""
    import torch

    from export.calibration import CalibrationError, calibrate, quantized_program, read_calibration, training_windows
    from export.parity import synthetic_windows
    from training.checkpoint import LEGACY_CALIBRATION

    if calibration_data is not None:
        windows = training_windows(bundle.task, calibration_data, provenance=bundle.meta.get("provenance"))
        print(f"  calibrating on {len(windows)} windows from {calibration_data}")
        return calibrate(bundle.model, torch.from_numpy(windows)), "data"
    if bundle.calibration_path is not None:
        cal = read_calibration(bundle.calibration_path, bundle.model)
        print(f"  calibration from the bundle ({cal.info['windows']} windows, {cal.info['source']})")
        return quantized_program(bundle.model, cal.ranges, leads, samples), "bundle"
    if bundle.legacy_calibration:
        raise CalibrationError(f"{bundle.path / LEGACY_CALIBRATION} is a saved program, which is never loaded "
                               "(loading one can run code): recalibrate with --calibration-data DIR or "
                               "python -m export.calibration --checkpoint DIR --data DIR")
    print(f"  WARNING: {bundle.path} has no calibration.json: calibrating int8 on "
          f"{SYNTHETIC_CALIBRATION_WINDOWS} SYNTHETIC windows; int8 accuracy on real ECG is unverified", flush=True)
    windows = synthetic_windows(leads, SYNTHETIC_CALIBRATION_WINDOWS, seed=1)
    return calibrate(bundle.model, torch.from_numpy(windows)), "synthetic"


def build_android(bundle, name: str, folder: Path, verify_x: np.ndarray, reference: np.ndarray,
                  calibration_data: Path | None) -> tuple[list[dict], dict, list[str], dict]:
    """Write ``{name}.fp32.pte`` and ``{name}.int8.pte``; return artifact entries, parity, warnings and
    each file's outputs on ``verify_x``."""
    from contract.manifest import artifact_entry
    from export.executorch_lowering import export_fp32, lower_to_xnnpack
    from export.parity import compare
    from export.runtime import load_pte

    _, leads, samples = bundle.input_shape
    with stage("android: export"):
        fp32 = export_fp32(bundle.model, bundle.task.multi_label, leads, samples)
    with stage("android: quantize"):
        int8, source = int8_program(bundle, calibration_data, leads, samples)
    files = {}
    for precision, program in (("fp32", fp32), ("int8", int8)):
        with stage(f"android: lower {precision}"):
            path = folder / f"{name}.{precision}.pte"
            path.write_bytes(lower_to_xnnpack(program).buffer)
            files[precision] = path
    parity, outputs = {}, {}
    with stage("android: verify"):
        for precision, path in files.items():
            outputs[path.name] = load_pte(path)(verify_x)
            parity[path.name] = {"precision": precision, **compare(reference, outputs[path.name],
                                                                    bundle.thresholds, bundle.task.multi_label)}
    entries = [artifact_entry(files["fp32"], "executorch-xnnpack", "fp32"),
               artifact_entry(files["int8"], "executorch-xnnpack", "int8", calibration=source)]
    notes = ["int8 calibrated on synthetic ECG, not on real training windows"] if source == "synthetic" else []
    return entries, parity, notes, outputs


def build_ios(bundle, name: str, folder: Path, verify_x: np.ndarray,
              reference: np.ndarray) -> tuple[list[dict], dict, list[str], dict]:
    """Write ``{name}.fp16.mlpackage`` and ``{name}.int8.mlpackage``; return entries, parity, warnings
    and each package's outputs on ``verify_x``."""
    from contract.manifest import artifact_entry
    from export import coreml_conversion as cc
    from export.mil_numpy import mlpackage_predictor
    from export.parity import compare

    _, leads, samples = bundle.input_shape
    meta = cc.coreml_metadata(bundle.meta["labels"], list(bundle.meta["leads"]), bundle.task.multi_label,
                              name, model_version(bundle))
    with stage("ios: convert fp16"):
        fp16 = cc.convert_fp16(bundle.model, bundle.task.multi_label, leads, samples, meta)
        fp16_path = cc.save_mlpackage(fp16, folder / f"{name}.fp16.mlpackage")
    with stage("ios: quantize int8 weights"):
        int8_path = cc.save_mlpackage(cc.quantize_weights_int8(fp16, meta), folder / f"{name}.int8.mlpackage")
    parity, outputs = {}, {}
    with stage("ios: verify (MIL ops in NumPy)"):
        for precision, path in (("fp16", fp16_path), ("int8-weights", int8_path)):
            outputs[path.name] = mlpackage_predictor(path)(verify_x)
            parity[path.name] = {"precision": precision, **compare(reference, outputs[path.name],
                                                                    bundle.thresholds, bundle.task.multi_label)}
    extra = {"minimum_deployment_target": cc.MINIMUM_DEPLOYMENT_TARGET}
    entries = [artifact_entry(fp16_path, "coreml-mlprogram", "fp16", **extra),
               artifact_entry(int8_path, "coreml-mlprogram", "int8-weights", **extra)]
    return entries, parity, [], outputs


def finish_target(folder: Path, manifest: dict, parity: dict, cases: dict) -> None:
    """Check parity, then write parity.json, model_io.json and (last) manifest.json.

    An fp32 or fp16 artifact off its target is a conversion bug: the build stops. A quantized
    artifact off its target is written with a loud warning in the output and the manifest (its
    error is a property of the weights and the calibration, and the table shows it)."""
    import json

    from contract import manifest as mf
    from contract import model_io
    from export.parity import MAX_ABS_DIFF, failures

    problems = []
    for file, result in parity.items():
        precision = result["precision"]
        result["max_abs_diff_target"] = MAX_ABS_DIFF[precision]
        bad = failures(result, precision)
        result["passed"] = not bad
        if bad and precision.startswith("int8"):
            note = f"{file} misses its parity target on the verification windows: {'; '.join(bad)}"
            print(f"  WARNING: {note}", flush=True)
            manifest.setdefault("warnings", []).append(note)
        else:
            problems += [f"{file}: {b}" for b in bad]
    doc = {"reference": "eager PyTorch fp32, WithProbabilities(model)",
           "inputs": f"{VERIFY_WINDOWS} synthetic preprocessed windows (export.parity.synthetic_windows, seed 0)",
           "artifacts": parity}
    (folder / "parity.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    if problems:
        raise BuildError("parity check failed: " + "; ".join(problems))
    met = [a for a in manifest["artifacts"] if parity[a["file"]]["passed"]]
    manifest["runtime"] = mf.runtime_section(min(met, key=lambda a: a["bytes"])["file"])
    model_io.write(cases, folder)
    mf.write(manifest, folder)


def remove_stale_partials(out: Path) -> None:
    """Remove the hidden work folders that builds killed before their own clean-up left in ``out``
    (``.TARGET.partial-PID-*`` and ``.TARGET.old-*``, whose process is gone)."""
    for p in out.glob(".*.partial-*"):
        pid = p.name.split(".partial-", 1)[1].split("-", 1)[0]
        if not (pid.isdigit() and _alive(int(pid))):
            shutil.rmtree(p, ignore_errors=True)
    for p in out.glob(".*.old-*"):
        shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def place(tmp: Path, final: Path) -> None:
    """Swap the finished temporary folder into place (the old one, if any, is removed after)."""
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
        os.replace(final, old / final.name)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old)


def build(args: argparse.Namespace) -> list[Row]:
    from contract import manifest as mf
    from contract import model_io
    from export.parity import synthetic_windows
    from training.checkpoint import load_bundle
    from training.inference import predict

    targets = TARGETS if args.target == "all" else (args.target,)
    out = check_out(args.out)
    with stage("load checkpoint"):
        bundle = load_bundle(bundle_path(args))
    name = bundle.path.resolve().name
    print(f"  {name}: model {bundle.meta['model']['name']}, task {bundle.task.name}, "
          f"{len(bundle.meta['leads'])} leads, {bundle.task.num_classes} classes")
    _, leads, samples = bundle.input_shape
    verify_x = synthetic_windows(leads, VERIFY_WINDOWS, seed=0)
    if verify_x.shape[2] != samples:  # the graphs are traced for the bundle's window, verified on these
        raise BuildError(f"{bundle.path}: window of {samples} samples; the verification windows have {verify_x.shape[2]}")
    reference = predict(bundle.model, verify_x, bundle.task.multi_label)
    rows = []
    remove_stale_partials(out)
    for target in targets:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target}.partial-{os.getpid()}-", dir=out))
        try:
            if target == "android":
                entries, parity, notes, outputs = build_android(bundle, name, tmp, verify_x, reference,
                                                                args.calibration_data)
            else:
                entries, parity, notes, outputs = build_ios(bundle, name, tmp, verify_x, reference)
            manifest = base_manifest(bundle, name)
            manifest["artifacts"] = entries
            if notes:
                manifest["warnings"] = notes
            finish_target(tmp, manifest, parity, model_io.document(manifest, verify_x, reference, outputs))
            os.chmod(tmp, 0o755)  # mkdtemp made it private
            place(tmp, out / target)
            pin = mf.digest(out / target / mf.MANIFEST)[1]
            print(f"  {target}/{mf.MANIFEST} sha256 {pin} (pin it in the app build: README, Trusting a manifest)")
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
        for e in entries:
            r = parity[e["file"]]
            rows.append(Row(f"{target}/{e['file']}", e["precision"], e["bytes"], r["max_abs_diff"],
                            r["decision_agreement"]))
    return rows


def print_table(rows: list[Row]) -> None:
    head = f"{'artifact':<48} {'precision':<13} {'bytes':>9} {'max |dp|':>10} {'agreement':>9}"
    print("\n" + head + "\n" + "-" * len(head))
    for r in rows:
        print(f"{r.artifact:<48} {r.precision:<13} {r.bytes:>9} {r.max_abs_diff:>10.2e} {r.decision_agreement:>9.2%}")


def _terminate(signum, _frame) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C: the hidden work folder is removed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    from contract.manifest import ManifestError
    from export.calibration import CalibrationError
    from export.executorch_lowering import LoweringError
    from training.checkpoint import CheckpointError

    try:
        rows = build(args)
    except (BuildError, CheckpointError, CalibrationError, LoweringError, ManifestError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # never a traceback for the user; the message says what broke
        first = (str(e).strip().splitlines() or [""])[0]
        print(f"error: {type(e).__name__}: {first}", file=sys.stderr)
        return 1
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
