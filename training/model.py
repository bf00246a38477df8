"""LAMSCN: a lightweight multi-scale attention network for ECG (after Guo et al., 2024).

Depthwise-separable convolutions in parallel branches of different kernel sizes, channel
attention on the new features, and dense (concatenating) connections inside each stage.

Layout: the network works on an ``(N, C, L, 1)`` view of the ``(N, leads, samples)`` input and
uses 2-D ops with ``(k, 1)`` kernels, so that every op (pooling and means included) lowers to
XNNPACK, and every BatchNorm directly follows a convolution (both needed for int8 lowering).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class StageConfig:
    """One dense stage: ``layers`` multi-scale blocks of ``growth`` channels each, then a 1x1
    transition to ``out_channels`` and (when ``pool``) average pooling by 2 in time."""

    layers: int
    growth: int
    kernels: tuple[int, ...]
    dilation: int
    out_channels: int
    pool: bool = True


@dataclass(frozen=True)
class LAMSCNConfig:
    """The whole network: input leads, classes, stem width and stride, and its stages."""

    leads: int
    num_classes: int
    stem_channels: int
    stem_kernel: int
    stem_stride: int
    stages: tuple[StageConfig, ...]
    attention_reduction: int = 4
    dropout: float = 0.2
    multi_label: bool = True
    fuse_blocks: bool = False  # export each fusable block as :class:`FusedMultiScaleBlock` (see there)


class ConvBNAct(nn.Sequential):
    """Conv ``(k, 1)`` → BatchNorm → ReLU (or no activation)."""

    def __init__(self, cin: int, cout: int, kernel: int = 1, stride: int = 1, dilation: int = 1,
                 groups: int = 1, act: bool = True) -> None:
        pad = dilation * (kernel - 1) // 2
        layers: list[nn.Module] = [
            nn.Conv2d(cin, cout, (kernel, 1), (stride, 1), (pad, 0), (dilation, 1), groups=groups, bias=False),
            nn.BatchNorm2d(cout),
        ]
        if act:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class DSConv(nn.Sequential):
    """Depthwise-separable convolution: depthwise ``k`` → pointwise 1x1, each with BN + ReLU."""

    def __init__(self, cin: int, cout: int, kernel: int, dilation: int = 1) -> None:
        super().__init__(
            ConvBNAct(cin, cin, kernel, dilation=dilation, groups=cin),
            ConvBNAct(cin, cout, 1),
        )


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation: global mean → 1x1 reduce → ReLU → 1x1 expand → sigmoid gate."""

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        hidden = max(4, channels // reduction)
        self.reduce = nn.Conv2d(channels, hidden, 1)
        self.expand = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean(dim=(2, 3), keepdim=True)
        s = torch.sigmoid(self.expand(F.relu(self.reduce(s))))
        return x * s


class MultiScaleBlock(nn.Module):
    """Parallel DS-convolutions with different kernels, concatenated, then channel attention."""

    def __init__(self, cin: int, cout: int, kernels: tuple[int, ...], dilation: int, reduction: int) -> None:
        super().__init__()
        widths = [cout // len(kernels)] * len(kernels)
        widths[0] += cout - sum(widths)
        self.branches = nn.ModuleList(DSConv(cin, w, k, dilation) for w, k in zip(widths, kernels))
        self.attention = ChannelAttention(cout, reduction)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attention(torch.cat([b(x) for b in self.branches], dim=1))


class FusedMultiScaleBlock(nn.Module):
    """A :class:`MultiScaleBlock` with equal branch widths, rewritten as one depthwise and one grouped
    pointwise convolution, with the same outputs (up to float rounding).

    One depthwise convolution with a channel multiplier of one per branch (branch ``j``'s taps
    zero-padded, centred, to the largest kernel, its BatchNorm interleaved), a channel shuffle that
    gathers each branch's channels, and one pointwise convolution whose group ``j`` is branch ``j``'s.
    A third of the ops, so a smaller ``.pte`` (each op carries fixed bytes); but the channel
    shuffle costs XNNPACK layout copies: on LAMSCN-12, int8 0.60 → 1.21 ms per window (x86, one
    thread). So it is opt-in per builder (``fuse_blocks``), for models bound by size."""

    def __init__(self, block: MultiScaleBlock) -> None:
        super().__init__()
        dws = [b[0] for b in block.branches]
        pws = [b[1] for b in block.branches]
        cin, m = dws[0][0].in_channels, len(dws)
        kmax = max(d[0].kernel_size[0] for d in dws)
        dilation = dws[0][0].dilation[0]
        self.copies = m
        # channel multiplier m: output channel c * m + j is input channel c under branch j's kernel
        self.depthwise = ConvBNAct(cin, m * cin, kmax, dilation=dilation, groups=cin)
        self.pointwise = ConvBNAct(m * cin, sum(p[0].out_channels for p in pws), 1, groups=m)
        with torch.no_grad():
            weight = torch.zeros_like(self.depthwise[0].weight)
            for j, d in enumerate(dws):
                k = d[0].kernel_size[0]
                start = (kmax - k) // 2
                weight[j::m, :, start:start + k] = d[0].weight
            self.depthwise[0].weight.copy_(weight)
            self.pointwise[0].weight.copy_(torch.cat([p[0].weight for p in pws]))
            for fused, parts, stack in ((self.depthwise[1], [d[1] for d in dws], interleave),
                                        (self.pointwise[1], [p[1] for p in pws], torch.cat)):
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(fused, name).copy_(stack([getattr(b, name) for b in parts]))
                fused.eps = parts[0].eps
        self.attention = block.attention
        self.kernels = tuple(d[0].kernel_size[0] for d in dws)

    def tap_mask(self) -> torch.Tensor:
        """1 where the depthwise weight holds a branch's tap, 0 on the zero padding to the largest
        kernel (training the fused block must keep those at zero to stay a set of branches)."""
        mask = torch.zeros_like(self.depthwise[0].weight)
        kmax = mask.shape[2]
        for j, k in enumerate(self.kernels):
            start = (kmax - k) // 2
            mask[j::self.copies, :, start:start + k] = 1
        return mask

    def unfused(self, like: MultiScaleBlock) -> MultiScaleBlock:
        """The inverse of the fusion: a copy of ``like`` (the block this was made from) carrying this
        block's weights; exact while the padding taps are zero."""
        block = copy.deepcopy(like)
        m = self.copies
        with torch.no_grad():
            weight, offset = self.depthwise[0].weight, 0
            kmax = weight.shape[2]
            for j, (branch, k) in enumerate(zip(block.branches, self.kernels)):
                start = (kmax - k) // 2
                branch[0][0].weight.copy_(weight[j::m, :, start:start + k])
                width = branch[1][0].out_channels
                branch[1][0].weight.copy_(self.pointwise[0].weight[offset:offset + width])
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(branch[0][1], name).copy_(getattr(self.depthwise[1], name)[j::m])
                    getattr(branch[1][1], name).copy_(getattr(self.pointwise[1], name)[offset:offset + width])
                offset += width
            block.attention.load_state_dict(self.attention.state_dict())
        return block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.depthwise(x)  # channels (c, branch) → (branch, c): each branch's block is contiguous
        n, cm, length, _ = x.shape
        x = x.reshape(n, cm // self.copies, self.copies, length).transpose(1, 2).reshape(n, cm, length, 1)
        return self.attention(self.pointwise(x))


def interleave(parts: list[torch.Tensor]) -> torch.Tensor:
    """``[a0, b0, c0, a1, b1, c1, ...]`` from equal-length ``[a, b, c]``."""
    return torch.stack(parts, dim=1).flatten()


def fusable(block: MultiScaleBlock) -> bool:
    """Whether a block's branches can become one grouped convolution: equal widths, one dilation,
    centred odd kernels."""
    widths = {b[1][0].out_channels for b in block.branches}
    dilations = {b[0][0].dilation[0] for b in block.branches}
    return len(widths) == 1 and len(dilations) == 1 and all(b[0][0].kernel_size[0] % 2 for b in block.branches)


def deployable(model: nn.Module) -> nn.Module:
    """An eval-mode copy of ``model`` for export and inference; when its config says
    ``fuse_blocks``, every fusable multi-scale block fused (:class:`FusedMultiScaleBlock`), the
    weights and outputs unchanged."""
    model = copy.deepcopy(model)
    if getattr(getattr(model, "config", None), "fuse_blocks", False):
        for module in list(model.modules()):
            if isinstance(module, DenseStage):
                module.blocks = nn.ModuleList(FusedMultiScaleBlock(b) if fusable(b) else b for b in module.blocks)
    return model.eval()


def load_deployable_weights(model: nn.Module, trained: nn.Module) -> None:
    """Load the weights of ``trained`` (a :func:`deployable` copy of ``model``, fine-tuned) into
    ``model``, unfusing every fused block into the branches it was made from."""
    trained = copy.deepcopy(trained)
    for mine, theirs in zip((s for s in model.modules() if isinstance(s, DenseStage)),
                            (s for s in trained.modules() if isinstance(s, DenseStage)), strict=True):
        theirs.blocks = nn.ModuleList(t.unfused(o) if isinstance(t, FusedMultiScaleBlock) else t
                                      for o, t in zip(mine.blocks, theirs.blocks, strict=True))
    model.load_state_dict(trained.state_dict())


class DenseStage(nn.Module):
    """Dense connections: each block sees the concatenation of the stage input and all earlier
    blocks' outputs; a 1x1 transition (and pooling) closes the stage."""

    def __init__(self, cin: int, cfg: StageConfig, reduction: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            MultiScaleBlock(cin + i * cfg.growth, cfg.growth, cfg.kernels, cfg.dilation, reduction)
            for i in range(cfg.layers))
        self.transition = ConvBNAct(cin + cfg.layers * cfg.growth, cfg.out_channels, 1)
        self.pool = cfg.pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = torch.cat([x, block(x)], dim=1)
        x = self.transition(x)
        return F.avg_pool2d(x, (2, 1)) if self.pool else x


class LAMSCN(nn.Module):
    """The network. ``forward`` takes ``(N, leads, samples)`` and returns logits ``(N, classes)``."""

    def __init__(self, cfg: LAMSCNConfig) -> None:
        super().__init__()
        self.config = cfg
        self.stem = ConvBNAct(cfg.leads, cfg.stem_channels, cfg.stem_kernel, stride=cfg.stem_stride)
        stages, c = [], cfg.stem_channels
        for sc in cfg.stages:
            stages.append(DenseStage(c, sc, cfg.attention_reduction))
            c = sc.out_channels
        self.stages = nn.Sequential(*stages)
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(c, cfg.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x.unsqueeze(-1)))
        return self.head(self.dropout(x.mean(dim=(2, 3), keepdim=True).flatten(1)))  # keepdim: XNNPACK takes it


class WithProbabilities(nn.Module):
    """The exported graph: the :func:`deployable` copy of the model, logits → sigmoid (multi-label) or
    softmax (single-label)."""

    def __init__(self, model: nn.Module, multi_label: bool) -> None:
        super().__init__()
        self.model = deployable(model)
        self.multi_label = multi_label

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.model(x)
        return torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, dim=1)


def lamscn_12lead(num_classes: int = 17) -> LAMSCN:
    """LAMSCN-12: 12 leads at 100 Hz, multi-label (task ``ptbxl17``)."""
    k = (3, 7, 15)
    return LAMSCN(LAMSCNConfig(
        leads=12, num_classes=num_classes, stem_channels=32, stem_kernel=7, stem_stride=2,
        stages=(StageConfig(2, 24, k, 1, 48), StageConfig(2, 24, k, 1, 64),
                StageConfig(3, 32, k, 2, 96), StageConfig(2, 32, k, 2, 128, pool=False)),
        multi_label=True))


def lamscn_1lead(num_classes: int = 4) -> LAMSCN:
    """LAMSCN-1: one lead at 100 Hz, single-label rhythm classes (task ``cinc2017``).

    Five stages of one multi-scale block each, with more pooling and dilation than the 12-lead
    builder: AF shows as RR irregularity across many beats, so the receptive field must span several
    seconds. One block per stage, not two: on a watch the ``.pte`` must stay under 100 KB, and in an
    int8 ``.pte`` of this size each op costs about as much as its weights (keys, quantization
    parameters, alignment), so fewer, wider blocks buy more accuracy per byte.
    """
    k = (3, 7, 15)
    return LAMSCN(LAMSCNConfig(
        leads=1, num_classes=num_classes, stem_channels=16, stem_kernel=7, stem_stride=2,
        stages=(StageConfig(1, 24, k, 1, 32), StageConfig(1, 24, k, 2, 40), StageConfig(1, 30, k, 2, 48),
                StageConfig(1, 30, k, 4, 56), StageConfig(1, 36, k, 4, 64, pool=False)),
        multi_label=False, fuse_blocks=True))


def tiny_lamscn(leads: int, num_classes: int, multi_label: bool = True) -> LAMSCN:
    """A very small LAMSCN for tests (same blocks, fused for export like the patch model, a few
    thousand parameters)."""
    return LAMSCN(LAMSCNConfig(
        leads=leads, num_classes=num_classes, stem_channels=8, stem_kernel=5, stem_stride=2,
        stages=(StageConfig(1, 8, (3, 7), 1, 12), StageConfig(1, 8, (3, 7), 2, 16, pool=False)),
        multi_label=multi_label, fuse_blocks=True))


BUILDERS = {"lamscn_12lead": lamscn_12lead, "lamscn_1lead": lamscn_1lead}


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_macs(model: nn.Module, leads: int, samples: int) -> int:
    """Multiply-accumulates of one forward pass on ``(1, leads, samples)`` (convolutions and linear
    layers; element-wise ops, pooling and BatchNorm, which folds into the convs, are not counted)."""
    total = 0

    def hook(mod: nn.Module, _inp: tuple, out: torch.Tensor) -> None:
        nonlocal total
        if isinstance(mod, nn.Conv2d | nn.Conv1d):
            k = mod.weight[0].numel()  # (cin / groups) * kernel
            total += out.numel() * k
        elif isinstance(mod, nn.Linear):
            total += out.numel() * mod.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, nn.Conv2d | nn.Conv1d | nn.Linear)]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, leads, samples, device=next(model.parameters()).device))
    model.train(was_training)
    for h in handles:
        h.remove()
    return total
