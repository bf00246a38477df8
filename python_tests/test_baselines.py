"""Baseline networks: shapes, parameter counts in the published ranges, export, learning, bundles."""
from __future__ import annotations

import pytest
import torch

from contract.labels import get_task
from training.baselines import halve_ceil, inception1d, mobilenet1d, xresnet1d101
from training.checkpoint import load_bundle, save_bundle
from training.model import count_parameters
from training.registry import REGISTRY

torch.set_num_threads(1)
BUILDERS = {"mobilenet1d": mobilenet1d, "inception1d": inception1d, "xresnet1d101": xresnet1d101}
# Published sizes (17 outputs): MobileNetV2 x1.0 has 3.4M parameters with its 1.28M-parameter
# 1000-class classifier, so ~2.2M without it (less in 1-D: 3-tap depthwise kernels instead of 3x3);
# the PTB-XL benchmark's inception1d ~0.46-0.52M; its xresnet1d101 (64-channel bottlenecks x 4,
# 33 blocks of 1x1 / 5-tap / 1x1 convs, 53k weights each) ~1.8-1.95M.
PARAMETER_RANGES = {"mobilenet1d": (1.8e6, 2.4e6), "inception1d": (0.46e6, 0.52e6), "xresnet1d101": (1.75e6, 1.95e6)}


@pytest.mark.parametrize("name", BUILDERS)
def test_registered_shapes_and_parameter_count(name):
    assert REGISTRY[name] is BUILDERS[name]
    model = REGISTRY[name](num_classes=17).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 12, 1000)).shape == (2, 17)
    lo, hi = PARAMETER_RANGES[name]
    assert lo <= count_parameters(model) <= hi


def test_one_lead_single_label_and_width_multiplier():
    small = mobilenet1d(num_classes=4, leads=1, width=0.5, multi_label=False).eval()
    with torch.no_grad():
        assert small(torch.randn(3, 1, 1000)).shape == (3, 4)
    assert small.config.multi_label is False
    # width scales every layer's channels: parameters fall roughly with its square
    assert count_parameters(small) < 0.45 * count_parameters(mobilenet1d(num_classes=4, leads=1))


@pytest.mark.parametrize("name", BUILDERS)
def test_torch_export_matches_eager(name):
    model = BUILDERS[name](num_classes=5).eval()
    x = torch.randn(1, 12, 1000)
    program = torch.export.export(model, (torch.zeros(1, 12, 1000),))
    with torch.no_grad():
        torch.testing.assert_close(program.module()(x), model(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", BUILDERS)
def test_training_steps_reduce_loss(name):
    torch.manual_seed(0)
    model = BUILDERS[name](num_classes=3).train()
    x, y = torch.randn(8, 12, 256), (torch.rand(8, 3) > 0.5).float()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(8):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[-2:]) < sum(losses[:2])


@pytest.mark.parametrize("name", BUILDERS)
def test_bundle_round_trip(name, tmp_path):
    task = get_task("ptbxl17")
    torch.manual_seed(1)
    model = BUILDERS[name](num_classes=task.num_classes).eval()
    save_bundle(tmp_path / name, model, name, {"num_classes": task.num_classes}, task, [0.5] * task.num_classes)
    loaded = load_bundle(tmp_path / name)
    assert type(loaded.model) is type(model)
    x = torch.randn(1, 12, 1000)
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(x), model(x))


@pytest.mark.parametrize("length", [7, 8])
def test_halve_ceil_equals_ceil_mode_pooling(length):
    x = torch.randn(2, 3, length, 1)
    torch.testing.assert_close(halve_ceil(x), torch.nn.functional.avg_pool2d(x, (2, 1), ceil_mode=True))
