"""Helpers the forecasting cores share: eager building and the calendar marks.

Every core is an ``nn.Module`` with ``forward(x, marks=None, y=None, channel=None)`` that maps
x (B, L, C) to (B, H, K), built from a ``ForecastShape`` that describes the core's own view
(``Forecaster`` hands channel-independent cores C = K = 1). Its class attributes
``uses_marks`` and ``needs_targets`` say whether it reads ``marks`` and ``y``.

Symbols: B batch, L lookback, H horizon, C input channels, K target channels, F marks.
"""

from __future__ import annotations

import torch

from seqlab.layers.base import Layer


def eager(layer: Layer, *shape: int) -> Layer:
    """``layer`` built now for inputs of ``shape``, so that its weights exist before any call
    (an optimizer sees them, a state dict loads into them)."""
    layer.build_now(tuple(shape))
    return layer


def past_marks(x: torch.Tensor, marks: torch.Tensor | None) -> torch.Tensor:
    """x with the marks of its own L steps appended as channels: (B, L, C + F)."""
    if marks is None:
        return x
    return torch.cat([x, marks[:, : x.shape[1]].to(x.dtype)], dim=-1)  # (B, L, C + F)


def future_marks(h: torch.Tensor, marks: torch.Tensor | None, lookback: int) -> torch.Tensor:
    """Features h (B, D) with the flattened marks of the H forecast steps appended: (B, D + H·F)."""
    if marks is None:
        return h
    return torch.cat([h, marks[:, lookback:].flatten(1).to(h.dtype)], dim=-1)  # (B, D + H·F)
