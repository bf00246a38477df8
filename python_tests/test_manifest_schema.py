"""``contract/manifest.schema.json`` and the checks across fields: both shipped bundles' manifests pass,
each broken manifest that the contract review listed (#12) is refused, naming where."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from contract import manifest as mf
from contract.manifest import runtime_section
from export.build import base_manifest
from training.checkpoint import load_bundle

CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"
FAKE_ARTIFACT = {"file": "m.fp32.pte", "runtime": "executorch-xnnpack", "precision": "fp32", "bytes": 1,
                 "sha256": "0" * 64, "sha256_of": "file"}


def shipped_manifest(name: str) -> dict:
    """The manifest ``build.py`` writes for a shipped bundle, with one placeholder artifact."""
    path = CHECKPOINTS / name
    if not path.is_dir():
        pytest.skip(f"no shipped checkpoint {name}")
    doc = base_manifest(load_bundle(path), name)
    return json.loads(json.dumps({**doc, "artifacts": [FAKE_ARTIFACT], "runtime": runtime_section(FAKE_ARTIFACT["file"])}))


@pytest.fixture(scope="module")
def ptbxl17() -> dict:
    return shipped_manifest("lamscn_12lead_ptbxl17")


@pytest.fixture(scope="module")
def cinc2017() -> dict:
    return shipped_manifest("lamscn_1lead_cinc2017")


def test_schema_file_is_valid_2020_12_and_is_what_the_module_uses():
    jsonschema.Draft202012Validator.check_schema(mf.SCHEMA)
    assert mf.SCHEMA == json.loads(mf.SCHEMA_PATH.read_text())
    assert mf.SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert mf.SCHEMA_VERSION == "lamscn-manifest/1"


@pytest.mark.parametrize("name", ["ptbxl17", "cinc2017"])
def test_both_shipped_manifests_are_valid(name, request):
    doc = request.getfixturevalue(name)
    mf.validate(doc)
    jsonschema.Draft202012Validator(mf.SCHEMA).validate(doc)  # the schema alone, as another language reads it
    assert doc["decision"]["poor_signal_label"] == {"ptbxl17": None, "cinc2017": "~"}[name]
    assert doc["decision"]["live"] == "per_window_debounced" and doc["live"]["heart_rate"]["lead"] == 0


def _set(doc: dict, path: str, value) -> None:
    *parents, last = path.split("/")
    node = doc
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


# (manifest, path to change, new value, the text that must name where the error is)
BROKEN = [
    # the five the contract review found accepted (#12 section 2)
    ("ptbxl17", "preprocessing/antialias/taps_by_rate/250", "0.1,0.2", "preprocessing/antialias/taps_by_rate/250"),
    ("ptbxl17", "preprocessing/bandpass/sos/0", [1.0, 0.5], "preprocessing/bandpass/sos/0"),
    ("ptbxl17", "live/quality", {}, "live/quality"),
    ("cinc2017", "labels", "first two", "at labels: 2 labels for an output of 4 classes"),
    ("cinc2017", "labels/1/threshold", 0, "labels/1/threshold"),
    # the rest of the typing and the cross-field rules
    ("ptbxl17", "preprocessing/antialias/taps_by_rate/250", [], "preprocessing/antialias/taps_by_rate/250"),
    ("ptbxl17", "preprocessing/bandpass/zi", "drop one", "preprocessing/bandpass/zi: 3 rows for 4 sos sections"),
    ("ptbxl17", "preprocessing/bandpass/zi/0", [0.1, 0.2, 0.3], "preprocessing/bandpass/zi/0"),
    ("ptbxl17", "preprocessing/standardize/std_floor", 0, "preprocessing/standardize/std_floor"),
    ("ptbxl17", "preprocessing/resample/input_samples_by_rate/100", "drop", "no entry for the model rate 100"),
    ("ptbxl17", "preprocessing/antialias/taps_by_rate/130", "drop", "preprocessing/antialias/taps_by_rate: rates"),
    ("ptbxl17", "input/shape", [1, 1, 1000], "input/shape: [1, 1, 1000], expected [1, leads, window_samples]"),
    ("ptbxl17", "decision/rule", "scaled_argmax", "decision/rule: 'scaled_argmax' for a task with multi_label=True"),
    ("ptbxl17", "live/quality/noisy", "drop", "live/quality/noisy: listed in checks but has no section"),
    ("ptbxl17", "live/quality/checks/0", "wobbly", "live/quality/checks/0"),
    ("ptbxl17", "live/sequencer/gap_rounding", "round_half_even", "live/sequencer/gap_rounding"),
    ("ptbxl17", "live/debounce/debounce_windows", 0, "live/debounce/debounce_windows"),
    ("ptbxl17", "live/hop_seconds", "5", "live/hop_seconds"),
    ("ptbxl17", "live/heart_rate/unknown_key", 1, "live/heart_rate"),
    ("ptbxl17", "artifacts", "twice", "artifacts: a file is listed twice"),
    ("cinc2017", "decision/poor_signal_label", "noisy", "decision/poor_signal_label: 'noisy' is not a label code"),
    ("cinc2017", "live/heart_rate/lead", 1, "live/heart_rate/lead: 1 for 1 leads"),
    ("cinc2017", "runtime/recommended_artifact", "other.pte", "runtime/recommended_artifact: 'other.pte' is not"),
    ("cinc2017", "runtime/method", "run", "runtime/method"),
]


@pytest.mark.parametrize("name,path,value,where", BROKEN, ids=[f"{b[0]}:{b[1]}={b[2]!r}"[:60] for b in BROKEN])
def test_broken_manifest_is_refused_naming_where(name, path, value, where, request):
    doc = copy.deepcopy(request.getfixturevalue(name))
    mf.validate(doc)  # valid before the change
    *parents, last = path.split("/")
    if value == "drop":
        node = doc
        for key in parents:
            node = node[key]
        del node[last]
    elif value == "drop one":
        doc["preprocessing"]["bandpass"]["zi"].pop()
    elif value == "first two":
        doc["labels"] = doc["labels"][:2]
    elif value == "twice":
        doc["artifacts"] = [FAKE_ARTIFACT, FAKE_ARTIFACT]
    else:
        _set(doc, path, value)
    with pytest.raises(mf.ManifestError) as err:
        mf.validate(doc)
    message = str(err.value)
    assert "\n" not in message and where in message, message


def test_writer_puts_the_schema_beside_the_manifest_and_refuses_a_broken_one(ptbxl17, tmp_path):
    mf.write(ptbxl17, tmp_path)
    assert (tmp_path / mf.SCHEMA_FILE).read_bytes() == mf.SCHEMA_PATH.read_bytes()
    assert json.loads((tmp_path / mf.MANIFEST).read_text()) == ptbxl17
    broken = copy.deepcopy(ptbxl17)
    broken["output"]["shape"] = [1, 4]
    with pytest.raises(mf.ManifestError, match="17 labels for an output of 4 classes"):
        mf.write(broken, tmp_path / "other")
    assert not (tmp_path / "other").exists()
