"""A small NumPy interpreter for the MIL programs LAMSCN converts to, so that a saved
``.mlpackage`` can be checked on Linux (where ``MLModel.predict`` does not exist).

The program is read back from the package itself (spec + weight file), not from the converter's
memory, and each op's result is rounded to the op's output dtype (fp16 programs round after every
op, as Core ML's fp16 path does). An op the interpreter does not know raises
:class:`UnsupportedOpError`: it never guesses.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

WEIGHTS_DIR = "Data/com.apple.CoreML/weights"


class UnsupportedOpError(NotImplementedError):
    """The program contains an op (or an op option) this interpreter does not implement."""


def load_program(path: str | Path):
    """The MIL program of a saved ``.mlpackage``, rebuilt from its spec and weight file."""
    import coremltools as ct
    from coremltools.converters.mil.frontend.milproto.load import load

    path = str(path)
    spec = ct.models.MLModel(path, skip_model_load=True).get_spec()
    return load(spec, spec.specificationVersion, str(Path(path) / WEIGHTS_DIR))


def _np_dtype(var) -> np.dtype:
    from coremltools.converters.mil.mil import types

    return np.dtype(types.nptype_from_builtin(var.dtype))


def _conv(x, weight, bias, strides, pad, dilations, groups):
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    sh, sw = strides
    dh, dw = dilations
    x = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[1]), (pad[2], pad[3])))
    ho = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    xg = x.reshape(n, groups, cg, x.shape[2], x.shape[3])
    wg = weight.reshape(groups, o // groups, cg, kh, kw)
    out = np.zeros((n, groups, o // groups, ho, wo), dtype=np.float32)
    for i in range(kh):
        for j in range(kw):
            patch = xg[:, :, :, i * dh: i * dh + sh * (ho - 1) + 1: sh, j * dw: j * dw + sw * (wo - 1) + 1: sw]
            out += np.einsum("ngchw,goc->ngohw", patch, wg[:, :, :, i, j], optimize=True)
    out = out.reshape(n, o, ho, wo)
    return out if bias is None else out + bias.reshape(1, o, 1, 1)


def _pads(op, a, spatial: int) -> list[int]:
    pad_type = a("pad_type", "valid")
    if pad_type == "valid":
        return [0] * (2 * spatial)
    if pad_type == "custom":
        return [int(p) for p in a("pad")]
    raise UnsupportedOpError(f"MIL op {op.op_type} ({op.name}): pad_type {pad_type!r} not implemented")


def _op_conv(op, a):
    x, weight = a("x"), a("weight")
    if x.ndim != 4:
        raise UnsupportedOpError(f"MIL op conv ({op.name}): only 2-D convolution is implemented, got {x.ndim - 2}-D")
    return _conv(x.astype(np.float32), weight.astype(np.float32), _f32(a("bias", None)),
                 [int(s) for s in a("strides", [1, 1])], _pads(op, a, 2),
                 [int(d) for d in a("dilations", [1, 1])], int(a("groups", 1)))


def _op_avg_pool(op, a):
    x = a("x").astype(np.float32)
    if a("ceil_mode", False) or any(_pads(op, a, 2)):
        raise UnsupportedOpError(f"MIL op avg_pool ({op.name}): padding or ceil_mode not implemented")
    kh, kw = (int(k) for k in a("kernel_sizes"))
    sh, sw = (int(s) for s in a("strides"))
    n, c, h, w = x.shape
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.zeros((n, c, ho, wo), dtype=np.float32)
    for i in range(kh):
        for j in range(kw):
            out += x[:, :, i: i + sh * (ho - 1) + 1: sh, j: j + sw * (wo - 1) + 1: sw]
    return out / (kh * kw)


def _f32(v):
    return None if v is None else np.asarray(v, dtype=np.float32)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x.astype(np.float32)))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _dequantize(a):
    q = a("quantized_data").astype(np.float32)
    axis = int(a("axis")) % q.ndim
    shape = [1] * q.ndim
    shape[axis] = -1
    zp = np.asarray(a("zero_point"), dtype=np.float32)
    scale = np.asarray(a("scale"), dtype=np.float32)
    if zp.ndim:
        zp = zp.reshape(shape)
    if scale.ndim:
        scale = scale.reshape(shape)
    return (q - zp) * scale


_OPS: dict[str, Callable] = {
    "conv": _op_conv,
    "avg_pool": _op_avg_pool,
    "constexpr_affine_dequantize": lambda op, a: _dequantize(a),
    "cast": lambda op, a: a("x"),  # the result is rounded to the output dtype below
    "expand_dims": lambda op, a: np.expand_dims(a("x"), tuple(int(i) for i in a("axes"))),
    "squeeze": lambda op, a: np.squeeze(a("x"), tuple(int(i) for i in a("axes"))),
    "reshape": lambda op, a: a("x").reshape([int(s) for s in a("shape")]),
    "transpose": lambda op, a: np.transpose(a("x"), [int(i) for i in a("perm")]),
    "concat": lambda op, a: np.concatenate(a("values"), axis=int(a("axis"))) if not a("interleave", False)
    else _unsupported(op, "interleave=True"),
    "reduce_mean": lambda op, a: a("x").astype(np.float32).mean(axis=tuple(int(i) for i in a("axes")),
                                                                 keepdims=bool(a("keep_dims", False))),
    "linear": lambda op, a: a("x").astype(np.float32) @ a("weight").astype(np.float32).T
    + (0 if a("bias", None) is None else a("bias").astype(np.float32)),
    "relu": lambda op, a: np.maximum(a("x"), 0),
    "sigmoid": lambda op, a: _sigmoid(a("x")),
    "softmax": lambda op, a: _softmax(a("x").astype(np.float32), int(a("axis", -1))),
    "mul": lambda op, a: a("x").astype(np.float32) * a("y").astype(np.float32),
    "add": lambda op, a: a("x").astype(np.float32) + a("y").astype(np.float32),
}


def _unsupported(op, what: str):
    raise UnsupportedOpError(f"MIL op {op.op_type} ({op.name}): {what} not implemented")


def run_program(program, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Evaluate the ``main`` function of ``program`` on ``inputs`` (name → array)."""
    func = program.functions["main"]
    env: dict[str, np.ndarray] = {}
    for name, var in func.inputs.items():
        if name not in inputs:
            raise ValueError(f"missing input {name!r}")
        env[name] = np.asarray(inputs[name], dtype=_np_dtype(var))

    def value(v):
        if isinstance(v, (list, tuple)):
            return [value(e) for e in v]
        if v.name in env:
            return env[v.name]
        if v.val is not None:
            return np.asarray(v.val)
        raise ValueError(f"variable {v.name} has no value")

    for op in func.operations:
        if op.op_type == "const":
            continue  # read through Var.val where used
        fn = _OPS.get(op.op_type)
        if fn is None:
            raise UnsupportedOpError(f"MIL op {op.op_type} ({op.name}) is not implemented by export/mil_numpy.py")

        def arg(name, default=..., _op=op):
            if name not in _op.inputs:
                if default is ...:
                    raise UnsupportedOpError(f"MIL op {_op.op_type} ({_op.name}): missing input {name!r}")
                return default
            return value(_op.inputs[name])

        out = np.asarray(fn(op, arg))
        var = op.outputs[0]
        env[var.name] = out.astype(_np_dtype(var))
    return {v.name: env[v.name] for v in func.outputs}


def mlpackage_predictor(path: str | Path) -> Callable[[np.ndarray], np.ndarray]:
    """``f(x[N, leads, samples]) -> probabilities[N, classes]`` evaluating the package one window at a time."""
    program = load_program(path)
    func = program.functions["main"]
    (in_name,) = func.inputs
    (out_var,) = func.outputs

    def predict(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        return np.concatenate([run_program(program, {in_name: w[None]})[out_var.name] for w in x]).astype(np.float32)

    return predict
