"""The model behind the live loop: one small interface, one backend per runtime.

A :class:`Classifier` knows its labels, thresholds, leads and whether it is multi-label, and
maps one preprocessed window ``[1, leads, 1000]`` float32 to probabilities ``[classes]``.

- :class:`TorchBundleClassifier`: a checkpoint bundle (:func:`training.checkpoint.load_bundle`),
  eager PyTorch with the sigmoid/softmax of :class:`training.model.WithProbabilities`.
- :class:`PteClassifier`: an ExecuTorch ``.pte`` through ``export.runtime.load_artifact``, with the
  ``manifest.json`` beside it for labels, thresholds and leads.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from streaming.devices import Device
from streaming.errors import InputError, ModelMismatch


class Classifier(Protocol):
    """What the live loop needs from a model."""

    name: str
    codes: list[str]
    thresholds: list[float]
    leads: list[str]
    multi_label: bool

    def probabilities(self, window: np.ndarray) -> np.ndarray:
        """``[1, leads, samples]`` float32 -> ``[classes]`` float probabilities."""


class TorchBundleClassifier:
    """Eager PyTorch on a checkpoint bundle folder."""

    def __init__(self, path: str | Path) -> None:
        import torch

        from training.checkpoint import CheckpointError, load_bundle
        from training.model import WithProbabilities

        try:
            bundle = load_bundle(path)
        except CheckpointError as e:
            raise InputError(str(e)) from None
        self._torch = torch
        self.name = bundle.meta["model"]["name"]
        self.codes = [lab["code"] for lab in bundle.meta["labels"]]
        self.thresholds = bundle.thresholds
        self.leads = list(bundle.meta["leads"])
        self.multi_label = bundle.task.multi_label
        self.model = WithProbabilities(bundle.model, self.multi_label).eval()

    def probabilities(self, window: np.ndarray) -> np.ndarray:
        with self._torch.no_grad():
            return self.model(self._torch.from_numpy(np.ascontiguousarray(window, dtype=np.float32)))[0].numpy()


class PteClassifier:
    """ExecuTorch program; labels, thresholds, leads and task come from the ``manifest.json`` beside it,
    read (schema and checksums checked) by ``export.runtime.load_artifact``."""

    def __init__(self, path: str | Path) -> None:
        from export.runtime import ManifestError, load_artifact

        try:
            manifest, self.program = load_artifact(path)
        except ManifestError as e:
            raise InputError(str(e)) from None
        self.name = manifest["model"]["name"]
        self.codes = [lab["code"] for lab in manifest["labels"]]
        self.thresholds = [float(lab["threshold"]) for lab in manifest["labels"]]
        self.leads = list(manifest["leads"])
        self.multi_label = bool(manifest["task"]["multi_label"])

    def probabilities(self, window: np.ndarray) -> np.ndarray:
        return np.asarray(self.program(np.ascontiguousarray(window, dtype=np.float32)), dtype=np.float64)[0]


def load_classifier(path: str | Path) -> Classifier:
    """A bundle folder (or its ``bundle.json``/``weights.pt``) or an ExecuTorch ``.pte`` file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"model {path}: no such file or folder")
    if path.suffix == ".pte":
        return PteClassifier(path)
    return TorchBundleClassifier(path)


def check_pairing(classifier: Classifier, device: Device) -> None:
    """Refuse a model whose lead count the device cannot give (one line, for the app's screen)."""
    need, have = len(classifier.leads), device.leads
    if need != have:
        raise ModelMismatch(f"this model needs {need} lead{'s' if need != 1 else ''}; "
                            f"{device.label} provides {have}")
