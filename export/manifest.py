"""``manifest.json``: what an app needs to run an exported model, and how to check it.

One manifest per target folder (``dist/android``, ``dist/ios``) lists that folder's artifacts.
This module is the one definition of the schema (:data:`SCHEMA`, JSON Schema 2020-12), the writer
and the validator. Apps refuse a manifest whose ``schema_version`` they do not know, and an
artifact whose bytes or sha256 differ from the manifest. The manifest itself is trusted through
its sha256 pinned in the app build (``read(..., pinned_sha256=...)``; the cores do the same).

An ``.mlpackage`` is a folder: its ``sha256`` is the sha256 of the text made of one line
``"<sha256 of file>  <path relative to the package>\\n"`` per file, sorted by path (what
``cd X.mlpackage && find . -type f | sort | xargs sha256sum`` prints, without the ``./``), and
``bytes`` is the sum of its files' sizes.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

SCHEMA_VERSION = "lamscn-manifest/1"
MANIFEST = "manifest.json"

_LABEL = {
    "type": "object",
    "required": ["code", "name", "snomed_ct", "threshold"],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1},
        "snomed_ct": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]+$"}},
        "threshold": {"type": "number", "minimum": 0, "maximum": 1},
    },
}
_TENSOR = {
    "type": "object",
    "required": ["name", "dtype", "shape"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "dtype": {"const": "float32"},
        "shape": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 2},
    },
}
_ARTIFACT = {
    "type": "object",
    "required": ["file", "runtime", "precision", "bytes", "sha256"],
    "additionalProperties": False,
    "properties": {
        "file": {"type": "string", "pattern": r"^[^/\\]+$"},
        "runtime": {"enum": ["executorch-xnnpack", "coreml-mlprogram"]},
        "precision": {"enum": ["fp32", "int8", "fp16", "int8-weights"]},
        "bytes": {"type": "integer", "minimum": 1},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "sha256_of": {"enum": ["file", "tree"]},
        "minimum_deployment_target": {"type": "string"},
        "calibration": {"enum": ["bundle", "data", "synthetic"]},
    },
}

SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://lamscn.invalid/schemas/manifest-1.json",
    "title": "LAMSCN exported model manifest",
    "type": "object",
    "required": ["schema_version", "model", "task", "labels", "leads", "sample_rate_hz", "window", "input",
                 "output", "preprocessing", "decision", "live", "artifacts", "metrics", "provenance", "tools"],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "model": {
            "type": "object",
            "required": ["name", "version", "architecture", "kwargs", "parameters"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "version": {"type": "string", "minLength": 1},
                "architecture": {"type": "string"},
                "kwargs": {"type": "object"},
                "parameters": {"type": "integer", "minimum": 1},
            },
        },
        "task": {
            "type": "object",
            "required": ["name", "multi_label"],
            "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "multi_label": {"type": "boolean"},
                           "description": {"type": "string"}},
        },
        "labels": {"type": "array", "items": _LABEL, "minItems": 1},
        "leads": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "sample_rate_hz": {"type": "integer", "minimum": 1},
        "window": {
            "type": "object",
            "required": ["samples", "seconds"],
            "additionalProperties": False,
            "properties": {"samples": {"type": "integer", "minimum": 1}, "seconds": {"type": "number"}},
        },
        "input": _TENSOR,
        "output": _TENSOR,
        "preprocessing": {
            "type": "object",
            "required": ["model_rate_hz", "window_samples", "antialias", "resample", "bandpass", "standardize"],
            "properties": {
                "antialias": {"type": "object", "required": ["taps_by_rate"]},
                "bandpass": {"type": "object", "required": ["sos", "zi", "padlen"]},
                "standardize": {"type": "object", "required": ["std_floor"]},
            },
        },
        "decision": {
            "type": "object",
            "required": ["rule", "description"],
            "additionalProperties": False,
            "properties": {"rule": {"enum": ["threshold", "scaled_argmax"]}, "description": {"type": "string"},
                           "records": {"const": "mean_of_windows"}},
        },
        "live": {
            "type": "object",
            "required": ["hop_seconds", "sequencer", "quality", "heart_rate", "debounce"],
            "properties": {"hop_seconds": {"type": "number", "exclusiveMinimum": 0}},
        },
        "artifacts": {"type": "array", "items": _ARTIFACT, "minItems": 1},
        "metrics": {"type": "object"},
        "provenance": {"type": "object"},
        "tools": {
            "type": "object",
            "required": ["torch", "executorch", "coremltools", "numpy"],
            "additionalProperties": {"type": "string"},
        },
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}


class ManifestError(ValueError):
    """A manifest is invalid, of an unknown schema version, or does not match its artifacts."""


def digest(path: Path) -> tuple[int, str, str]:
    """``(bytes, sha256, "file" | "tree")`` of an artifact file or package folder."""
    path = Path(path)
    if path.is_file():
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return path.stat().st_size, h.hexdigest(), "file"
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        lines = "".join(f"{digest(p)[1]}  {p.relative_to(path).as_posix()}\n" for p in files)
        return sum(p.stat().st_size for p in files), hashlib.sha256(lines.encode()).hexdigest(), "tree"
    raise ManifestError(f"artifact {path}: no such file or folder")


def artifact_entry(path: Path, runtime: str, precision: str, **extra) -> dict:
    """The manifest entry of one artifact, measured from the bytes on disk."""
    size, sha, kind = digest(path)
    return {"file": Path(path).name, "runtime": runtime, "precision": precision, "bytes": size,
            "sha256": sha, "sha256_of": kind, **extra}


def validate(doc: dict) -> None:
    """Raise :class:`ManifestError` (one line: the first problem and where) unless ``doc`` fits :data:`SCHEMA`."""
    import jsonschema

    if isinstance(doc, dict) and doc.get("schema_version") != SCHEMA_VERSION:
        raise ManifestError(f"manifest schema_version {doc.get('schema_version')!r}, expected {SCHEMA_VERSION!r}")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise ManifestError(f"manifest invalid at {where}: {error.message.splitlines()[0]}")


def verify_artifacts(doc: dict, folder: Path) -> None:
    """Raise :class:`ManifestError` unless every artifact in ``folder`` has the manifest's bytes and sha256."""
    for art in doc["artifacts"]:
        size, sha, _ = digest(Path(folder) / art["file"])
        if sha != art["sha256"] or size != art["bytes"]:
            raise ManifestError(f"artifact {art['file']}: sha256 {sha[:12]}… ({size} bytes) does not match "
                                f"the manifest's {art['sha256'][:12]}… ({art['bytes']} bytes)")


def write(doc: dict, folder: Path) -> Path:
    """Validate and write ``folder/manifest.json`` (sorted keys, so equal documents give equal bytes)."""
    validate(doc)
    path = Path(folder) / MANIFEST
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return path


def read(folder_or_file: Path, pinned_sha256: str | None = None) -> dict:
    """Read a manifest, check its schema version and schema, and its artifacts' checksums; with
    ``pinned_sha256`` (the digest an app build recorded, see README "Trusting a manifest") first
    check that the file is byte for byte the manifest that was pinned."""
    path = Path(folder_or_file)
    if path.is_dir():
        path = path / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError(f"manifest {path}: no such file") from None
    if pinned_sha256 is not None:
        got = hashlib.sha256(raw).hexdigest()
        if got != pinned_sha256.strip().lower():
            raise ManifestError(f"manifest {path}: sha256 {got[:12]}… is not the {pinned_sha256.strip()[:12]}… "
                                f"pinned by the app build (edited, or from another build)")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ManifestError(f"manifest {path}: not valid JSON ({e})") from None
    validate(doc)
    verify_artifacts(doc, path.parent)
    return doc
