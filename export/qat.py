"""Quantization-aware fine-tuning: ``python -m export.qat --checkpoint BUNDLE --data DIR --out NEW_BUNDLE``.

Static int8 adds rounding noise at every quantized tensor, and a network trained in fp32 can
answer some inputs with a large change of probability (LAMSCN-12 as trained: max |Δp| 0.156 on
PTB-XL fold 9). This fine-tunes the bundle's weights so that the int8 program and the fp32 model
agree and both stay accurate, in torchao's PT2E QAT flow on the same graph and quantizer as the
export (:func:`export.calibration.xnnpack_quantizer`):

1. the deployable graph ``WithProbabilities(model)`` is exported (batch dimension dynamic) and
   prepared with fake quantization; BatchNorm statistics and dropout are frozen (eval mode);
2. the fake quantizers are calibrated with min/max on the windows the export calibrates on
   (:func:`export.calibration.training_windows`), then frozen;
3. every step runs the batch twice through the same weights, fake quantization on (``p_q``)
   and off (``p_f``), and minimises the task loss of both (against the labels, or with
   ``--distill`` against the starting model's probabilities) plus ``consistency`` times
   ``mean(Δp²) + mean(top 2 % of Δp²)`` with ``Δp = p_q − p_f`` (AdamW, cosine learning rate);
4. the weights go back into the eager model; thresholds are tuned again on the validation split
   (the training rule), and the new bundle is written with a fresh calibration.

The new bundle is an ordinary checkpoint: build it with ``export/build.py`` and measure it with
``python -m export.parity``, which alone says whether the int8 targets are met.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from export.calibration import (
    MAX_WINDOWS,
    CalibrationError,
    split_examples,
    training_windows,
    write_calibration,
    xnnpack_quantizer,
)
from training.datasets import evenly_spaced
from training.model import FusedMultiScaleBlock, WithProbabilities, deployable, load_deployable_weights

TOP_FRACTION = 0.02  # share of a batch's (window, class) differences that the tail term averages


def fake_quant_graph(model: nn.Module, multi_label: bool, leads: int, samples: int) -> torch.fx.GraphModule:
    """The QAT-prepared graph of ``WithProbabilities(model)`` (a copy of its deployable weights), in
    eval mode: BatchNorm uses its running statistics and dropout is off, so with fake quantization
    disabled it computes exactly the eager model. The zero padding taps of fused blocks get no
    gradient, so the trained weights still unfuse into the model's branches."""
    from torch.export import Dim
    from torchao.quantization.pt2e import move_exported_model_to_eval
    from torchao.quantization.pt2e.quantize_pt2e import prepare_qat_pt2e

    wrapped = WithProbabilities(model, multi_label).eval()
    example = (torch.zeros(2, leads, samples),)
    program = torch.export.export(wrapped, example, dynamic_shapes=({0: Dim("batch", min=1, max=4096)},))
    graph = prepare_qat_pt2e(program.module(), xnnpack_quantizer(qat=True))
    move_exported_model_to_eval(graph)
    for name, module in wrapped.model.named_modules():
        if isinstance(module, FusedMultiScaleBlock):
            mask = module.tap_mask()
            graph.get_parameter(f"model.{name}.depthwise.0.weight").register_hook(lambda g, m=mask: g * m)
    return graph


def set_fake_quant(graph: torch.fx.GraphModule, *, quantize: bool | None = None, observe: bool | None = None) -> None:
    """Switch every fake quantizer of ``graph`` between quantizing / passing through and
    observing / frozen."""
    from torchao.quantization.pt2e.fake_quantize import (
        disable_fake_quant,
        disable_observer,
        enable_fake_quant,
        enable_observer,
    )
    if quantize is not None:
        graph.apply(enable_fake_quant if quantize else disable_fake_quant)
    if observe is not None:
        graph.apply(enable_observer if observe else disable_observer)


@torch.no_grad()
def calibrate_fake_quant(graph: torch.fx.GraphModule, windows: torch.Tensor, batch: int = 64) -> None:
    """Min/max of every quantized tensor over ``windows`` (as the export's calibration), then freeze."""
    set_fake_quant(graph, quantize=False, observe=True)
    for i in range(0, len(windows), batch):
        graph(windows[i:i + batch])
    set_fake_quant(graph, quantize=True, observe=False)


def task_loss(p: torch.Tensor, y: torch.Tensor, multi_label: bool, class_weight: torch.Tensor | None) -> torch.Tensor:
    """The training loss on probabilities: BCE with positive weights, or weighted cross-entropy; with
    ``class_weight`` None, ``y`` are a teacher's probabilities (distillation: soft BCE or soft cross-entropy)."""
    p = p.clamp(1e-6, 1 - 1e-6)
    if class_weight is None:
        return F.binary_cross_entropy(p, y) if multi_label else -(y * torch.log(p)).sum(1).mean()
    if multi_label:
        weight = y * class_weight + (1 - y)
        return F.binary_cross_entropy(p, y, weight=weight)
    return F.nll_loss(torch.log(p), y, weight=class_weight)


def consistency_loss(p_q: torch.Tensor, p_f: torch.Tensor) -> torch.Tensor:
    """``mean(Δp²) + mean(top 2 % of Δp²)``: the average disagreement and its tail."""
    d2 = (p_q - p_f).pow(2).flatten()
    k = max(1, int(math.ceil(TOP_FRACTION * d2.numel())))
    return d2.mean() + d2.topk(k).values.mean()


def copy_weights_back(graph: torch.fx.GraphModule, model: nn.Module) -> None:
    """Load the fine-tuned parameters of ``graph`` (its deployable copy's, named ``model.<name>`` by
    the wrapper) into ``model``, fused blocks unfused."""
    trained = deployable(model)
    params = dict(graph.named_parameters())
    missing = [k for k, _ in trained.named_parameters() if f"model.{k}" not in params]
    if missing:
        raise RuntimeError(f"fine-tuned graph lacks parameter {missing[0]}")
    with torch.no_grad():
        for name, p in trained.named_parameters():
            p.copy_(params[f"model.{name}"])
    load_deployable_weights(model, trained)


def fine_tune(graph: torch.fx.GraphModule, x: np.ndarray, y: np.ndarray, multi_label: bool, args: argparse.Namespace,
              class_weight: torch.Tensor, log=print, teacher: nn.Module | None = None) -> list[dict]:
    """The fine-tuning loop over training windows ``x`` with targets ``y``, or with ``teacher`` (the
    model before fine-tuning, ``WithProbabilities``) its probabilities on each augmented batch as
    the targets; returns per-epoch losses."""
    from training.train import augment

    params = [p for p in graph.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    steps = args.epochs * max(1, -(-len(x) // args.batch_size))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    gen = torch.Generator().manual_seed(args.seed)
    history, t0 = [], time.time()
    for epoch in range(args.epochs):
        perm = np.random.default_rng(args.seed + epoch).permutation(len(x))
        sums = np.zeros(3)
        for i in range(0, len(perm), args.batch_size):
            idx = np.sort(perm[i:i + args.batch_size])
            xb = augment(torch.from_numpy(x[idx]), x.shape[-1], args.noise, args.scale, gen)
            yb = torch.from_numpy(y[idx])
            weight = class_weight
            if teacher is not None:
                with torch.no_grad():
                    yb, weight = teacher(xb), None
            set_fake_quant(graph, quantize=True)
            p_q = graph(xb)
            set_fake_quant(graph, quantize=False)
            p_f = graph(xb)
            fit = task_loss(p_q, yb, multi_label, weight) + task_loss(p_f, yb, multi_label, weight)
            agree = consistency_loss(p_q, p_f)
            loss = fit + args.consistency * agree
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            sums += (len(idx) * fit.item(), len(idx) * agree.item(), len(idx))
        row = {"epoch": epoch + 1, "task_loss": sums[0] / sums[2], "consistency": sums[1] / sums[2]}
        history.append(row)
        log(f"epoch {epoch + 1}/{args.epochs}  task_loss {row['task_loss']:.4f}  "
            f"consistency {row['consistency']:.3g}  elapsed {time.time() - t0:.0f}s")
    set_fake_quant(graph, quantize=True)
    return history


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from contract.arguments import OneLineParser, positive_float

    p = OneLineParser(prog="python -m export.qat", description=__doc__.split("\n\n")[0],
                      formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--checkpoint", type=Path, required=True, help="bundle to fine-tune")
    p.add_argument("--data", type=Path, required=True, help="dataset folder it was trained on")
    p.add_argument("--out", type=Path, required=True, help="folder for the fine-tuned bundle")
    p.add_argument("--epochs", type=int, default=3, help="fine-tuning epochs over the training windows")
    p.add_argument("--lr", type=positive_float, default=1e-4, help="peak learning rate (AdamW, cosine to 0)")
    p.add_argument("--weight-decay", type=float, default=0.0, help="AdamW weight decay")
    p.add_argument("--batch-size", type=int, default=64, help="windows per step")
    p.add_argument("--consistency", type=float, default=50.0, help="weight of the int8/fp32 disagreement term")
    p.add_argument("--distill", action="store_true",
                   help="targets: the model's own fp32 probabilities before fine-tuning (not the labels)")
    p.add_argument("--noise", type=float, default=0.05, help="augmentation: Gaussian noise std (as training)")
    p.add_argument("--scale", type=float, default=0.2, help="augmentation: per-lead amplitude scale (as training)")
    p.add_argument("--hop-seconds", type=positive_float, default=5.0, help="hop between windows (as training)")
    p.add_argument("--max-windows", type=int, default=None, help="fine-tune on at most this many windows (quick runs)")
    p.add_argument("--cache", type=lambda s: Path(s) if s else None, default=Path.home() / ".cache" / "lamscn",
                   help="folder for cached preprocessed windows ('' disables caching)")
    p.add_argument("--seed", type=int, default=0, help="seed of batch order and augmentation")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        p.error("--epochs and --batch-size must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    from contract.output_files import OutputError, check_writable_folder
    from training import datasets
    from training.checkpoint import CheckpointError, load_bundle, save_bundle
    from training.inference import predict, record_probabilities
    from training.train import bundle_metrics, class_weights, tune_and_report

    args = parse_args(argv)
    t0 = time.time()
    try:
        check_writable_folder(args.out, "--out")
        bundle = load_bundle(args.checkpoint)
        task, provenance = bundle.task, bundle.meta.get("provenance") or {}
        train_ex, val_ex = split_examples(task, datasets.examples_for(task, args.data), provenance)
        tr = datasets.load_windows(train_ex, task, args.hop_seconds, args.cache, progress=False)
        va = datasets.load_windows(val_ex, task, args.hop_seconds, args.cache, progress=False)
        if len(tr.x) == 0 or len(va.x) == 0:
            raise CalibrationError(f"{args.data}: no usable training or validation windows")
        cal = torch.from_numpy(training_windows(task, args.data, MAX_WINDOWS, provenance, cache_dir=args.cache))
    except (CheckpointError, CalibrationError, OutputError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    torch.manual_seed(args.seed)
    multi = task.multi_label
    ytr = tr.y[tr.record]
    pick = np.arange(len(tr.x)) if args.max_windows is None else evenly_spaced(len(tr.x), args.max_windows)
    model = bundle.model.eval()
    graph = fake_quant_graph(model, multi, *tr.x.shape[1:])
    calibrate_fake_quant(graph, cal)
    print(f"fine-tuning {bundle.path.name} for int8: {len(pick)} training windows, {len(va.examples)} validation "
          f"records, consistency weight {args.consistency:g}, lr {args.lr:g}")
    weight = class_weights(task, ytr if multi else ytr.astype(np.int64))
    teacher = WithProbabilities(model, multi).eval() if args.distill else None  # a copy: deployable() copies
    history = fine_tune(graph, tr.x[pick], ytr[pick], multi, args, weight, teacher=teacher)
    copy_weights_back(graph, model)
    prob = record_probabilities(predict(model, va.x, multi), va.record, len(va.examples))
    thresholds, rep = tune_and_report(task, va.y, prob)
    training = {**bundle.meta.get("training", {}),
                "int8_fine_tune": {"from": bundle.path.resolve().name, "history": history,
                                   "wall_seconds": round(time.time() - t0, 1),
                                   "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                                            if k not in ("checkpoint", "data", "out", "cache")}}}
    save_bundle(args.out, model, bundle.meta["model"]["name"], bundle.meta["model"]["kwargs"], task,
                thresholds.tolist(), provenance=provenance, metrics=bundle_metrics(rep), training=training)
    write_calibration(model, cal, args.out, source=f"training records of {args.data.name}")
    print(f"validation: macro-F1 {rep.get('macro_f1', float('nan')):.4f}; wrote {args.out} "
          f"in {time.time() - t0:.0f} s (build it and run python -m export.parity to measure int8)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
