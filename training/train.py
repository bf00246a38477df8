"""Train a model on real ECG: ``python -m training.train --task ptbxl17 --data DIR --out RUN_DIR``.

One readable loop: data → model → optimizer → evaluate each epoch → early stopping → per-class
thresholds tuned on the validation split → checkpoint bundle, ``metrics.json`` and plots.
Runs unchanged under ``torchrun --nproc_per_node N`` (DistributedDataParallel, gloo on CPU):
every process trains on its shard of each epoch; rank 0 validates and writes the run folder.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, update_bn
from tqdm import tqdm

from contract.arguments import OneLineParser, json_object, positive_float
from contract.decision import decide
from contract.labels import Task, get_task
from contract.output_files import OutputError, check_writable_folder
from contract.preprocessing import WINDOW
from training import datasets, metrics, report
from training.checkpoint import save_bundle
from training.datasets import evenly_spaced
from training.inference import predict, record_probabilities
from training.model import count_macs, count_parameters
from training.registry import build_model
from training.thresholds import tune_multi_label, tune_single_label

DEFAULT_MODEL = {"ptbxl17": "lamscn_12lead", "cinc2017": "lamscn_1lead"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = OneLineParser(prog="python -m training.train", description=__doc__.split("\n\n")[0],
                      formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--task", required=True, help="task name: ptbxl17 (12-lead, 17 conditions) or cinc2017 (1 lead)")
    p.add_argument("--data", required=True, type=Path, help="dataset folder (PTB-XL in either layout, or CinC 2017)")
    p.add_argument("--out", required=True, type=Path, help="run folder: checkpoint bundle, metrics.json, plots")
    p.add_argument("--model", default=None, help="registry model name (default: lamscn_12lead / lamscn_1lead by task)")
    p.add_argument("--model-kwargs", type=json_object, default="{}",
                   help="JSON object of keyword arguments for the model builder")
    p.add_argument("--epochs", type=int, default=30, help="maximum epochs")
    p.add_argument("--patience", type=int, default=6, help="early stopping: epochs without validation improvement")
    p.add_argument("--batch-size", type=int, default=64, help="batch size per process")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (AdamW, one-cycle schedule)")
    p.add_argument("--weight-decay", type=float, default=1e-2, help="AdamW weight decay")
    p.add_argument("--crop-seconds", type=float, default=5.0,
                   help="train on random crops of this length (the model pools globally; validation uses full windows)")
    p.add_argument("--noise", type=float, default=0.05, help="augmentation: Gaussian noise std (standardized units)")
    p.add_argument("--scale", type=float, default=0.2, help="augmentation: random amplitude scale in [1-s, 1+s] per lead")
    p.add_argument("--val-fold", type=int, default=9, help="PTB-XL fold used for early stopping and thresholds")
    p.add_argument("--val-fraction", type=float, default=0.2, help="cinc2017: stratified validation fraction")
    p.add_argument("--hop-seconds", type=positive_float, default=5.0,
                   help="hop between windows of records longer than one window")
    p.add_argument("--max-records", type=int, default=None, help="use at most this many records per split (quick runs)")
    p.add_argument("--cache", type=lambda s: Path(s) if s else None, default=Path.home() / ".cache" / "lamscn",
                   help="folder for cached preprocessed windows, outside the repository ('' disables caching)")
    p.add_argument("--ema", type=float, default=0.0,
                   help="validate and keep an exponential moving average of the weights with this decay per "
                        "step, e.g. 0.998 (BatchNorm statistics recomputed for it each epoch); 0: the raw weights")
    p.add_argument("--seed", type=int, default=0, help="random seed of initialisation, batches and augmentation")
    p.add_argument("--split-seed", type=int, default=0, help="cinc2017: seed of the stratified validation split")
    p.add_argument("--threads", type=int, default=0, help="torch threads per process (0: all cores / processes)")
    p.add_argument("--device", default="cpu",
                   help="torch device to train on: cpu, cuda or cuda:N (the bundle is written from CPU weights; "
                        "augmentation draws stay on the CPU generator, so a seed gives the same batches anywhere)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p.parse_args(argv)


def split(task: Task, examples: list[datasets.Example], args: argparse.Namespace):
    """Training and validation examples: PTB-XL by fold, CinC 2017 by a stratified seeded split."""
    if task.multi_label:
        train = [e for e in examples if e.fold != args.val_fold]
        val = [e for e in examples if e.fold == args.val_fold]
    else:
        train, val = datasets.stratified_split(examples, task.num_classes, args.val_fraction, args.split_seed)
    if args.max_records:
        train, val = train[:args.max_records], val[:args.max_records]
    if not train or not val:
        raise SystemExit(f"error: {args.data}: need training and validation records "
                         f"(found {len(train)} training, {len(val)} validation)")
    return train, val


def window_targets(ws: datasets.WindowSet) -> np.ndarray:
    """Targets per window (records may give several windows)."""
    return ws.y[ws.record]


def augment(x: torch.Tensor, crop: int, noise: float, scale: float, gen: torch.Generator) -> torch.Tensor:
    """Random crop, per-lead amplitude scale and Gaussian noise of a standardized batch."""
    if crop < x.shape[-1]:
        start = int(torch.randint(0, x.shape[-1] - crop + 1, (1,), generator=gen))
        x = x[..., start:start + crop]
    gain = 1 + (torch.rand(x.shape[0], x.shape[1], 1, generator=gen) * 2 - 1) * scale
    return x * gain + torch.randn(x.shape, generator=gen) * noise


def loss_fn(task: Task, class_weight: torch.Tensor):
    """BCE with positive weights (multi-label) or weighted cross-entropy (single-label)."""
    if task.multi_label:
        return lambda logits, y: F.binary_cross_entropy_with_logits(logits, y, pos_weight=class_weight)
    return lambda logits, y: F.cross_entropy(logits, y, weight=class_weight)


def class_weights(task: Task, y: np.ndarray) -> torch.Tensor:
    """sqrt(negatives/positives) per class, clipped to [1, 20] (multi-label), or inverse-sqrt
    frequency normalised to mean 1 (single-label)."""
    if task.multi_label:
        pos = y.sum(axis=0).clip(min=1)
        return torch.tensor(np.sqrt((len(y) - pos) / pos).clip(1, 20), dtype=torch.float32)
    freq = np.bincount(y, minlength=task.num_classes).clip(min=1) / len(y)
    w = 1 / np.sqrt(freq)
    return torch.tensor(w / w.mean(), dtype=torch.float32)


@torch.no_grad()
def refresh_batchnorm(model: nn.Module, x: np.ndarray, batch: int, limit: int = 2048) -> None:
    """Recompute BatchNorm statistics on up to ``limit`` evenly spaced training windows: averaged
    weights need their own statistics (averaged statistics do not match them, and the averaged
    network then collapses to one class)."""
    pick = evenly_spaced(len(x), limit)
    update_bn((torch.from_numpy(x[pick[i:i + batch]]) for i in range(0, len(pick), batch)), model,
              device=next(model.parameters()).device)


def validation_score(task: Task, y: np.ndarray, prob: np.ndarray) -> float:
    """Early-stopping score: macro-AUROC (multi-label) or f1_nao / macro-F1 of the arg-max (single-label)."""
    if task.multi_label:
        return metrics.multilabel_report(y, prob, np.full(y.shape[1], 0.5), task.codes)["macro_auroc"]
    return metrics.single_label_score(y, prob.argmax(axis=1), task.codes)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        check_writable_folder(args.out, "--out")  # before any work, not after it
    except OutputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    try:
        device = torch.device(args.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("CUDA is not available on this machine")
    except RuntimeError as e:
        print(f"error: --device {args.device}: {e}", file=sys.stderr)
        return 2
    if distributed:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    if distributed and device.type == "cuda" and device.index is None:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // world))
    torch.manual_seed(args.seed)
    t0 = time.time()
    try:
        task = get_task(args.task)
        model_kwargs = dict(args.model_kwargs)
        model_name = args.model or DEFAULT_MODEL[task.name]
        model_kwargs.setdefault("num_classes", task.num_classes)
        model = build_model(model_name, **model_kwargs).to(device)
        examples = datasets.examples_for(task, args.data)
    except (ValueError, datasets.DatasetError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    train_ex, val_ex = split(task, examples, args)
    progress = not args.no_progress and rank == 0
    tr = datasets.load_windows(train_ex, task, args.hop_seconds, args.cache, progress)
    va = datasets.load_windows(val_ex, task, args.hop_seconds, args.cache, progress)
    if len(tr.x) == 0 or len(va.x) == 0:
        print(f"error: {args.data}: no usable training or validation records", file=sys.stderr)
        return 2
    ytr = window_targets(tr)
    if rank == 0:
        print(f"task {task.name}: {len(tr.examples)} training records ({len(tr.x)} windows), "
              f"{len(va.examples)} validation records; skipped {len(tr.skipped) + len(va.skipped)}")
        print(f"model {model_name}: {count_parameters(model):,} parameters, "
              f"{count_macs(model, len(task.leads), WINDOW) / 1e6:.2f} M MACs per {WINDOW // 100} s window")

    ddp_model = nn.parallel.DistributedDataParallel(model) if distributed else model
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = max(1, -(-len(tr.x) // (args.batch_size * world)))
    total_steps = max(4, args.epochs * steps_per_epoch)  # one-cycle needs at least a step up and a step down
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total_steps,
                                                pct_start=max(0.2, 2 / total_steps))
    criterion = loss_fn(task, class_weights(task, ytr if task.multi_label else ytr.astype(np.int64)).to(device))
    gen = torch.Generator().manual_seed(args.seed + rank)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(args.ema)) if args.ema > 0 else None
    scored = ema.module if ema is not None else model
    crop = min(WINDOW, max(1, int(round(args.crop_seconds * 100))))

    best, best_epoch, best_state, history = -np.inf, -1, None, []
    for epoch in range(args.epochs):
        model.train()
        perm = np.random.default_rng(args.seed + epoch).permutation(len(tr.x))
        shard = perm[rank::world][: (len(perm) // world)]
        losses = []
        bar = tqdm(range(0, len(shard), args.batch_size), desc=f"epoch {epoch + 1}/{args.epochs}", unit="batch",
                   file=sys.stderr, disable=not progress, leave=False)
        for i in bar:
            idx = shard[i:i + args.batch_size]
            x = augment(torch.from_numpy(tr.x[idx]), crop, args.noise, args.scale, gen).to(device)
            y = torch.from_numpy(ytr[idx]).to(device)
            loss = criterion(ddp_model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched.last_epoch + 1 < sched.total_steps:
                sched.step()
            if ema is not None:
                ema.update_parameters(model)
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
        stop = torch.zeros(1, device=device)
        if rank == 0:
            if ema is not None:
                refresh_batchnorm(scored, tr.x, args.batch_size)
            prob = record_probabilities(predict(scored, va.x, task.multi_label), va.record, len(va.examples))
            score = validation_score(task, va.y, prob)
            history.append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "val_score": float(score)})
            print(f"epoch {epoch + 1:3d}  train_loss {np.mean(losses):.4f}  val_score {score:.4f}  "
                  f"elapsed {time.time() - t0:.0f}s", flush=True)
            if score > best:
                best, best_epoch = score, epoch
                best_state = {k: v.detach().clone() for k, v in scored.state_dict().items()}
            elif epoch - best_epoch >= args.patience:
                print(f"early stop: no improvement for {args.patience} epochs (best epoch {best_epoch + 1})")
                stop[0] = 1
        if distributed:
            dist.broadcast(stop, 0)
        if stop[0]:
            break

    if rank == 0:
        model.load_state_dict(best_state)
        model.cpu()
        finish(args, task, model, model_name, model_kwargs, tr, va, history, best_epoch, time.time() - t0)
    if distributed:
        dist.barrier()
        dist.destroy_process_group()
    return 0


def tune_and_report(task: Task, y: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, dict]:
    """Thresholds tuned on validation records ``(y, prob)`` and the report at those thresholds."""
    if task.multi_label:
        thresholds = tune_multi_label(y, prob)
        return thresholds, metrics.multilabel_report(y, prob, thresholds, task.codes)
    thresholds = tune_single_label(y, prob, task.codes)
    return thresholds, metrics.singlelabel_report(y, prob, task.codes, decide(prob, thresholds, False).argmax(1))


def bundle_metrics(rep: dict) -> dict:
    """A report as a bundle's ``metrics`` entry: the summary first, per-class rows last."""
    return {"split": "validation", **{k: v for k, v in rep.items() if k != "per_class"}, "per_class": rep["per_class"]}


def finish(args, task: Task, model: nn.Module, model_name: str, model_kwargs: dict, tr: datasets.WindowSet,
           va: datasets.WindowSet, history: list[dict], best_epoch: int, wall: float) -> None:
    """Tune thresholds, write the bundle, metrics.json and plots."""
    model.eval()
    prob = record_probabilities(predict(model, va.x, task.multi_label), va.record, len(va.examples))
    thresholds, rep = tune_and_report(task, va.y, prob)
    folds = sorted({e.fold for e in tr.examples if e.fold is not None})
    provenance = {
        "dataset": task.dataset, "train_records": len(tr.examples),
        "train_windows": int(len(tr.x)), "val_records": len(va.examples),
        "train_folds": folds, "val_fold": args.val_fold if task.multi_label else None,
        "val_split": None if task.multi_label else {"fraction": args.val_fraction, "seed": args.split_seed},
        "skipped_records": len(tr.skipped) + len(va.skipped),
    }
    run_meta = {
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "best_epoch": best_epoch + 1, "epochs_run": len(history), "wall_seconds": round(wall, 1),
        "parameters": count_parameters(model), "macs": count_macs(model, len(task.leads), WINDOW),
        "versions": {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version()},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    out = args.out
    save_bundle(out, model, model_name, model_kwargs, task, thresholds.tolist(), provenance=provenance,
                metrics=bundle_metrics(rep), training=run_meta)
    (out / "metrics.json").write_text(json.dumps({"validation": rep, "history": history, **run_meta}, indent=2) + "\n")
    report.write_plots(out / "plots", task, va.y, prob, thresholds, rep, history)
    print(report.format_table(task, rep))
    print(report.summary_line(task, rep))
    print(f"wrote {out} in {wall:.0f} s; int8 calibration: python -m export.calibration --checkpoint {out} "
          f"--data {args.data}")


if __name__ == "__main__":
    sys.exit(main())
