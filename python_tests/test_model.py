"""LAMSCN: shapes, size, building blocks and exportability."""
from __future__ import annotations

import pytest
import torch

from training.model import (ChannelAttention, DenseStage, DSConv, FusedMultiScaleBlock, LAMSCN, MultiScaleBlock, StageConfig,
                            WithProbabilities, count_macs, deployable, fusable, count_parameters, lamscn_1lead, lamscn_12lead, tiny_lamscn)
from training.registry import build_model


def test_12lead_shapes_and_budget():
    m = lamscn_12lead().eval()
    assert m(torch.randn(3, 12, 1000)).shape == (3, 17)
    assert count_parameters(m) <= 100_000
    assert 5e6 < count_macs(m, 12, 1000) < 50e6


def test_1lead_shapes():
    m = lamscn_1lead().eval()
    assert m(torch.randn(2, 1, 1000)).shape == (2, 4)


def test_global_pooling_takes_any_length():
    m = lamscn_12lead().eval()
    assert m(torch.randn(1, 12, 500)).shape == (1, 17)


def test_blocks_do_what_they_say():
    x = torch.randn(2, 8, 100, 1)
    assert DSConv(8, 12, 7)(x).shape == (2, 12, 100, 1)
    ds = DSConv(8, 12, 7)
    assert ds[0][0].groups == 8 and ds[1][0].kernel_size == (1, 1)  # depthwise then pointwise
    msb = MultiScaleBlock(8, 12, (3, 7, 15), 1, 4)
    assert [b[0][0].kernel_size[0] for b in msb.branches] == [3, 7, 15]
    assert msb(x).shape == (2, 12, 100, 1)
    stage = DenseStage(8, StageConfig(2, 6, (3, 5), 1, 10), 4)
    assert stage.blocks[1].branches[0][0][0].in_channels == 8 + 6  # dense: sees input + earlier block
    assert stage(x).shape == (2, 10, 50, 1)


def test_channel_attention_gates_channels():
    ca = ChannelAttention(8, 4)
    x = torch.ones(1, 8, 10, 1)
    y = ca(x)
    assert ((y > 0) & (y < 1)).all()  # sigmoid gate in (0, 1) on a unit input


def test_macs_counts_convs_and_linear():
    m = torch.nn.Sequential(torch.nn.Conv1d(2, 4, 3, padding=1), torch.nn.Flatten(), torch.nn.Linear(40, 5))
    assert count_macs(m, 2, 10) == 4 * 10 * 2 * 3 + 5 * 40


def test_probability_wrapper():
    m = tiny_lamscn(12, 17).eval()
    x = torch.randn(2, 12, 1000)
    p = WithProbabilities(m, True)(x)
    assert torch.allclose(p, torch.sigmoid(m(x)))
    s = WithProbabilities(tiny_lamscn(1, 4, False).eval(), False)(torch.randn(2, 1, 1000))
    assert torch.allclose(s.sum(1), torch.ones(2))


@pytest.mark.parametrize("builder,leads", [(lamscn_12lead, 12), (lamscn_1lead, 1)])
def test_torch_export_without_graph_breaks(builder, leads):
    m = WithProbabilities(builder().eval(), True)
    ep = torch.export.export(m, (torch.randn(1, leads, 1000),), strict=True)
    x = torch.randn(1, leads, 1000)
    torch.testing.assert_close(ep.module()(x), m(x))


def test_registry():
    assert isinstance(build_model("lamscn_12lead"), LAMSCN)
    with pytest.raises(ValueError, match="unknown model 'resnet9000'"):
        build_model("resnet9000")


def test_1lead_budget():
    assert count_parameters(lamscn_1lead()) <= 50_000


def _randomize_batchnorm(model: torch.nn.Module) -> None:
    gen = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=gen) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=gen) - 0.5)


@pytest.mark.parametrize("builder,leads,fused", [(lamscn_12lead, 12, 0), (lamscn_1lead, 1, 5)])
def test_deployable_fuses_blocks_without_changing_outputs(builder, leads, fused):
    torch.manual_seed(0)
    m = builder()
    _randomize_batchnorm(m)
    m.eval()
    d = deployable(m)
    assert sum(isinstance(b, FusedMultiScaleBlock) for b in d.modules()) == fused
    assert not any(isinstance(b, FusedMultiScaleBlock) for b in m.modules())  # the original is untouched
    x = torch.randn(2, leads, 1000)
    with torch.no_grad():
        torch.testing.assert_close(d(x), m(x), rtol=1e-4, atol=1e-5)


def test_fused_block_matches_its_branches_and_refuses_unequal_widths():
    torch.manual_seed(0)
    block = MultiScaleBlock(8, 12, (3, 7, 15), 2, 4)
    _randomize_batchnorm(block)
    block.eval()
    fused = FusedMultiScaleBlock(block).eval()
    assert fused.depthwise[0].kernel_size == (15, 1) and fused.pointwise[0].groups == 3
    x = torch.randn(2, 8, 64, 1)
    with torch.no_grad():
        torch.testing.assert_close(fused(x), block(x), rtol=1e-4, atol=1e-5)
    assert fusable(block) and not fusable(MultiScaleBlock(8, 10, (3, 7, 15), 1, 4))  # widths 4, 3, 3


def test_fused_block_unfuses_into_its_branches_with_its_weights():
    torch.manual_seed(0)
    block = MultiScaleBlock(8, 9, (3, 7, 15), dilation=2, reduction=4).eval()
    fused = FusedMultiScaleBlock(block).eval()
    with torch.no_grad():  # train the fused block's taps (not its padding) and statistics
        fused.depthwise[0].weight.add_(torch.randn_like(fused.depthwise[0].weight) * fused.tap_mask())
        for bn in (fused.depthwise[1], fused.pointwise[1]):
            bn.weight.mul_(1.5)
            bn.running_mean.add_(0.3)
        fused.pointwise[0].weight.mul_(-1)
    back = fused.unfused(block).eval()
    x = torch.randn(2, 8, 64, 1)
    with torch.no_grad():
        torch.testing.assert_close(back(x), fused(x), rtol=1e-4, atol=1e-5)
        assert (back(x) - block(x)).abs().max() > 0.1  # the new weights, not the block it was copied from
    assert int(fused.tap_mask()[0::3].sum()) == 8 * 3 and int(fused.tap_mask()[2::3].sum()) == 8 * 15


def test_fine_tuned_deployable_weights_load_back_into_the_model():
    from training.model import load_deployable_weights

    torch.manual_seed(0)
    model = lamscn_1lead().eval()
    tuned = deployable(model)
    with torch.no_grad():
        for name, p in tuned.named_parameters():
            mask = 1.0
            for mod_name, mod in tuned.named_modules():
                if isinstance(mod, FusedMultiScaleBlock) and name == f"{mod_name}.depthwise.0.weight":
                    mask = mod.tap_mask()
            p.add_(torch.randn_like(p) * 0.05 * mask)
    load_deployable_weights(model, tuned)
    x = torch.randn(2, 1, 1000)
    with torch.no_grad():
        torch.testing.assert_close(model(x), tuned(x), rtol=1e-4, atol=1e-5)
    assert not any(isinstance(m, FusedMultiScaleBlock) for m in model.modules())
