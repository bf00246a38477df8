"""Checkpoint bundles: a folder with ``weights.pt`` (a plain state dict, loadable with
``torch.load(weights_only=True)``), ``bundle.json`` (everything else a user or the exporter needs)
and, once calibrated, ``calibration.json`` (the int8 calibration result as plain numbers, never
training data, never a program: see :mod:`export.calibration`).

``bundle.json`` keys: ``schema``, ``model`` (``name`` + ``kwargs`` for :mod:`training.registry`),
``task``, ``labels`` (code, name, snomed_ct, threshold), ``leads``, ``preprocessing``
(:func:`contract.preprocessing.contract_numbers` minus the per-rate taps), ``provenance``,
``metrics``, ``training`` (arguments, wall time, versions).
"""
from __future__ import annotations

import json
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from contract.labels import Task, get_task
from training.registry import build_model

BUNDLE_SCHEMA = "lamscn-checkpoint/1"
WEIGHTS = "weights.pt"
METADATA = "bundle.json"
CALIBRATION = "calibration.json"
# The former calibration format, a saved torch.export program: it is never loaded (loading one can
# unpickle, i.e. run code); a bundle that still has one is told to recalibrate.
LEGACY_CALIBRATION = "calibration.pt2"


class CheckpointError(ValueError):
    """A checkpoint bundle is missing, corrupt, foreign or inconsistent."""


@dataclass
class Bundle:
    """A loaded checkpoint: the eval-mode model, its metadata and where it lives."""

    model: nn.Module
    meta: dict
    path: Path

    @property
    def task(self) -> Task:
        return get_task(self.meta["task"])

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """The model's input ``(1, leads, window samples)``: what every exported graph is traced for."""
        return 1, len(self.meta["leads"]), int(self.meta["preprocessing"]["window_samples"])

    @property
    def thresholds(self) -> list[float]:
        return [float(lab["threshold"]) for lab in self.meta["labels"]]

    @property
    def calibration_path(self) -> Path | None:
        p = self.path / CALIBRATION
        return p if p.is_file() else None

    @property
    def legacy_calibration(self) -> bool:
        """Whether the bundle has only the former, program-holding ``calibration.pt2``."""
        return self.calibration_path is None and (self.path / LEGACY_CALIBRATION).exists()


def label_entries(task: Task, thresholds: list[float]) -> list[dict]:
    """The ``labels`` list of a bundle or manifest."""
    return [{"code": c.code, "name": c.name, "snomed_ct": list(c.snomed_ct), "threshold": float(t)}
            for c, t in zip(task.conditions, thresholds, strict=True)]


def save_bundle(path: Path, model: nn.Module, model_name: str, model_kwargs: dict, task: Task,
                thresholds: list[float], **meta) -> Path:
    """Write a bundle folder (created if needed); ``meta`` adds provenance, metrics, training, ..."""
    from contract.preprocessing import contract_numbers

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    torch.save(state, path / WEIGHTS)
    pre = contract_numbers()
    pre["antialias"].pop("taps_by_rate")  # derived from the rate; written in full into the manifest
    doc = {
        "schema": BUNDLE_SCHEMA,
        "model": {"name": model_name, "kwargs": model_kwargs},
        "task": task.name,
        "labels": label_entries(task, thresholds),
        "leads": list(task.leads),
        "preprocessing": pre,
        **meta,
    }
    write_metadata(path, doc)
    return path


def write_metadata(path: Path, doc: dict) -> None:
    """Write a bundle's ``bundle.json`` (its weights untouched)."""
    (Path(path) / METADATA).write_text(json.dumps(doc, indent=2) + "\n")


def load_bundle(path: str | Path) -> Bundle:
    """Load a bundle folder; raise :class:`CheckpointError` with a one-line reason on any problem."""
    path = Path(path)
    if path.is_file() and path.name in (WEIGHTS, METADATA):
        path = path.parent
    if not path.exists():
        raise CheckpointError(f"checkpoint {path}: no such file or folder")
    if not (path / METADATA).is_file() or not (path / WEIGHTS).is_file():
        raise CheckpointError(f"checkpoint {path}: not a checkpoint bundle (needs {METADATA} and {WEIGHTS})")
    try:
        meta = json.loads((path / METADATA).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"checkpoint {path}: {METADATA} is not valid JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("schema") != BUNDLE_SCHEMA:
        found = meta.get("schema") if isinstance(meta, dict) else type(meta).__name__
        raise CheckpointError(f"checkpoint {path}: schema {found!r}, expected {BUNDLE_SCHEMA!r}")
    try:
        task = get_task(meta["task"])
        model = build_model(meta["model"]["name"], **meta["model"].get("kwargs", {}))
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"checkpoint {path}: bad metadata ({e})") from None
    if len(meta.get("labels", [])) != task.num_classes:
        raise CheckpointError(f"checkpoint {path}: {len(meta.get('labels', []))} labels, task {task.name} "
                              f"has {task.num_classes}")
    try:
        state = torch.load(path / WEIGHTS, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"checkpoint {path}: {WEIGHTS} is corrupt or not a plain state dict ({first})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path}: {WEIGHTS} holds a {type(state).__name__}, not a state dict")
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise CheckpointError(f"checkpoint {path}: weights do not fit model {meta['model']['name']} "
                              f"({str(e).splitlines()[0]})") from None
    model.eval()
    return Bundle(model=model, meta=meta, path=path)
