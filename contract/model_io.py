"""``model_io.json``: model-I/O cases an app runs at start-up and in its tests (the self-test).

``export/build.py`` writes one beside each ``manifest.json``: :data:`CASES` preprocessed synthetic
windows (the build's first verification windows, ``export.parity.synthetic_windows``, seed 0), the
eager PyTorch probabilities for each (``reference``) and, per artifact of that folder, the
probabilities the exporter measured when running that very file (``expected``: ExecuTorch XNNPACK on
the build machine's CPU, Core ML programs through ``export.mil_numpy``). An app feeds each case's
``input`` to its runtime and checks ``max |p - expected| <= tolerance`` for the artifact it loaded.
The cases are keyed to the manifest: ``model.version`` and each artifact's ``sha256`` must be the
manifest's, else the cases belong to another build and the app must refuse them.

Inputs are bytes, not decimal text: ``input_f32le_b64`` is base64 of the window's float32 values,
little-endian, row-major ``[leads, samples]`` (lead 0's samples first), i.e. exactly the model
input tensor ``[1, leads, samples]``'s memory. The tolerances (:data:`TOLERANCE`) are wiring checks
(a wrong lead order, layout, scale or output mapping moves probabilities by far more), sized from
the precision: they are not accuracy targets and were not measured on a phone.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

SCHEMA = "lamscn-model-io/1"
FILE = "model_io.json"
CASES = 4
TOLERANCE = {"fp32": 1e-4, "fp16": 0.01, "int8-weights": 0.01, "int8": 0.05}
ENCODING = "base64 of float32 little-endian, row-major [leads, samples]"


class ModelIoError(ValueError):
    """A model-I/O file is unreadable, of another schema, or does not belong to the manifest."""


def encode_window(window: np.ndarray) -> str:
    """A ``[leads, samples]`` window as the file's base64 float32 little-endian text."""
    return base64.b64encode(np.ascontiguousarray(window, dtype="<f4").tobytes()).decode("ascii")


def decode_window(text: str, leads: int, samples: int) -> np.ndarray:
    """The inverse of :func:`encode_window`, checking the size."""
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    if len(raw) != 4 * leads * samples:
        raise ModelIoError(f"model-I/O input of {len(raw)} bytes, expected {4 * leads * samples} "
                           f"(float32 [{leads}, {samples}])")
    return np.frombuffer(raw, dtype="<f4").reshape(leads, samples)


def document(manifest: dict, windows: np.ndarray, reference: np.ndarray, outputs: dict[str, np.ndarray]) -> dict:
    """The ``model_io.json`` of a build folder: ``outputs`` maps each artifact file to its measured
    probabilities on ``windows`` (the first :data:`CASES` are kept)."""
    n = min(CASES, len(windows))
    artifacts = {}
    for art in manifest["artifacts"]:
        got = outputs[art["file"]][:n]
        artifacts[art["file"]] = {
            "sha256": art["sha256"], "precision": art["precision"], "tolerance": TOLERANCE[art["precision"]],
            "expected": [[float(v) for v in row] for row in got.astype(np.float64)],
            "max_abs_diff_to_reference": float(np.abs(got.astype(np.float64) - reference[:n]).max()),
        }
    return {
        "schema": SCHEMA,
        "model": {"name": manifest["model"]["name"], "version": manifest["model"]["version"]},
        "input": {"name": manifest["input"]["name"], "shape": manifest["input"]["shape"], "encoding": ENCODING},
        "labels": [lab["code"] for lab in manifest["labels"]],
        "cases": [{"name": f"synthetic {i}", "input_f32le_b64": encode_window(windows[i]),
                   "reference": [float(v) for v in reference[i].astype(np.float64)]} for i in range(n)],
        "artifacts": artifacts,
    }


def write(doc: dict, folder: Path) -> Path:
    """Write ``folder/model_io.json`` (sorted keys: equal documents give equal bytes)."""
    path = Path(folder) / FILE
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return path


def read(path: Path, manifest: dict) -> dict:
    """Read a ``model_io.json`` and check it belongs to ``manifest`` (schema, model version, every
    artifact's sha256, input shape); returns the document with ``cases[i]["input"]`` decoded."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelIoError(f"model-I/O cases {path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelIoError(f"model-I/O cases {path}: not valid JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ModelIoError(f"model-I/O cases {path}: schema {doc.get('schema') if isinstance(doc, dict) else None!r}, "
                           f"expected {SCHEMA!r}")
    try:
        return _check(doc, path, manifest)
    except ModelIoError:
        raise
    except (KeyError, TypeError, ValueError) as e:
        raise ModelIoError(f"model-I/O cases {path}: malformed ({type(e).__name__}: {e})") from None


def _check(doc: dict, path: Path, manifest: dict) -> dict:
    if doc["model"]["version"] != manifest["model"]["version"]:
        raise ModelIoError(f"model-I/O cases {path}: model version {doc['model']['version']} is not the manifest's "
                           f"{manifest['model']['version']}")
    if doc["input"]["shape"] != manifest["input"]["shape"]:
        raise ModelIoError(f"model-I/O cases {path}: input shape {doc['input']['shape']} is not the manifest's")
    for art in manifest["artifacts"]:
        mine = doc["artifacts"].get(art["file"])
        if mine is None or mine["sha256"] != art["sha256"]:
            raise ModelIoError(f"model-I/O cases {path}: no cases for {art['file']} with the manifest's sha256")
    return decode_cases(doc)


def decode_cases(doc: dict) -> dict:
    """``doc`` with each case's ``input`` decoded from ``input_f32le_b64`` to ``[leads, samples]``."""
    _, leads, samples = doc["input"]["shape"]
    for case in doc["cases"]:
        case["input"] = decode_window(case["input_f32le_b64"], leads, samples)
    return doc
