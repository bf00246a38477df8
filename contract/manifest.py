"""``manifest.json``: what an app needs to run an exported model, and how to check it.

One manifest per target folder (``dist/android``, ``dist/ios``) lists that folder's artifacts.
The schema is the file ``contract/manifest.schema.json`` (JSON Schema 2020-12, loaded here as
:data:`SCHEMA`; every build writes a copy beside its manifest); this module adds the checks across
fields that a schema cannot say (:func:`check_fields`), the writer and the reader. Apps refuse a manifest whose ``schema_version`` they do not know, and an
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

MANIFEST = "manifest.json"
SCHEMA_FILE = "manifest.schema.json"
SCHEMA_PATH = Path(__file__).with_name(SCHEMA_FILE)
SCHEMA: dict = json.loads(SCHEMA_PATH.read_text())
SCHEMA_VERSION: str = SCHEMA["properties"]["schema_version"]["const"]


def runtime_section(recommended_file: str) -> dict:
    """The manifest's ``runtime``: how an app calls the model, which artifact to load and how to check it."""
    return {
        "method": "forward",
        "input": "ecg: float32 [1, leads, window_samples], the preprocessing output, leads in the order of leads",
        "output": "probabilities: float32 [1, classes], in the order of labels",
        "recommended_artifact": recommended_file,
        "recommended_rule": "the smallest artifact of this folder that met every parity target on the build's "
                            "verification windows (parity.json)",
        "verify": "before loading, the artifact's bytes and sha256 as in artifacts; sha256_of tree (an .mlpackage "
                  "folder): the sha256 of the text made of one line '<sha256 of file>  <path relative to the "
                  "package>\\n' per file, sorted by path",
        "coreml": "compile the verified .mlpackage on the device (MLModel.compileModel(at:)) and keep the "
                  ".mlmodelc under the package's sha256; an Xcode-compiled .mlmodelc has bytes no manifest lists",
        "self_test": "model_io.json beside this manifest: run its cases through the loaded artifact at start-up",
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
    """Raise :class:`ManifestError` (one line: the first problem and where) unless ``doc`` fits
    :data:`SCHEMA` and :func:`check_fields`."""
    import jsonschema

    if isinstance(doc, dict) and doc.get("schema_version") != SCHEMA_VERSION:
        raise ManifestError(f"manifest schema_version {doc.get('schema_version')!r}, expected {SCHEMA_VERSION!r}")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise ManifestError(f"manifest invalid at {where}: {error.message.splitlines()[0]}")
    check_fields(doc)


def check_fields(doc: dict) -> None:
    """The rules across fields of a schema-valid manifest; :class:`ManifestError` names the first broken one."""
    def fail(where: str, problem: str) -> None:
        raise ManifestError(f"manifest invalid at {where}: {problem}")

    pre, labels = doc["preprocessing"], doc["labels"]
    classes = doc["output"]["shape"][-1]
    if len(labels) != classes:
        fail("labels", f"{len(labels)} labels for an output of {classes} classes")
    expected_input = [1, len(doc["leads"]), pre["window_samples"]]
    if doc["input"]["shape"] != expected_input:
        fail("input/shape", f"{doc['input']['shape']}, expected [1, leads, window_samples] = {expected_input}")
    if doc["window"]["samples"] != pre["window_samples"] or doc["sample_rate_hz"] != pre["model_rate_hz"]:
        fail("window", "samples or sample_rate_hz differ from preprocessing's window_samples / model_rate_hz")
    if pre["window_samples"] != round(pre["window_seconds"] * pre["model_rate_hz"]):
        fail("preprocessing/window_samples", "is not window_seconds x model_rate_hz")
    rule = "threshold" if doc["task"]["multi_label"] else "scaled_argmax"
    if doc["decision"]["rule"] != rule:
        fail("decision/rule", f"{doc['decision']['rule']!r} for a task with multi_label={doc['task']['multi_label']}"
                              f" (expected {rule!r})")
    band = pre["bandpass"]
    if len(band["zi"]) != len(band["sos"]):
        fail("preprocessing/bandpass/zi", f"{len(band['zi'])} rows for {len(band['sos'])} sos sections")
    taps = set(pre["antialias"]["taps_by_rate"])
    rates = set(pre["resample"]["input_samples_by_rate"])
    if str(pre["model_rate_hz"]) not in rates:
        fail("preprocessing/resample/input_samples_by_rate", f"has no entry for the model rate {pre['model_rate_hz']}")
    if rates - {str(pre["model_rate_hz"])} != taps - {str(pre["model_rate_hz"])}:
        fail("preprocessing/antialias/taps_by_rate", f"rates {sorted(taps, key=int)} differ from resample's "
                                                     f"{sorted(rates, key=int)}")
    quality = doc["live"]["quality"]
    for check in quality["checks"]:
        if check != "non_finite" and check not in quality:
            fail(f"live/quality/{check}", "listed in checks but has no section")
    files = [a["file"] for a in doc["artifacts"]]
    if len(set(files)) != len(files):
        fail("artifacts", "a file is listed twice")
    poor = doc["decision"].get("poor_signal_label")
    if poor is not None and poor not in [lab["code"] for lab in labels]:
        fail("decision/poor_signal_label", f"{poor!r} is not a label code")
    if doc["live"]["heart_rate"].get("lead", 0) >= len(doc["leads"]):
        fail("live/heart_rate/lead", f"{doc['live']['heart_rate']['lead']} for {len(doc['leads'])} leads")
    recommended = doc.get("runtime", {}).get("recommended_artifact")
    if recommended is not None and recommended not in files:
        fail("runtime/recommended_artifact", f"{recommended!r} is not one of the artifacts")


def verify_artifacts(doc: dict, folder: Path) -> None:
    """Raise :class:`ManifestError` unless every artifact in ``folder`` has the manifest's bytes and sha256."""
    for art in doc["artifacts"]:
        size, sha, _ = digest(Path(folder) / art["file"])
        if sha != art["sha256"] or size != art["bytes"]:
            raise ManifestError(f"artifact {art['file']}: sha256 {sha[:12]}… ({size} bytes) does not match "
                                f"the manifest's {art['sha256'][:12]}… ({art['bytes']} bytes)")


def write(doc: dict, folder: Path) -> Path:
    """Validate and write ``folder/manifest.json`` (sorted keys, so equal documents give equal bytes),
    with a copy of the schema beside it as ``manifest.schema.json``."""
    validate(doc)
    (Path(folder) / SCHEMA_FILE).write_bytes(SCHEMA_PATH.read_bytes())
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
