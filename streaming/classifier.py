"""The model behind the live loop: one small interface over :mod:`export.runtime`.

A :class:`Classifier` knows its labels, thresholds, leads and whether it is multi-label, and
maps one preprocessed window ``[1, leads, 1000]`` float32 to probabilities ``[classes]``:
a checkpoint bundle (eager PyTorch, ``export.runtime.load_checkpoint``) or an ExecuTorch ``.pte``
(``export.runtime.load_artifact``, with the ``manifest.json`` beside it for labels, thresholds and leads).
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


class RuntimeClassifier:
    """A model loaded by :mod:`export.runtime`, described by its manifest (or its bundle's metadata)."""

    def __init__(self, doc: dict, predict) -> None:
        self.name = doc["model"]["name"]
        self.codes = [lab["code"] for lab in doc["labels"]]
        self.thresholds = [float(lab["threshold"]) for lab in doc["labels"]]
        self.leads = list(doc["leads"])
        self.multi_label = bool(doc["task"]["multi_label"])
        self._predict = predict

    def probabilities(self, window: np.ndarray) -> np.ndarray:
        return np.asarray(self._predict(np.ascontiguousarray(window, dtype=np.float32)), dtype=np.float64)[0]


def load_classifier(path: str | Path) -> Classifier:
    """A bundle folder (or its ``bundle.json``/``weights.pt``) or an ExecuTorch ``.pte`` file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"model {path}: no such file or folder")
    from export.runtime import ManifestError, load_artifact, load_checkpoint

    try:
        return RuntimeClassifier(*(load_artifact(path) if path.suffix == ".pte" else load_checkpoint(path)))
    except ManifestError as e:
        raise InputError(str(e)) from None


def check_pairing(classifier: Classifier, device: Device) -> None:
    """Refuse a model whose lead count the device cannot give (one line, for the app's screen)."""
    need, have = len(classifier.leads), device.leads
    if need != have:
        raise ModelMismatch(f"this model needs {need} lead{'s' if need != 1 else ''}; "
                            f"{device.label} provides {have}")
