"""LiteRT (TensorFlow Lite) files of the same deployable graph, for export.compare's peer rows.

Optional: needs the ``litert`` extra (``pip install -e '.[litert]'``: litert-torch and ai-edge-litert,
which pull jax and transformers), so nothing outside the comparison imports this module. The graph is
``WithProbabilities(model)``, the one the ``.pte`` files lower; int8 uses litert-torch's own PT2E
quantizer (static, weights per channel, its default activation observer) calibrated on the windows it
is given, one at a time (the graph's batch is 1). LiteRT's int8 file has int8 input and output tensors:
:func:`io_quantization` gives their scale and zero point, which its caller applies.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from training.model import WithProbabilities

EXTRA_HINT = "LiteRT rows need the litert extra: pip install -e '.[litert]'"


class LiteRTUnavailable(RuntimeError):
    """litert-torch or ai-edge-litert is not installed."""


def _litert_torch():
    try:
        import litert_torch
    except ImportError:
        raise LiteRTUnavailable(EXTRA_HINT) from None
    return litert_torch


def convert(module: nn.Module, example: tuple[torch.Tensor, ...]) -> bytes:
    """The fp32 ``.tflite`` bytes of an eval-mode ``module`` traced on ``example``."""
    litert_torch = _litert_torch()
    with torch.no_grad():
        return litert_torch.convert(module, example).model_content()


def convert_fp32(model: nn.Module, multi_label: bool, leads: int, samples: int) -> bytes:
    """The fp32 ``.tflite`` bytes of ``WithProbabilities(model)`` for input float32 ``[1, leads, samples]``."""
    return convert(WithProbabilities(model, multi_label).eval(), (torch.zeros(1, leads, samples),))


def convert_int8(model: nn.Module, multi_label: bool, windows: np.ndarray) -> bytes:
    """The static int8 ``.tflite`` bytes, calibrated on ``windows`` ``[N, leads, samples]`` float32."""
    litert_torch = _litert_torch()
    from litert_torch.quantize.pt2e_quantizer import PT2EQuantizer, get_symmetric_quantization_config
    from litert_torch.quantize.quant_config import QuantConfig
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    quantizer = PT2EQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    example = (torch.zeros(1, *windows.shape[1:]),)
    wrapped = WithProbabilities(model, multi_label).eval()
    with torch.no_grad():
        prepared = prepare_pt2e(torch.export.export(wrapped, example).module(), quantizer)
        for w in np.asarray(windows, dtype=np.float32):
            prepared(torch.from_numpy(w[None]))
        converted = convert_pt2e(prepared, fold_quantize=False)
        return litert_torch.convert(converted, example, quant_config=QuantConfig(pt2e_quantizer=quantizer)).model_content()


def interpreter(path: str, threads: int = 1):
    """An allocated ``ai_edge_litert`` interpreter for a ``.tflite`` file."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise LiteRTUnavailable(EXTRA_HINT) from None
    it = Interpreter(model_path=str(path), num_threads=threads)
    it.allocate_tensors()
    return it


def io_quantization(it) -> tuple[tuple[float, int] | None, tuple[float, int] | None]:
    """(scale, zero point) of the input and of the output tensor; ``None`` for a float tensor."""
    def q(detail: dict):
        return None if detail["dtype"] == np.float32 else tuple(detail["quantization"])
    return q(it.get_input_details()[0]), q(it.get_output_details()[0])


def runner(it):
    """``f(window[1, leads, samples] float32) -> probabilities[1, classes] float32`` on an interpreter,
    quantizing the input and dequantizing the output where the file's tensors are int8."""
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    qin, qout = io_quantization(it)

    def run(x: np.ndarray) -> np.ndarray:
        if qin is not None:
            x = np.clip(np.round(x / qin[0]) + qin[1], -128, 127).astype(np.int8)
        it.set_tensor(inp["index"], x)
        it.invoke()
        y = it.get_tensor(out["index"])
        return y if qout is None else ((y.astype(np.float32) - qout[1]) * qout[0]).astype(np.float32)

    return run


def predict(path: str, x: np.ndarray) -> np.ndarray:
    """Probabilities ``[N, classes]`` of a ``.tflite`` file on windows ``x[N, leads, samples]``, one at a time."""
    run = runner(interpreter(path))
    return np.concatenate([run(np.ascontiguousarray(w[None], dtype=np.float32)) for w in x]).astype(np.float32)
