"""Running exported artifacts from Python: ExecuTorch ``.pte`` programs and their manifests.

Used by the parity tests, the benchmark, ``training.evaluate --model X.pte`` and the streaming
reference. One window at a time, as the apps run it.

Loading is where a user's file meets the runtime, and the ExecuTorch runtime can abort the whole
process on some corrupt programs (``terminate called ... error_already_set``). So a program is
checked before it is handed over: its flatbuffer header (root offset, ``ET`` identifier, size
inside the file), then :func:`load_artifact` loads it once in a child process, so an abort there is
a one-line :class:`ArtifactError` here, and only then in this process.
"""
from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from contract.manifest import MANIFEST, ManifestError
from contract.manifest import read as read_manifest

PROBE_TIMEOUT_S = 120


class ArtifactError(ManifestError):
    """An ExecuTorch program that is not one, or that the runtime cannot load."""


def check_pte_header(path: Path) -> None:
    """Raise :class:`ArtifactError` unless ``path`` starts like an ExecuTorch flatbuffer program:
    a root-table offset inside the file and the file identifier ``ET`` + two digits at bytes 4-8."""
    data = path.read_bytes()[:16]
    if len(data) < 8:
        raise ArtifactError(f"{path}: {len(data)} bytes, too short for an ExecuTorch program")
    root = struct.unpack_from("<I", data)[0]
    ident = data[4:8]
    if not (ident[:2] == b"ET" and ident[2:].isdigit()):
        raise ArtifactError(f"{path}: not an ExecuTorch program (file identifier {ident!r}, expected b'ET..')")
    if not 8 <= root < path.stat().st_size:
        raise ArtifactError(f"{path}: corrupt ExecuTorch program (root offset {root} outside the file)")


def probe_pte(path: str | Path) -> None:
    """Load ``path``'s ``forward`` in a child process: :class:`ArtifactError` if that fails or the
    child dies (the runtime aborts on some corrupt programs); returns if it loads."""
    path = Path(path)
    code = ("import sys\nfrom export.runtime import load_pte\n"
            "try:\n    load_pte(sys.argv[1])\nexcept Exception as e:\n"
            "    print(str(e).splitlines()[0] if str(e) else type(e).__name__, file=sys.stderr); sys.exit(3)\n")
    try:
        proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT_S, cwd=Path(__file__).resolve().parent.parent)
    except subprocess.TimeoutExpired:
        raise ArtifactError(f"{path}: loading the ExecuTorch program did not finish in {PROBE_TIMEOUT_S} s") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        how = f"the runtime aborted (exit {proc.returncode})" if proc.returncode != 3 else "the runtime refused it"
        raise ArtifactError(f"{path}: corrupt ExecuTorch program, {how}: {last}")


def load_pte(path: str | Path) -> Callable[[np.ndarray], np.ndarray]:
    """``f(x[N, leads, samples] float32) -> probabilities[N, classes]`` backed by the ExecuTorch runtime;
    :class:`ArtifactError` for a file that is not a loadable program (header checked first)."""
    import torch
    from executorch.runtime import Runtime

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ExecuTorch program {path}: no such file")
    check_pte_header(path)
    try:
        method = Runtime.get().load_program(path).load_method("forward")
    except (RuntimeError, ValueError) as e:
        raise ArtifactError(f"{path}: the ExecuTorch runtime cannot load it ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None

    def predict(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 3:
            raise ValueError(f"expected windows shaped [N, leads, samples], got {x.shape}")
        outs = [method.execute([torch.from_numpy(np.ascontiguousarray(w[None]))])[0].numpy().copy() for w in x]
        return np.concatenate(outs).astype(np.float32)

    return predict


def load_artifact(path: str | Path) -> tuple[dict, Callable[[np.ndarray], np.ndarray]]:
    """An ExecuTorch ``.pte`` listed in the ``manifest.json`` beside it (schema and checksums checked):
    ``(manifest, predict)``; :class:`ManifestError` with a one-line reason otherwise. The program
    is loaded in a child process first (:func:`probe_pte`), so a corrupt one cannot abort this one."""
    path = Path(path)
    if path.suffix != ".pte" or not path.is_file():
        raise ManifestError(f"{path}: not an ExecuTorch .pte file")
    manifest = read_manifest(path.parent)
    if path.name not in {a["file"] for a in manifest["artifacts"]}:
        raise ManifestError(f"{path}: not an artifact of {path.parent / MANIFEST}")
    check_pte_header(path)
    probe_pte(path)
    return manifest, load_pte(path)


def load_checkpoint(path: str | Path) -> tuple[dict, Callable[[np.ndarray], np.ndarray]]:
    """A checkpoint bundle as ``(description, predict)``, eager PyTorch through
    :func:`training.inference.predictor`; the description has the manifest's ``model.name``,
    ``task``, ``labels`` and ``leads``. :class:`ManifestError` (one line) for a bundle that does not load."""
    from training.checkpoint import CheckpointError, load_bundle
    from training.inference import predictor

    try:
        bundle = load_bundle(path)
    except CheckpointError as e:
        raise ManifestError(str(e)) from None
    multi = bundle.task.multi_label
    doc = {"model": {"name": bundle.meta["model"]["name"]}, "task": {"name": bundle.task.name, "multi_label": multi},
           "labels": bundle.meta["labels"], "leads": list(bundle.meta["leads"])}
    return doc, predictor(bundle.model, multi)
