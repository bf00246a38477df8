"""ExecuTorch lowering: an ``ExportedProgram`` (fp32, or int8 from a calibration) → XNNPACK ``.pte``.

The whole graph must go to XNNPACK: an op left on ExecuTorch's portable kernels is slow on a
phone and usually means the model uses a form XNNPACK does not take (see TOOLCHAIN.md), so it is
an error that names the ops, not a silent slow artifact.
"""
from __future__ import annotations

from collections import Counter

import torch
from torch import nn
from torch.export import ExportedProgram

from training.model import WithProbabilities

# Bookkeeping nodes outside the delegates: the delegate call, the unpacking of its outputs, and the
# output buffers that memory planning allocates for a portable op (which is named itself).
_GLUE = {"getitem", "executorch_call_delegate", "alloc"}
# Every constant tensor (weights, biases, per-channel scales) is its own segment of the file; the
# default 128-byte alignment pads each by 64 bytes on average, a tenth of a small model's .pte.
# 16 bytes keeps every float and SIMD load aligned.
SEGMENT_ALIGNMENT = 16


class LoweringError(RuntimeError):
    """The program could not be lowered, or not entirely to XNNPACK."""


def export_fp32(model: nn.Module, multi_label: bool, leads: int, samples: int) -> ExportedProgram:
    """``torch.export`` of ``WithProbabilities(model)`` for input float32 ``[1, leads, samples]``."""
    wrapped = WithProbabilities(model, multi_label).eval()
    with torch.no_grad():
        return torch.export.export(wrapped, (torch.zeros(1, leads, samples),))


def lower_to_xnnpack(program: ExportedProgram):
    """``to_edge_transform_and_lower`` with the XNNPACK partitioner, then ``to_executorch``;
    raise :class:`LoweringError` naming any op left on portable kernels."""
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import ExecutorchBackendConfig, to_edge_transform_and_lower

    config = ExecutorchBackendConfig(segment_alignment=SEGMENT_ALIGNMENT)
    manager = to_edge_transform_and_lower(program, partitioner=[XnnpackPartitioner()]).to_executorch(config)
    leftover = portable_ops(manager)
    if leftover:
        names = ", ".join(f"{op} x{n}" for op, n in sorted(leftover.items()))
        raise LoweringError(f"not fully delegated to XNNPACK: ops left on portable kernels: {names}")
    return manager


def portable_ops(manager) -> Counter:
    """Ops of a lowered program that run outside the XNNPACK delegate, with their counts."""
    from executorch.devtools.backend_debug import get_delegation_info

    df = get_delegation_info(manager.exported_program().graph_module).get_operator_delegation_dataframe()
    left = df[(df["op_type"] != "Total") & (df["occurrences_in_non_delegated_graphs"] > 0)]
    return Counter({row.op_type: int(row.occurrences_in_non_delegated_graphs)
                    for row in left.itertuples() if row.op_type not in _GLUE})


def pte_contents(path) -> dict:
    """What a written ``.pte`` will run: portable-kernel operator names and delegate backends."""
    from executorch.exir._serialize._program import deserialize_pte_binary

    with open(path, "rb") as f:
        program = deserialize_pte_binary(f.read()).program
    plan = program.execution_plan[0]
    return {"operators": [op.name for op in plan.operators], "delegates": [d.id for d in plan.delegates]}
