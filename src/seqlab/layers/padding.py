r"""Windows over the spatial axes of the convolution and pooling layers: sizes, checks, padding.

Padding follows Keras, per spatial axis of size T, with span = d(k-1) + 1:

- ``valid``: none; T' = floor((T - span) / s) + 1.
- ``same``: T' = ceil(T / s); total padding max((T'-1)s + span - T, 0), the odd one on the
  right (TensorFlow's rule). Pooling ignores padded cells: max never picks them, average
  divides by the number of real cells in the window.
- ``causal`` (Conv1D): span - 1 zeros on the left, so the output at t sees inputs <= t only.

Symbols: T an axis' size, k kernel or pool size, s strides, d dilation_rate.

Example:
    >>> pad_amounts(10, k=3, s=1, d=2, padding="causal"), pad_amounts(10, k=4, s=1, d=1, padding="same")
    ((4, 0), (1, 2))
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from seqlab.errors import ConfigError, ShapeError
from seqlab.layers.base import Layer

SHAPES = {1: "(B, T, C)", 2: "(B, H, W, C)"}  # the input each spatial rank takes, channels last


def as_tuple(value, rank: int, arg: str, where: str) -> tuple[int, ...]:
    """An int, or a sequence of ``rank`` ints, as a tuple of positive ints; ConfigError otherwise."""
    items = (value,) * rank if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(items) != rank or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in items):
        expected = "a positive integer" + (f" or a tuple of {rank}" if rank > 1 else "")
        raise ConfigError(f"{where}: `{arg}` must be {expected}, got {value!r}")
    return items


def check_choice(value, choices: tuple[str, ...], arg: str, where: str) -> None:
    """Refuse a ``value`` outside ``choices``, naming the argument and the layer."""
    if value not in choices:
        raise ConfigError(f"{where}: `{arg}` must be one of {', '.join(choices)}, got {value!r}")


def check_rank(layer: Layer, shape: tuple[int, ...], rank: int) -> None:
    """Refuse an input that is not (B, *spatial, C) for ``rank`` spatial axes, naming the layer."""
    if len(shape) != rank + 2:
        raise ShapeError(f"{layer.label} expects input of shape {SHAPES[rank]}, got {tuple(shape)}")


def pad_amounts(size: int, k: int, s: int, d: int, padding: str) -> tuple[int, int]:
    """(left, right) padding of one spatial axis, by Keras' rule."""
    span = d * (k - 1) + 1  # the input cells one output sees
    if padding == "causal":
        return span - 1, 0
    if padding == "same":
        out = -(-size // s)  # ceil(size / s)
        total = max((out - 1) * s + span - size, 0)
        return total // 2, total - total // 2
    return 0, 0


def pad(layer: Layer, x: torch.Tensor, kernel, strides, dilation, padding: str, value: float = 0.0):
    """Pad the spatial axes of channels-first ``x``; ShapeError where an axis is too short."""
    pads, names = [], ("T",) if x.dim() == 3 else ("H", "W")
    for axis, size, k, s, d in zip(names, x.shape[2:], kernel, strides, dilation):
        left, right = pad_amounts(size, k, s, d, padding)
        span = d * (k - 1) + 1
        if size + left + right < span:
            raise ShapeError(
                f"{layer.label}: input axis {axis} has size {size}, shorter than the window "
                f"span {span} (size {k}, dilation {d}) with padding={padding!r}; use longer "
                f"inputs or padding='same'")
        pads.append((left, right))
    flat = [p for pair in reversed(pads) for p in pair]  # F.pad wants the last axis first
    return F.pad(x, flat, value=value) if any(flat) else x
