"""Running exported artifacts from Python: ExecuTorch ``.pte`` programs and their manifests.

Used by the parity tests, the benchmark, ``training.evaluate --model X.pte`` and the streaming
reference. One window at a time, as the apps run it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from export.manifest import MANIFEST, ManifestError, read as read_manifest


def load_pte(path: str | Path) -> Callable[[np.ndarray], np.ndarray]:
    """``f(x[N, leads, samples] float32) -> probabilities[N, classes]`` backed by the ExecuTorch runtime."""
    import torch
    from executorch.runtime import Runtime

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ExecuTorch program {path}: no such file")
    method = Runtime.get().load_program(path).load_method("forward")

    def predict(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 3:
            raise ValueError(f"expected windows shaped [N, leads, samples], got {x.shape}")
        outs = [method.execute([torch.from_numpy(np.ascontiguousarray(w[None]))])[0].numpy().copy() for w in x]
        return np.concatenate(outs).astype(np.float32)

    return predict


def load_artifact(path: str | Path) -> tuple[dict, Callable[[np.ndarray], np.ndarray]]:
    """An ExecuTorch ``.pte`` listed in the ``manifest.json`` beside it (schema and checksums checked):
    ``(manifest, predict)``; :class:`ManifestError` with a one-line reason otherwise."""
    path = Path(path)
    if path.suffix != ".pte" or not path.is_file():
        raise ManifestError(f"{path}: not an ExecuTorch .pte file")
    manifest = read_manifest(path.parent)
    if path.name not in {a["file"] for a in manifest["artifacts"]}:
        raise ManifestError(f"{path}: not an artifact of {path.parent / MANIFEST}")
    return manifest, load_pte(path)
