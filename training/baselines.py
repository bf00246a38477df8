"""Baseline networks for the comparison table, written from their papers' descriptions.

- ``mobilenet1d``: MobileNetV2 (Sandler et al., 2018) inverted residuals in 1-D.
- ``inception1d``: the InceptionTime-style network of the PTB-XL benchmark (Strodthoff et al.,
  2021): bottleneck 32, kernels 39/19/9 plus a max-pool branch, residual every 3 blocks, depth 6.
- ``xresnet1d101``: the benchmark's fastai-style XResNet-101 in 1-D (bottleneck blocks
  [3, 4, 23, 3], expansion 4, 64 channels in every stage as in the benchmark code, kernel 5).

Same layout as LAMSCN (``training/model.py``): an ``(N, C, L, 1)`` view, ``Conv2d`` with ``(k, 1)``
kernels, 4-D pooling, means with ``keepdim=True`` then flatten, conv → BN → activation, so the
graphs lower entirely to XNNPACK, fp32 and int8. Rewrites that keep the papers' function and
parameter count: the inception block's BatchNorm over the concatenated branches is one BatchNorm
per branch (BN is per channel); adaptive pooling is a global 4-D max / mean; xresnet's
``avg_pool(2, ceil_mode=True)`` shortcut repeats an odd last sample instead (:func:`halve_ceil`).
The benchmark head (concat pooling → BN → dropout → linear → ReLU → BN → dropout → linear) is kept
as published: its BatchNorms follow pooling, not a conv, and int8 lowering still delegates fully.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from training.model import ConvBNAct


def _divisible(v: float, divisor: int = 8) -> int:
    """MobileNet channel rounding: nearest multiple of ``divisor``, never below 90 % of ``v``."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


class ConvBN(nn.Sequential):
    """Conv ``(k, 1)`` → BatchNorm → optional activation module (ReLU6 for MobileNet)."""

    def __init__(self, cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1,
                 act: nn.Module | None = None) -> None:
        layers: list[nn.Module] = [
            nn.Conv2d(cin, cout, (kernel, 1), (stride, 1), ((kernel - 1) // 2, 0), groups=groups, bias=False),
            nn.BatchNorm2d(cout)]
        if act is not None:
            layers.append(act)
        super().__init__(*layers)


class GlobalConcatPool(nn.Module):
    """fastai's AdaptiveConcatPool1d: ``[max over time, mean over time]`` → ``(N, 2C)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mx = F.max_pool2d(x, (x.shape[2], 1))
        return torch.cat([mx, x.mean(dim=(2, 3), keepdim=True)], dim=1).flatten(1)


def benchmark_head(features: int, num_classes: int, hidden: int = 128, dropout: float = 0.5) -> nn.Sequential:
    """The PTB-XL benchmark head (``create_head1d`` with ``lin_ftrs=[128]``, ``ps=0.5``)."""
    return nn.Sequential(
        GlobalConcatPool(),
        nn.BatchNorm1d(2 * features), nn.Dropout(dropout / 2), nn.Linear(2 * features, hidden), nn.ReLU(inplace=True),
        nn.BatchNorm1d(hidden), nn.Dropout(dropout), nn.Linear(hidden, num_classes))


@dataclass(frozen=True)
class BaselineConfig:
    """What the export code reads from any model: ``multi_label`` picks sigmoid or softmax."""

    leads: int
    num_classes: int
    multi_label: bool = True


# --- MobileNetV2 -------------------------------------------------------------------------------

@dataclass(frozen=True)
class InvertedResidualConfig:
    """One MobileNetV2 row: expansion ``t``, output channels ``c``, repeats ``n``, first stride ``s``."""

    t: int
    c: int
    n: int
    s: int


MOBILENET_V2 = (InvertedResidualConfig(1, 16, 1, 1), InvertedResidualConfig(6, 24, 2, 2),
                InvertedResidualConfig(6, 32, 3, 2), InvertedResidualConfig(6, 64, 4, 2),
                InvertedResidualConfig(6, 96, 3, 1), InvertedResidualConfig(6, 160, 3, 2),
                InvertedResidualConfig(6, 320, 1, 1))


class InvertedResidual(nn.Module):
    """1x1 expand → depthwise ``k`` → 1x1 linear projection; identity shortcut when shapes match."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int, kernel: int) -> None:
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = [] if expand == 1 else [ConvBN(cin, hidden, 1, act=nn.ReLU6(inplace=True))]
        layers += [ConvBN(hidden, hidden, kernel, stride, groups=hidden, act=nn.ReLU6(inplace=True)),
                   ConvBN(hidden, cout, 1)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNet1d(nn.Module):
    """MobileNetV2 on ``(N, leads, samples)``: stem (stride 2), inverted residuals, 1x1 to 1280,
    global mean, dropout, linear."""

    def __init__(self, num_classes: int, leads: int = 12, width: float = 1.0, kernel: int = 3,
                 dropout: float = 0.2, rows: tuple[InvertedResidualConfig, ...] = MOBILENET_V2,
                 multi_label: bool = True) -> None:
        super().__init__()
        self.config = BaselineConfig(leads, num_classes, multi_label)
        c = _divisible(32 * width)
        last = _divisible(1280 * max(1.0, width))
        layers: list[nn.Module] = [ConvBN(leads, c, kernel, 2, act=nn.ReLU6(inplace=True))]
        for r in rows:
            out = _divisible(r.c * width)
            for i in range(r.n):
                layers.append(InvertedResidual(c, out, r.s if i == 0 else 1, r.t, kernel))
                c = out
        layers.append(ConvBN(c, last, 1, act=nn.ReLU6(inplace=True)))
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(last, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x.unsqueeze(-1))
        return self.head(self.dropout(x.mean(dim=(2, 3), keepdim=True).flatten(1)))


# --- Inception1d (PTB-XL benchmark) ------------------------------------------------------------

class InceptionBlock(nn.Module):
    """Bottleneck 1x1 → parallel convs of ``kernels``, plus max-pool(3) → 1x1; each branch conv →
    BN, then concatenation and ReLU (the paper's BN over the concatenation, split per branch)."""

    def __init__(self, cin: int, filters: int, kernels: tuple[int, ...], bottleneck: int) -> None:
        super().__init__()
        self.bottleneck = nn.Conv2d(cin, bottleneck, 1, bias=False)
        self.convs = nn.ModuleList(ConvBN(bottleneck, filters, k) for k in kernels)
        self.pool_conv = ConvBN(cin, filters, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.bottleneck(x)
        pooled = F.max_pool2d(x, (3, 1), stride=1, padding=(1, 0))
        return F.relu(torch.cat([c(b) for c in self.convs] + [self.pool_conv(pooled)], dim=1))


class Inception1d(nn.Module):
    """``depth`` inception blocks, a 1x1 conv + BN shortcut added (then ReLU) after every third,
    and the benchmark's concat-pooling head."""

    def __init__(self, num_classes: int, leads: int = 12, kernels: tuple[int, ...] = (39, 19, 9), depth: int = 6,
                 bottleneck: int = 32, filters: int = 32, head_hidden: int = 128, dropout: float = 0.5,
                 multi_label: bool = True) -> None:
        super().__init__()
        self.config = BaselineConfig(leads, num_classes, multi_label)
        if depth % 3:
            raise ValueError(f"depth must be a multiple of 3, got {depth}")
        width = (len(kernels) + 1) * filters
        self.blocks = nn.ModuleList(InceptionBlock(leads if d == 0 else width, filters, tuple(kernels), bottleneck)
                                    for d in range(depth))
        self.shortcuts = nn.ModuleList(ConvBN(leads if d == 0 else width, width, 1) for d in range(depth // 3))
        self.head = benchmark_head(width, num_classes, head_hidden, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.unsqueeze(-1)
        res = x
        for d, block in enumerate(self.blocks):
            x = block(x)
            if d % 3 == 2:
                x = res = F.relu(x + self.shortcuts[d // 3](res))
        return self.head(x)


# --- XResNet1d (PTB-XL benchmark) --------------------------------------------------------------

def halve_ceil(x: torch.Tensor) -> torch.Tensor:
    """``avg_pool(2, ceil_mode=True)`` in time without ``ceil_mode`` (XNNPACK refuses it): an odd
    last sample, averaged alone by ceil mode, is repeated once, which gives the same values."""
    if x.shape[2] % 2:
        x = torch.cat([x, x[:, :, -1:]], dim=2)
    return F.avg_pool2d(x, (2, 1))


class XResBlock(nn.Module):
    """Bottleneck block: 1x1 → ``k`` (stride) → 1x1 (BN zero-initialised, no activation); the
    shortcut is avg-pool(2, ceil) when strided and a 1x1 conv + BN when the width changes."""

    def __init__(self, cin: int, cout: int, hidden: int, stride: int, kernel: int) -> None:
        super().__init__()
        self.convs = nn.Sequential(ConvBNAct(cin, hidden, 1), ConvBNAct(hidden, hidden, kernel, stride=stride),
                                   ConvBNAct(hidden, cout, 1, act=False))
        nn.init.zeros_(self.convs[-1][1].weight)
        self.stride = stride
        self.shortcut = ConvBNAct(cin, cout, 1, act=False) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = halve_ceil(x) if self.stride != 1 else x
        return F.relu(self.convs(x) + self.shortcut(s))


class XResNet1d(nn.Module):
    """Stem of three convs (32, 32, 64; first stride 2) → max-pool(3, stride 2) → four stages of
    bottleneck blocks (``width`` channels, x ``expansion`` out) → benchmark head."""

    def __init__(self, num_classes: int, leads: int = 12, layers: tuple[int, ...] = (3, 4, 23, 3), expansion: int = 4,
                 width: int = 64, kernel: int = 5, stem_kernel: int = 5, head_hidden: int = 128,
                 dropout: float = 0.5, multi_label: bool = True) -> None:
        super().__init__()
        self.config = BaselineConfig(leads, num_classes, multi_label)
        stem = (32, 32, 64)
        self.stem = nn.Sequential(*(ConvBNAct(leads if i == 0 else stem[i - 1], stem[i], stem_kernel,
                                              stride=2 if i == 0 else 1) for i in range(3)))
        blocks, c = [], 64 // expansion * expansion
        for i, n in enumerate(layers):
            for j in range(n):
                blocks.append(XResBlock(c, width * expansion, width, 2 if i > 0 and j == 0 else 1, kernel))
                c = width * expansion
        self.blocks = nn.Sequential(*blocks)
        self.head = benchmark_head(c, num_classes, head_hidden, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x.unsqueeze(-1))
        x = F.max_pool2d(x, (3, 1), stride=(2, 1), padding=(1, 0))
        return self.head(self.blocks(x))


# --- builders (registered in training/registry.py) ---------------------------------------------

def mobilenet1d(num_classes: int, leads: int = 12, width: float = 1.0, kernel: int = 3,
                multi_label: bool = True) -> MobileNet1d:
    """MobileNetV2 1-D; ``width`` is the paper's width multiplier (1.0 ≈ 2.2M parameters)."""
    return MobileNet1d(num_classes, leads, width, kernel, multi_label=multi_label)


def inception1d(num_classes: int, leads: int = 12, multi_label: bool = True) -> Inception1d:
    """The benchmark's inception1d at 100 Hz (kernels 39/19/9, ~0.5M parameters)."""
    return Inception1d(num_classes, leads, multi_label=multi_label)


def xresnet1d101(num_classes: int, leads: int = 12, multi_label: bool = True) -> XResNet1d:
    """The benchmark's xresnet1d101 (kernel 5, 64-channel bottlenecks, ~1.9M parameters)."""
    return XResNet1d(num_classes, leads, multi_label=multi_label)
