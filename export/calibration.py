"""Int8 calibration: the PT2E static-quantization ranges that a checkpoint bundle carries, as data.

Calibration runs once, when the checkpoint is made, on real preprocessed training windows. The
bundle keeps only the result, ``calibration.json``: for every activation observer of the prepared
PT2E graph of ``WithProbabilities(model)``, the tensor it observes and the min/max it saw. It holds
numbers only (no program, no pickle, no ECG), so a downloaded bundle cannot run code through it.
The quantized program is rebuilt from the model and those numbers (:func:`quantized_program`):
the graph is prepared again, the weight observers see the weights, the activation observers get
the stored ranges, and ``convert_pt2e`` makes the same scales and zero points as the calibration
run did. A fingerprint of the weights ties the file to the weights it was made with, so a bundle
whose weights changed afterwards is refused, not silently exported; a change of the model code
that keeps the observed tensors keeps the calibration valid (one that does not is named).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.export import ExportedProgram

from training.checkpoint import CALIBRATION
from training.datasets import evenly_spaced
from training.model import WithProbabilities

FORMAT = "lamscn-calibration/2"
SCHEME = "pt2e_static_int8_xnnpack_symmetric_per_channel_minmax"
MAX_WINDOWS = 512  # windows taken from a dataset folder (evenly spaced over its training records)
MAX_BYTES = 4_000_000  # a calibration file is a few kB of numbers; anything this large is not one


class CalibrationError(ValueError):
    """A calibration is missing, stale, corrupt, or cannot be made from the given windows."""


@dataclass
class Calibration:
    """A loaded calibration: the record (``info``) and the observed range of every activation."""

    info: dict
    ranges: dict[str, dict]


def weights_fingerprint(model: nn.Module) -> str:
    """sha256 over the model's state dict (names, dtypes, shapes, values), independent of file bytes."""
    h = hashlib.sha256()
    for name, t in model.state_dict().items():
        t = t.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
    return h.hexdigest()


def xnnpack_quantizer(qat: bool = False):
    """The one quantization configuration of the project: XNNPACK, static int8, weights symmetric
    per channel, activations per tensor with min/max ranges (``qat``: the same scheme as fake
    quantizers, for :mod:`export.qat`).

    Min/max instead of the default histogram observer: the histogram's range search clips rare
    large activations, and on LAMSCN-12 (400 PTB-XL fold-9 windows) that cost more: max |dp|
    0.155 vs 0.118 and macro-F1 -0.0105 vs +0.0013 against fp32."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )
    from torchao.quantization.pt2e import FakeQuantize, MinMaxObserver
    from torchao.quantization.pt2e.quantizer import QuantizationSpec

    base = get_symmetric_quantization_config(is_per_channel=True, is_qat=qat)
    observer = MinMaxObserver.with_args(eps=2**-12)
    if qat:
        observer = FakeQuantize.with_args(observer=MinMaxObserver, quant_min=-128, quant_max=127, dtype=torch.int8,
                                          qscheme=torch.per_tensor_affine, eps=2**-12)
    act = QuantizationSpec(dtype=torch.int8, quant_min=-128, quant_max=127, qscheme=torch.per_tensor_affine,
                           is_dynamic=False, observer_or_fake_quant_ctr=observer)
    return XNNPACKQuantizer().set_global(dataclasses.replace(base, input_activation=act, output_activation=act))


def _multi_label(model: nn.Module) -> bool:
    config = getattr(model, "config", None)
    if config is None or not hasattr(config, "multi_label"):
        raise CalibrationError(f"{type(model).__name__} has no config.multi_label: cannot tell sigmoid from softmax")
    return bool(config.multi_label)


def _example(leads: int, samples: int) -> tuple[torch.Tensor]:
    return (torch.zeros(1, leads, samples),)


def _prepared(model: nn.Module, leads: int, samples: int) -> torch.fx.GraphModule:
    """The PT2E-prepared (observer-carrying) graph of ``WithProbabilities(model)``, input ``[1, leads, samples]``."""
    from torchao.quantization.pt2e.quantize_pt2e import prepare_pt2e

    wrapped = WithProbabilities(model, _multi_label(model)).eval()
    with torch.no_grad():
        return prepare_pt2e(torch.export.export(wrapped, _example(leads, samples)).module(), xnnpack_quantizer())


def _observers(prepared: torch.fx.GraphModule) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Activation observers (module name → names of the nodes they observe, in graph order) and
    weight observers (module name → the weight attribute they observe)."""
    activations: dict[str, list[str]] = {}
    weights: dict[str, str] = {}
    for node in prepared.graph.nodes:
        if node.op != "call_module" or "activation_post_process" not in str(node.target):
            continue
        observed = node.args[0]
        if observed.op == "get_attr":
            weights[node.target] = observed.target
        else:
            activations.setdefault(node.target, []).append(observed.name)
    return activations, weights


def _attribute(module: nn.Module, dotted: str) -> torch.Tensor:
    for part in dotted.split("."):
        module = getattr(module, part)
    return module


def observe(model: nn.Module, windows: torch.Tensor) -> dict[str, dict]:
    """Run every window through the prepared graph of ``model`` one at a time (the deployed batch
    size) and return each activation observer's range: ``{observer: {"observes": [...], "min", "max"}}``."""
    windows = torch.as_tensor(windows, dtype=torch.float32)
    if windows.ndim != 3 or windows.shape[0] == 0:
        raise CalibrationError(f"calibration windows must be shaped [N>0, leads, samples], got {tuple(windows.shape)}")
    if not torch.isfinite(windows).all():
        raise CalibrationError("calibration windows contain NaN or inf")
    prepared = _prepared(model, *windows.shape[1:])
    with torch.no_grad():
        for w in windows:
            prepared(w.unsqueeze(0))
    activations, _ = _observers(prepared)
    ranges = {}
    for name, observes in activations.items():
        obs = getattr(prepared, name)
        ranges[name] = {"observes": observes, "min": float(obs.min_val), "max": float(obs.max_val)}
    return ranges


def quantized_program(model: nn.Module, ranges: dict[str, dict], leads: int, samples: int) -> ExportedProgram:
    """The converted (quantize/dequantize) program of ``WithProbabilities(model)`` for input
    ``[1, leads, samples]``, its activation ranges taken from ``ranges`` (as :func:`observe` returns)."""
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e

    prepared = _prepared(model, leads, samples)
    activations, weights = _observers(prepared)
    if set(activations) != set(ranges) or any(ranges[k]["observes"] != v for k, v in activations.items()):
        missing = sorted(set(activations) - set(ranges)) or sorted(
            k for k in activations if ranges.get(k, {}).get("observes") != activations[k])
        raise CalibrationError(f"calibration does not fit this model's quantized graph (first mismatch: "
                               f"{(missing or sorted(set(ranges) - set(activations)))[0]}); recalibrate the bundle")
    with torch.no_grad():
        for name, attr in weights.items():
            getattr(prepared, name)(_attribute(prepared, attr))
        for name, r in ranges.items():
            obs = getattr(prepared, name)
            obs.min_val.copy_(torch.tensor(r["min"], dtype=obs.min_val.dtype))
            obs.max_val.copy_(torch.tensor(r["max"], dtype=obs.max_val.dtype))
        return torch.export.export(convert_pt2e(prepared), _example(leads, samples))


def calibrate(model: nn.Module, windows: torch.Tensor) -> ExportedProgram:
    """:func:`observe` on ``windows`` then :func:`quantized_program`: the int8 program for ``model``."""
    windows = torch.as_tensor(windows, dtype=torch.float32)
    return quantized_program(model, observe(model, windows), *windows.shape[1:])


def write_calibration(model: nn.Module, windows: torch.Tensor, bundle_dir: Path, *,
                      source: str = "training windows") -> Path:
    """Calibrate ``model`` (the bundle's eval-mode network) on preprocessed ``windows``
    ``[N, leads, samples]`` float32 and write ``bundle_dir/calibration.json`` atomically.

    ``source`` says where the windows came from (recorded; the windows themselves are not)."""
    bundle_dir = Path(bundle_dir)
    if not bundle_dir.is_dir():
        raise CalibrationError(f"bundle folder {bundle_dir} does not exist")
    windows = torch.as_tensor(windows, dtype=torch.float32)
    was_training = model.training
    model.eval()
    try:
        ranges = observe(model, windows)
    finally:
        model.train(was_training)
    doc = {
        "format": FORMAT,
        "scheme": SCHEME,
        "weights_sha256": weights_fingerprint(model),
        "windows": int(windows.shape[0]),
        "input_shape": [1, int(windows.shape[1]), int(windows.shape[2])],
        "multi_label": _multi_label(model),
        "source": source,
        "versions": {p: metadata.version(p) for p in ("torch", "torchao", "executorch")},
        "activations": ranges,
    }
    target = bundle_dir / CALIBRATION
    fd, tmp = tempfile.mkstemp(prefix=".calibration-", suffix=".json", dir=bundle_dir)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        os.chmod(tmp, 0o644)  # mkstemp made it private; a bundle is shared
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _check_ranges(path: Path, ranges: object) -> dict[str, dict]:
    if not isinstance(ranges, dict) or not ranges:
        raise CalibrationError(f"calibration {path}: no activation ranges")
    for name, r in ranges.items():
        ok = (isinstance(r, dict) and isinstance(r.get("observes"), list) and r["observes"]
              and all(isinstance(o, str) for o in r["observes"])
              and all(isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool) for k in ("min", "max")))
        if not ok or not (math.isfinite(r["min"]) and math.isfinite(r["max"]) and r["min"] <= r["max"]):
            raise CalibrationError(f"calibration {path}: activation {name!r} has no valid finite range")
    return ranges


def read_calibration(path: Path, model: nn.Module) -> Calibration:
    """Load a ``calibration.json`` (plain JSON, parsed, never executed) and check it belongs to
    ``model``'s weights; raise :class:`CalibrationError` with a one-line reason otherwise."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise CalibrationError(f"calibration {path}: {path.stat().st_size} bytes, not a calibration record")
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise CalibrationError(f"calibration {path}: cannot be read as JSON ({first})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CalibrationError(f"calibration {path}: format {doc.get('format') if isinstance(doc, dict) else None!r}, "
                               f"expected {FORMAT!r}")
    if doc.get("scheme") != SCHEME:
        raise CalibrationError(f"calibration {path}: scheme {doc.get('scheme')!r}, expected {SCHEME!r}")
    if doc.get("weights_sha256") != weights_fingerprint(model):
        raise CalibrationError(f"calibration {path}: made for other weights (stale); recalibrate the bundle")
    ranges = _check_ranges(path, doc.get("activations"))
    return Calibration(info={k: v for k, v in doc.items() if k != "activations"}, ranges=ranges)


def split_examples(task, everything: list, provenance: dict | None) -> tuple[list, list]:
    """``(training, validation)`` records of a dataset folder for a bundle: training never holds
    PTB-XL folds 9 and 10 or the validation records recorded in ``provenance`` (its fold, or its
    seeded CinC 2017 split), and, when it records its training folds, only those."""
    from training.evaluate import validation_examples

    held: list = []
    examples = [ex for ex in everything if ex.fold not in (9, 10)]
    if provenance and (provenance.get("val_fold") is not None or provenance.get("val_split")):
        held = validation_examples(task, everything, provenance)
        ids = {ex.record_id for ex in held}
        examples = [ex for ex in examples if ex.record_id not in ids]
    if provenance and provenance.get("train_folds"):
        examples = [ex for ex in examples if ex.fold in set(provenance["train_folds"])]
    return examples, held


def training_windows(task, data_dir: Path, limit: int = MAX_WINDOWS, provenance: dict | None = None,
                     hop_seconds: float = 10.0, cache_dir: Path | None = None) -> np.ndarray:
    """Preprocessed windows of a dataset folder's training records: every record's windows at
    ``hop_seconds``, then at most ``limit`` of them evenly spaced (the rule of training's own
    calibration). Never validation or test records: PTB-XL folds 9 and 10, and
    with a bundle's ``provenance`` the validation records recorded in it (its fold, or its
    seeded CinC 2017 split); and when it records its training folds, only those (the
    distribution the weights were fitted to, whatever else the folder holds now). ``cache_dir``: as
    :func:`training.datasets.load_windows`."""
    from training.datasets import DatasetError, examples_for, load_windows

    try:
        examples, _ = split_examples(task, examples_for(task, data_dir), provenance)
    except (DatasetError, ValueError) as e:
        raise CalibrationError(f"calibration data: {e}") from None
    x = load_windows(examples, task, hop_seconds, cache_dir, progress=False).x if examples else []
    if len(x) == 0:
        raise CalibrationError(f"calibration data {data_dir}: no usable training windows for task {task.name}")
    return x[evenly_spaced(len(x), limit)]


def main(argv: list[str] | None = None) -> int:
    """``python -m export.calibration --checkpoint DIR --data DIR``: (re)write a bundle's calibration,
    e.g. after a change of the model code that changes the quantized graph."""
    from contract.arguments import OneLineParser, positive_float
    from training.checkpoint import CheckpointError, load_bundle

    p = OneLineParser(prog="python -m export.calibration", description=main.__doc__.split(":")[0])
    p.add_argument("--checkpoint", type=Path, required=True, help="bundle folder to (re)calibrate")
    p.add_argument("--data", type=Path, required=True, help="dataset folder (its training records are used)")
    p.add_argument("--windows", type=int, default=MAX_WINDOWS, help="windows to calibrate on, evenly spaced")
    p.add_argument("--hop-seconds", type=positive_float, default=10.0, help="hop between windows of longer records")
    args = p.parse_args(argv)
    if args.windows < 1:
        p.error(f"argument --windows: {args.windows}: must be >= 1")
    try:
        bundle = load_bundle(args.checkpoint)
        windows = training_windows(bundle.task, args.data, args.windows, bundle.meta.get("provenance"), args.hop_seconds)
        path = write_calibration(bundle.model, torch.from_numpy(windows), bundle.path,
                                 source=f"training records of {args.data.name}")
    except (CheckpointError, CalibrationError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"int8 calibration from {len(windows)} training windows of {args.data} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
