"""Core ML conversion: eager LAMSCN → ``.mlpackage`` (ML program, iOS 17+), fp16 and int8 weights.

Input ``ecg`` float32 ``[1, leads, samples]``, output ``probabilities`` float32 ``[1, classes]``;
labels, thresholds and the decision rule travel in the model's user metadata so that an app can
check them against ``manifest.json``.

Deterministic output: coremltools writes the conversion date into the metadata, serializes the
metadata map in hash order (which changes between processes), and writes random item identifiers
into the package's ``Manifest.json``. The date is dropped, the spec is re-serialized with
deterministic map order, and the identifiers become UUID-5 of the item path, so identical inputs
give identical bytes.
"""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import torch
from torch import nn

from contract.decision import rule_name
from training.model import WithProbabilities

INPUT_NAME = "ecg"
OUTPUT_NAME = "probabilities"
MINIMUM_DEPLOYMENT_TARGET = "iOS17"
_DATE_KEY = "com.github.apple.coremltools.conversion_date"
_UUID_NAMESPACE = uuid.UUID("6f1c1d0e-5a4b-4c7e-9a51-1a3c0de0ec60")


def convert_fp16(model: nn.Module, multi_label: bool, leads: int, samples: int, metadata: dict[str, str]):
    """Trace ``WithProbabilities(model)`` and convert it to an fp16 ML program."""
    import coremltools as ct

    wrapped = WithProbabilities(model, multi_label).eval()
    example = torch.zeros(1, leads, samples)
    with torch.no_grad():
        traced = torch.jit.trace(wrapped, example)
    mlmodel = ct.convert(
        traced,
        inputs=[ct.TensorType(name=INPUT_NAME, shape=(1, leads, samples), dtype=np.float32)],
        outputs=[ct.TensorType(name=OUTPUT_NAME, dtype=np.float32)],
        convert_to="mlprogram",
        minimum_deployment_target=getattr(ct.target, MINIMUM_DEPLOYMENT_TARGET),
        compute_precision=ct.precision.FLOAT16,
    )
    _set_metadata(mlmodel, metadata)
    return mlmodel


def quantize_weights_int8(mlmodel, metadata: dict[str, str]):
    """Per-channel symmetric int8 weights (activations stay fp16); every weight, however small."""
    from coremltools.optimize.coreml import OpLinearQuantizerConfig, OptimizationConfig, linear_quantize_weights

    config = OptimizationConfig(global_config=OpLinearQuantizerConfig(mode="linear_symmetric", weight_threshold=0))
    quantized = linear_quantize_weights(mlmodel, config)
    _set_metadata(quantized, metadata)
    return quantized


def _set_metadata(mlmodel, metadata: dict[str, str]) -> None:
    user = mlmodel.user_defined_metadata
    if _DATE_KEY in user:
        del user[_DATE_KEY]
    for key, value in metadata.items():
        user[key] = value
    mlmodel.input_description[INPUT_NAME] = "preprocessed ECG window, float32 [1, leads, samples], leads in manifest order"
    mlmodel.output_description[OUTPUT_NAME] = "probability per class, float32 [1, classes]"


def coreml_metadata(labels: list[dict], leads: list[str], multi_label: bool, model_name: str, version: str) -> dict[str, str]:
    """User metadata strings: model name/version, labels (JSON), thresholds (JSON), leads, rule."""
    return {
        "lamscn.model": model_name,
        "lamscn.version": version,
        "lamscn.labels": json.dumps([lab["code"] for lab in labels]),
        "lamscn.thresholds": json.dumps([lab["threshold"] for lab in labels]),
        "lamscn.leads": json.dumps(leads),
        "lamscn.decision": rule_name(multi_label),
    }


def save_mlpackage(mlmodel, path: Path) -> Path:
    """Save, then make the spec's bytes and the package's ``Manifest.json`` deterministic."""
    from coremltools.proto import Model_pb2

    path = Path(path)
    mlmodel.save(str(path))
    spec_path = path / "Data" / "com.apple.CoreML" / "model.mlmodel"
    spec = Model_pb2.Model()
    spec.ParseFromString(spec_path.read_bytes())
    spec_path.write_bytes(spec.SerializeToString(deterministic=True))
    manifest_path = path / "Manifest.json"
    doc = json.loads(manifest_path.read_text())
    renamed = {old: str(uuid.uuid5(_UUID_NAMESPACE, entry["path"])) for old, entry in doc["itemInfoEntries"].items()}
    doc["itemInfoEntries"] = {renamed[k]: v for k, v in doc["itemInfoEntries"].items()}
    doc["rootModelIdentifier"] = renamed[doc["rootModelIdentifier"]]
    manifest_path.write_text(json.dumps(doc, indent=4, sort_keys=True) + "\n")
    return path
