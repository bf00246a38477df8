"""Checkpoint bundles: round trip, weights_only loading, and clear errors for bad files."""
from __future__ import annotations

import json
import pickle

import pytest
import torch

from contract.labels import PTBXL17
from training.checkpoint import CheckpointError, load_bundle, save_bundle
from training.model import tiny_lamscn


@pytest.fixture
def bundle_dir(tmp_path):
    m = tiny_lamscn(12, 17)
    return save_bundle(tmp_path / "b", m, "tiny_lamscn", {"leads": 12, "num_classes": 17}, PTBXL17,
                       [0.3] * 17, metrics={"macro_auroc": 0.5})


def test_round_trip(bundle_dir):
    b = load_bundle(bundle_dir)
    assert b.thresholds == [0.3] * 17 and b.task is PTBXL17 and not b.model.training
    assert [lab["code"] for lab in b.meta["labels"]] == PTBXL17.codes
    assert b.meta["labels"][0]["snomed_ct"] == ["164889003"]
    state = torch.load(bundle_dir / "weights.pt", weights_only=True)
    assert set(state) == set(b.model.state_dict())


def test_missing(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_bundle(tmp_path / "none")
    with pytest.raises(CheckpointError, match="not a checkpoint bundle"):
        load_bundle(tmp_path)


def test_corrupt_weights(bundle_dir):
    (bundle_dir / "weights.pt").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(CheckpointError, match="corrupt or not a plain state dict"):
        load_bundle(bundle_dir)


class Evil:
    def __reduce__(self):
        return (exec, ("open('/tmp/lamscn_pwned', 'w').write('x')",))


def test_foreign_pickle_is_never_unpickled(bundle_dir, tmp_path):
    import os
    if os.path.exists("/tmp/lamscn_pwned"):
        os.remove("/tmp/lamscn_pwned")
    torch.save({"w": Evil()}, bundle_dir / "weights.pt", pickle_protocol=pickle.DEFAULT_PROTOCOL)
    with pytest.raises(CheckpointError, match="corrupt or not a plain state dict"):
        load_bundle(bundle_dir)
    assert not os.path.exists("/tmp/lamscn_pwned")


def test_wrong_schema_and_mismatched_weights(bundle_dir):
    meta = json.loads((bundle_dir / "bundle.json").read_text())
    (bundle_dir / "bundle.json").write_text(json.dumps({**meta, "schema": "other/9"}))
    with pytest.raises(CheckpointError, match="schema 'other/9'"):
        load_bundle(bundle_dir)
    meta["model"]["kwargs"]["leads"] = 3
    (bundle_dir / "bundle.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="weights do not fit model tiny_lamscn"):
        load_bundle(bundle_dir)
    (bundle_dir / "bundle.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_bundle(bundle_dir)
