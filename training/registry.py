"""Model registry: every trainable architecture by name, rebuilt from a bundle's name + kwargs."""
from __future__ import annotations

from typing import Callable

from torch import nn

from training import baselines
from training import model as lamscn

REGISTRY: dict[str, Callable[..., nn.Module]] = {
    "lamscn_12lead": lamscn.lamscn_12lead,
    "lamscn_1lead": lamscn.lamscn_1lead,
    "tiny_lamscn": lamscn.tiny_lamscn,
    "mobilenet1d": baselines.mobilenet1d,
    "inception1d": baselines.inception1d,
    "xresnet1d101": baselines.xresnet1d101,
}


def build_model(name: str, **kwargs) -> nn.Module:
    """Instantiate the registered model ``name`` with ``kwargs``."""
    try:
        builder = REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model '{name}' (known: {', '.join(sorted(REGISTRY))})") from None
    try:
        return builder(**kwargs)
    except TypeError as e:  # a keyword the builder does not take, or a value of the wrong type
        raise ValueError(f"model '{name}': {e}") from None
