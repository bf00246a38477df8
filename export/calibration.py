"""Int8 calibration: the PT2E static-quantization result that a checkpoint bundle carries.

Calibration runs once, when the checkpoint is made, on real preprocessed training windows. The
bundle keeps only the result: the calibrated and converted program (``calibration.pt2``, saved
with :func:`torch.export.save`), whose quantize/dequantize nodes hold the observed scales and zero
points. It holds no ECG. A small JSON record inside the archive ties it to the weights it was
calibrated with, so a bundle whose weights changed afterwards is refused, not silently exported.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
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
from training.model import WithProbabilities

SCHEME = "pt2e_static_int8_xnnpack_symmetric_per_channel_minmax"
INFO = "calibration.json"
MAX_WINDOWS = 512  # windows taken from a dataset folder (evenly spaced over its training records)


class CalibrationError(ValueError):
    """A calibration is missing, stale, corrupt, or cannot be made from the given windows."""


@dataclass
class Calibration:
    """A loaded calibration: the converted (quantize/dequantize) program and its record."""

    program: ExportedProgram
    info: dict


def weights_fingerprint(model: nn.Module) -> str:
    """sha256 over the model's state dict (names, dtypes, shapes, values), independent of file bytes."""
    h = hashlib.sha256()
    for name, t in model.state_dict().items():
        t = t.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
    return h.hexdigest()


def xnnpack_quantizer():
    """The one quantization configuration of the project: XNNPACK, static int8, weights symmetric
    per channel, activations per tensor with min/max ranges.

    Min/max instead of the default histogram observer: the histogram's range search clips rare
    large activations, and on LAMSCN-12 (400 PTB-XL fold-9 windows) that cost more: max |dp|
    0.155 vs 0.118 and macro-F1 -0.0105 vs +0.0013 against fp32."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer, get_symmetric_quantization_config)
    from torchao.quantization.pt2e import MinMaxObserver
    from torchao.quantization.pt2e.quantizer import QuantizationSpec

    base = get_symmetric_quantization_config(is_per_channel=True)
    act = QuantizationSpec(dtype=torch.int8, quant_min=-128, quant_max=127, qscheme=torch.per_tensor_affine,
                           is_dynamic=False, observer_or_fake_quant_ctr=MinMaxObserver.with_args(eps=2**-12))
    return XNNPACKQuantizer().set_global(dataclasses.replace(base, input_activation=act, output_activation=act))


def _multi_label(model: nn.Module) -> bool:
    config = getattr(model, "config", None)
    if config is None or not hasattr(config, "multi_label"):
        raise CalibrationError(f"{type(model).__name__} has no config.multi_label: cannot tell sigmoid from softmax")
    return bool(config.multi_label)


def calibrate(model: nn.Module, windows: torch.Tensor) -> ExportedProgram:
    """Export ``WithProbabilities(model)`` for input ``[1, leads, samples]``, observe every window
    one at a time (the deployed batch size), convert, and export the quantized program again."""
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    windows = torch.as_tensor(windows, dtype=torch.float32)
    if windows.ndim != 3 or windows.shape[0] == 0:
        raise CalibrationError(f"calibration windows must be shaped [N>0, leads, samples], got {tuple(windows.shape)}")
    if not torch.isfinite(windows).all():
        raise CalibrationError("calibration windows contain NaN or inf")
    wrapped = WithProbabilities(model, _multi_label(model)).eval()
    # zeros, not a window: torch.export keeps example inputs (with their whole storage) in the
    # saved program, and the calibration must carry no ECG
    example = (torch.zeros(1, *windows.shape[1:]),)
    with torch.no_grad():
        graph = torch.export.export(wrapped, example).module()
        prepared = prepare_pt2e(graph, xnnpack_quantizer())
        for w in windows:
            prepared(w.unsqueeze(0))
        converted = convert_pt2e(prepared)
        return torch.export.export(converted, example)


def write_calibration(model: nn.Module, windows: torch.Tensor, bundle_dir: Path, *,
                      source: str = "training windows") -> Path:
    """Calibrate ``model`` (the bundle's eval-mode network) on preprocessed ``windows``
    ``[N, leads, samples]`` float32 and write ``bundle_dir/calibration.pt2`` atomically.

    ``source`` says where the windows came from (recorded; the windows themselves are not)."""
    bundle_dir = Path(bundle_dir)
    if not bundle_dir.is_dir():
        raise CalibrationError(f"bundle folder {bundle_dir} does not exist")
    was_training = model.training
    model.eval()
    try:
        program = calibrate(model, windows)
    finally:
        model.train(was_training)
    info = {
        "scheme": SCHEME,
        "weights_sha256": weights_fingerprint(model),
        "windows": int(windows.shape[0]),
        "input_shape": [1, int(windows.shape[1]), int(windows.shape[2])],
        "multi_label": _multi_label(model),
        "source": source,
        "versions": {p: metadata.version(p) for p in ("torch", "torchao", "executorch")},
    }
    target = bundle_dir / CALIBRATION
    fd, tmp = tempfile.mkstemp(prefix=".calibration-", suffix=".pt2", dir=bundle_dir)
    os.close(fd)
    try:
        torch.export.save(program, tmp, extra_files={INFO: json.dumps(info, sort_keys=True)})
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def read_calibration(path: Path, model: nn.Module) -> Calibration:
    """Load a ``calibration.pt2`` and check it belongs to ``model``'s weights; raise
    :class:`CalibrationError` with a one-line reason otherwise."""
    import torch.ao.quantization.fx._decomposed  # noqa: F401  (registers quantized_decomposed ops for loading)

    path = Path(path)
    extra = {INFO: ""}
    try:
        program = torch.export.load(path, extra_files=extra)
        info = json.loads(extra[INFO])
    except Exception as e:  # a corrupt archive can fail in zip, pickle, json or torch code
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise CalibrationError(f"calibration {path}: cannot be read ({first})") from None
    if not isinstance(info, dict) or info.get("scheme") != SCHEME:
        raise CalibrationError(f"calibration {path}: scheme {info.get('scheme') if isinstance(info, dict) else None!r}, "
                               f"expected {SCHEME!r}")
    if info.get("weights_sha256") != weights_fingerprint(model):
        raise CalibrationError(f"calibration {path}: made for other weights (stale); recalibrate the bundle")
    return Calibration(program=program, info=info)


def evenly_spaced(n: int, limit: int) -> np.ndarray:
    """At most ``limit`` indices spread evenly over ``range(n)`` (the calibration windows' selection)."""
    return np.unique(np.linspace(0, n - 1, min(limit, n)).round().astype(int))


def training_windows(task, data_dir: Path, limit: int = MAX_WINDOWS) -> np.ndarray:
    """Preprocessed windows of a dataset folder's training records (PTB-XL folds 9 and 10 are
    validation and test), at most ``limit``, evenly spaced, one window per 10 s."""
    from training.datasets import DatasetError, examples_for, load_windows

    try:
        examples = [ex for ex in examples_for(task, data_dir) if ex.fold not in (9, 10)]
    except DatasetError as e:
        raise CalibrationError(f"calibration data: {e}") from None
    pick = evenly_spaced(len(examples), limit)
    x = load_windows([examples[i] for i in pick], task, hop_seconds=10.0, progress=False).x if examples else []
    if len(x) == 0:
        raise CalibrationError(f"calibration data {data_dir}: no usable training windows for task {task.name}")
    return x[evenly_spaced(len(x), limit)]


def main(argv: list[str] | None = None) -> int:
    """``python -m export.calibration --checkpoint DIR --data DIR``: (re)write a bundle's calibration,
    e.g. after a change of the model code that keeps its weights."""
    from training.checkpoint import CheckpointError, load_bundle

    p = argparse.ArgumentParser(prog="python -m export.calibration", description=main.__doc__.split(":")[0])
    p.add_argument("--checkpoint", type=Path, required=True, help="bundle folder to (re)calibrate")
    p.add_argument("--data", type=Path, required=True, help="dataset folder (its training records are used)")
    args = p.parse_args(argv)
    try:
        bundle = load_bundle(args.checkpoint)
        windows = training_windows(bundle.task, args.data)
        path = write_calibration(bundle.model, torch.from_numpy(windows), bundle.path,
                                 source=f"training records of {args.data}")
    except (CheckpointError, CalibrationError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"int8 calibration from {len(windows)} training windows of {args.data} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
