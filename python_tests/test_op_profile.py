"""export.op_profile on a small lowered program: XNNPACK's per-op events come back through ETDump and
the Inspector, grouped by op kind; a file that is not a program is one line and exit 1."""
from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from export import op_profile as profile
from export.executorch_lowering import lower_to_xnnpack


@pytest.fixture(scope="module")
def small_pte(tmp_path_factory):
    """Two convolutions (depthwise, then pointwise) and a mean on a [1, 12, 1000] window."""
    class Small(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dw = nn.Conv2d(12, 12, (7, 1), padding=(3, 0), groups=12)
            self.pw = nn.Conv2d(12, 8, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.pw(torch.relu(self.dw(x.unsqueeze(-1)))).mean(dim=(2, 3), keepdim=True)

    torch.manual_seed(0)
    program = torch.export.export(Small().eval(), (torch.zeros(1, 12, 1000),))
    path = tmp_path_factory.mktemp("profile") / "small.pte"
    path.write_bytes(lower_to_xnnpack(program).buffer)
    return path


def test_per_op_events_and_kinds(small_pte, tmp_path, capsys):
    out = tmp_path / "profile.json"
    assert profile.main([str(small_pte), "--runs", "20", "--warmup", "2", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    kinds = {k["kind"]: k for k in doc["kinds"]}
    # the depthwise conv and the pointwise conv (XNNPACK runs a 1x1 conv as a GEMM) are both seen
    assert any("DWConv" in k for k in kinds) and any("GEMM" in k for k in kinds)
    assert sum(k["count"] for k in doc["kinds"]) >= 3
    assert all(e["median_us"] >= 0 for e in doc["events"])
    assert not set(kinds) & profile.FRAMEWORK_EVENTS  # delegate and method events are not op kinds
    text = capsys.readouterr().out
    assert "| op kind | count |" in text and "DELEGATE_CALL:" in text


def test_not_a_program(tmp_path, capsys):
    bad = tmp_path / "bad.pte"
    bad.write_bytes(b"not a program at all" * 10)
    assert profile.main([str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {bad}")
