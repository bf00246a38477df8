"""The one eager inference path: a model on preprocessed windows -> probabilities, and windows ->
records. Training, evaluation, parity, the benchmark and the streaming reference all run it."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from training.model import WithProbabilities


def predictor(model: nn.Module, multi_label: bool, batch: int = 256) -> Callable[[np.ndarray], np.ndarray]:
    """``f(x[n, leads, L]) -> probabilities[n, classes]`` float32: the model wrapped once in
    :class:`training.model.WithProbabilities` (the graph the export lowers), in eval mode, on the
    model's device, ``batch`` windows at a time. The wrapper is a copy: later changes to ``model``
    are not seen."""
    wrapped = WithProbabilities(model, multi_label).eval()
    device = next(model.parameters()).device

    def run(x: np.ndarray) -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(x), batch):
                xb = torch.from_numpy(np.ascontiguousarray(x[i:i + batch], dtype=np.float32)).to(device)
                out.append(wrapped(xb).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, 0), np.float32)

    return run


def predict(model: nn.Module, x: np.ndarray, multi_label: bool, batch: int = 256) -> np.ndarray:
    """Probabilities for windows ``x`` once (:func:`predictor`)."""
    return predictor(model, multi_label, batch)(x)


def record_probabilities(prob: np.ndarray, record: np.ndarray, n: int) -> np.ndarray:
    """Aggregate window probabilities per record: the mean (the manifest's ``mean_of_windows``)."""
    out = np.zeros((n, prob.shape[1]), dtype=np.float64)
    np.add.at(out, record, prob)
    return out / np.bincount(record, minlength=n).clip(min=1)[:, None]
