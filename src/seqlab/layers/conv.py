r"""Convolution and pooling layers on channels-last inputs (Keras' layout, torch's weights).

Inputs are (B, T, C) for the 1-D layers and (B, H, W, C) for the 2-D ones, as in Keras;
each layer moves the channels to torch's place (B, C, T) for the kernel and back. Weights
carry torch.nn's names and shapes, ``weight`` (F, C, *kernel_size) and ``bias`` (F,), so an
nn.Conv1d/nn.Conv2d state dict loads and gives the same outputs.

Padding follows Keras, per spatial axis of size T, with span = d(k-1) + 1:

- ``valid``: none; T' = floor((T - span) / s) + 1.
- ``same``: T' = ceil(T / s); total padding max((T'-1)s + span - T, 0), the odd one on the
  right (TensorFlow's rule). Pooling ignores padded cells: max never picks them, average
  divides by the number of real cells in the window.
- ``causal`` (Conv1D): span - 1 zeros on the left, so the output at t sees inputs <= t only.

Symbols: B batch, T time steps, H height, W width, C channels, F filters,
k kernel or pool size, s strides, d dilation_rate.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.errors import ConfigError, ShapeError
from seqlab.layers.base import Layer, get_activation, check_positive_int

_CONV = {1: F.conv1d, 2: F.conv2d}
_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d}
_SHAPES = {1: "(B, T, C)", 2: "(B, H, W, C)"}


def _as_tuple(value, rank: int, arg: str, where: str) -> tuple[int, ...]:
    """An int, or a sequence of ``rank`` ints, as a tuple of positive ints; ConfigError otherwise."""
    items = (value,) * rank if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(items) != rank or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in items):
        expected = "a positive integer" + (f" or a tuple of {rank}" if rank > 1 else "")
        raise ConfigError(f"{where}: `{arg}` must be {expected}, got {value!r}")
    return items


def _check_choice(value, choices: tuple[str, ...], arg: str, where: str) -> None:
    if value not in choices:
        raise ConfigError(f"{where}: `{arg}` must be one of {', '.join(choices)}, got {value!r}")


def _check_rank(layer: Layer, shape: tuple[int, ...], rank: int) -> None:
    if len(shape) != rank + 2:
        raise ShapeError(f"{layer.label} expects input of shape {_SHAPES[rank]}, got {tuple(shape)}")


def _pad_amounts(size: int, k: int, s: int, d: int, padding: str) -> tuple[int, int]:
    """(left, right) padding of one spatial axis, by Keras' rule."""
    span = d * (k - 1) + 1  # the input cells one output sees
    if padding == "causal":
        return span - 1, 0
    if padding == "same":
        out = -(-size // s)  # ceil(size / s)
        total = max((out - 1) * s + span - size, 0)
        return total // 2, total - total // 2
    return 0, 0


def _pad(layer: Layer, x: torch.Tensor, kernel, strides, dilation, padding: str, value: float = 0.0):
    """Pad the spatial axes of channels-first ``x``; ShapeError where an axis is too short."""
    pads, names = [], ("T",) if x.dim() == 3 else ("H", "W")
    for axis, size, k, s, d in zip(names, x.shape[2:], kernel, strides, dilation):
        left, right = _pad_amounts(size, k, s, d, padding)
        span = d * (k - 1) + 1
        if size + left + right < span:
            raise ShapeError(
                f"{layer.label}: input axis {axis} has size {size}, shorter than the window "
                f"span {span} (size {k}, dilation {d}) with padding={padding!r}; use longer "
                f"inputs or padding='same'")
        pads.append((left, right))
    flat = [p for pair in reversed(pads) for p in pair]  # F.pad wants the last axis first
    return F.pad(x, flat, value=value) if any(flat) else x


class Conv(Layer):
    """The convolution shared by Conv1D and Conv2D: y = act(conv(pad(x), weight) + bias).

    Args:
        filters: F, the number of output channels.
        kernel_size: k, an int or one int per spatial axis.
        strides: s, an int or one per axis.
        padding: ``valid``, ``same`` (and ``causal`` for Conv1D); see the module docstring.
        dilation_rate: d, an int or one per axis; the kernel taps are d cells apart.
        activation: an activation name (``seqlab.layers.base.ACTIVATIONS``); None is linear.
        use_bias: add ``bias``.
        name: optional layer name.

    Weights are Glorot-uniform with zero bias (Keras' defaults).
    """

    rank = 1
    paddings: tuple[str, ...] = ("valid", "same")

    def __init__(self, filters, kernel_size, strides, padding, dilation_rate, activation,
                 use_bias, name) -> None:
        super().__init__(name=name)
        where = self.label
        check_positive_int(filters, "filters", where)
        self._kernel = _as_tuple(kernel_size, self.rank, "kernel_size", where)
        self._strides = _as_tuple(strides, self.rank, "strides", where)
        self._dilation = _as_tuple(dilation_rate, self.rank, "dilation_rate", where)
        _check_choice(padding, self.paddings, "padding", where)
        get_activation(activation, where)  # fail now, not at the first call
        self.filters, self.kernel_size, self.strides = filters, kernel_size, strides
        self.padding, self.dilation_rate = padding, dilation_rate
        self.activation, self.use_bias = activation, use_bias

    def build(self, input_shape: tuple[int, ...]) -> None:
        _check_rank(self, input_shape, self.rank)
        C = int(input_shape[-1])
        self.weight = nn.Parameter(torch.empty(self.filters, C, *self._kernel))  # torch's layout
        if self.use_bias:
            self.bias = nn.Parameter(torch.empty(self.filters))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight)  # fans C*k and F*k, as Keras' glorot_uniform
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None,) * (self.rank + 1) + (shape[-1],)  # spatial sizes may vary, C may not

    def input_shape_from_state(self, state_dict: dict, prefix: str) -> tuple[int, ...] | None:
        w = state_dict.get(prefix + "weight")  # (F, C, *k)
        return None if w is None else (1,) * (self.rank + 1) + (int(w.shape[1]),)

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x.movedim(-1, 1)  # (B, C, T) or (B, C, H, W): torch's layout
        x = _pad(self, x, self._kernel, self._strides, self._dilation, self.padding)
        y = _CONV[self.rank](x, self.weight, self.bias, stride=self._strides,
                             dilation=self._dilation)  # (B, F, T') or (B, F, H', W')
        y = y.movedim(1, -1)  # (B, T', F) or (B, H', W', F)
        return get_activation(self.activation, self.label)(y)


class Conv1D(Conv):
    """Temporal convolution (Keras' ``Conv1D``; nn.Conv1d's weights).

    Args:
        See ``Conv``; ``padding`` may also be ``causal`` (left padding only, as in WaveNet/TCN).

    Call arguments:
        x: (B, T, C). A mask is dropped, as in Keras.

    Returns:
        (B, T', F); T' = T for ``same``/``causal`` with stride 1.

    Example:
        >>> import torch
        >>> Conv1D(8, 3, padding="causal", dilation_rate=2)(torch.randn(2, 20, 4)).shape
        torch.Size([2, 20, 8])
    """

    rank = 1
    paddings = ("valid", "same", "causal")

    def __init__(self, filters: int, kernel_size: int | tuple[int], strides: int | tuple[int] = 1,
                 padding: str = "valid", dilation_rate: int | tuple[int] = 1,
                 activation: str | None = None, use_bias: bool = True, name: str | None = None) -> None:
        super().__init__(filters, kernel_size, strides, padding, dilation_rate, activation, use_bias, name)


class Conv2D(Conv):
    """Spatial convolution on channels-last images (Keras' ``Conv2D``; nn.Conv2d's weights).

    Args:
        See ``Conv``; sizes are an int or a pair (rows, columns).

    Call arguments:
        x: (B, H, W, C).

    Returns:
        (B, H', W', F).

    Example:
        >>> import torch
        >>> Conv2D(32, (3, 3), activation="relu")(torch.randn(2, 28, 28, 1)).shape
        torch.Size([2, 26, 26, 32])
    """

    rank = 2

    def __init__(self, filters: int, kernel_size: int | tuple[int, int],
                 strides: int | tuple[int, int] = 1, padding: str = "valid",
                 dilation_rate: int | tuple[int, int] = 1, activation: str | None = None,
                 use_bias: bool = True, name: str | None = None) -> None:
        super().__init__(filters, kernel_size, strides, padding, dilation_rate, activation, use_bias, name)


class Pooling(Layer):
    """Window pooling shared by the 1-D and 2-D layers: max, average or sum of each window.

    Args:
        pool_size: k, an int or one int per spatial axis.
        strides: s, an int or one per axis; None means ``pool_size`` (non-overlapping windows).
        padding: ``valid`` or ``same``; padded cells never count (see the module docstring).
        name: optional layer name.

    Call arguments:
        x: (B, T, C) or (B, H, W, C). A mask is dropped, as in Keras.

    Returns:
        (B, T', C) or (B, H', W', C).
    """

    rank = 1
    op = "max"  # max | average | sum

    def __init__(self, pool_size, strides, padding, name) -> None:
        super().__init__(name=name)
        self._pool = _as_tuple(pool_size, self.rank, "pool_size", self.label)
        self._strides = self._pool if strides is None else _as_tuple(strides, self.rank, "strides", self.label)
        _check_choice(padding, ("valid", "same"), "padding", self.label)
        self.pool_size, self.strides, self.padding = pool_size, strides, padding

    def build(self, input_shape: tuple[int, ...]) -> None:
        _check_rank(self, input_shape, self.rank)

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None,) * len(shape)  # no weights: only the rank is fixed

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x.movedim(-1, 1)  # (B, C, T) or (B, C, H, W): torch's layout
        if self.op == "max":
            # -inf padding: a padded cell never wins
            xp = _pad(self, x, self._pool, self._strides, (1,) * self.rank, self.padding, -math.inf)
            y = _MAX_POOL[self.rank](xp, self._pool, self._strides)  # (B, C, T')
        else:
            y = self._window_sum(x)  # (B, C, T')
            if self.op == "average" and self.padding == "same":
                y = y / self._window_sum(x.new_ones((1, 1, *x.shape[2:])))  # real cells per window
            elif self.op == "average":
                y = y / math.prod(self._pool)
        return y.movedim(1, -1)  # (B, T', C) or (B, H', W', C)

    def _window_sum(self, x: torch.Tensor) -> torch.Tensor:
        # zero padding: a padded cell adds nothing to the sum
        xp = _pad(self, x, self._pool, self._strides, (1,) * self.rank, self.padding)
        return _AVG_POOL[self.rank](xp, self._pool, self._strides) * math.prod(self._pool)


class MaxPooling1D(Pooling):
    """The largest value of each window of each channel (Keras' ``MaxPooling1D``).

    Args: see ``Pooling``.

    Example:
        >>> import torch
        >>> x = torch.tensor([1., 2., 3., 4., 5.]).reshape(1, 5, 1)
        >>> MaxPooling1D(2, strides=1, padding="same")(x).flatten().tolist()
        [2.0, 3.0, 4.0, 5.0, 5.0]
    """

    rank, op = 1, "max"

    def __init__(self, pool_size: int | tuple[int] = 2, strides: int | tuple[int] | None = None,
                 padding: str = "valid", name: str | None = None) -> None:
        super().__init__(pool_size, strides, padding, name)


class AveragePooling1D(Pooling):
    """The mean of each window of each channel (Keras' ``AveragePooling1D``).

    Args: see ``Pooling``.

    Example:
        >>> import torch
        >>> AveragePooling1D(2)(torch.randn(4, 10, 3)).shape
        torch.Size([4, 5, 3])
    """

    rank, op = 1, "average"

    def __init__(self, pool_size: int | tuple[int] = 2, strides: int | tuple[int] | None = None,
                 padding: str = "valid", name: str | None = None) -> None:
        super().__init__(pool_size, strides, padding, name)


class SumPooling1D(Pooling):
    r"""The sum of each window of each channel (seed document 003's sum pooling).

    .. math:: y_{t,c} = \sum_{j=0}^{k-1} x_{ts+j,\,c}

    Args: see ``Pooling``.

    Example:
        >>> import torch
        >>> x = torch.arange(6.).reshape(1, 6, 1)
        >>> SumPooling1D(3)(x).flatten().tolist()
        [3.0, 12.0]
    """

    rank, op = 1, "sum"

    def __init__(self, pool_size: int | tuple[int] = 2, strides: int | tuple[int] | None = None,
                 padding: str = "valid", name: str | None = None) -> None:
        super().__init__(pool_size, strides, padding, name)


class MaxPooling2D(Pooling):
    """The largest value of each (rows, columns) window of each channel (Keras' ``MaxPooling2D``).

    Args: see ``Pooling``.

    Example:
        >>> import torch
        >>> MaxPooling2D((2, 2))(torch.randn(2, 26, 26, 32)).shape
        torch.Size([2, 13, 13, 32])
    """

    rank, op = 2, "max"

    def __init__(self, pool_size: int | tuple[int, int] = 2, strides: int | tuple[int, int] | None = None,
                 padding: str = "valid", name: str | None = None) -> None:
        super().__init__(pool_size, strides, padding, name)


class AveragePooling2D(Pooling):
    """The mean of each (rows, columns) window of each channel (Keras' ``AveragePooling2D``).

    Args: see ``Pooling``.

    Example:
        >>> import torch
        >>> AveragePooling2D(3, strides=1, padding="same")(torch.randn(2, 8, 8, 4)).shape
        torch.Size([2, 8, 8, 4])
    """

    rank, op = 2, "average"

    def __init__(self, pool_size: int | tuple[int, int] = 2, strides: int | tuple[int, int] | None = None,
                 padding: str = "valid", name: str | None = None) -> None:
        super().__init__(pool_size, strides, padding, name)


class GlobalPooling1D(Layer):
    """Pooling over the whole time axis, skipping masked steps: (B, T, C) -> (B, C).

    Args:
        name: optional layer name.

    Call arguments:
        x: (B, T, C).
        mask: (B, T) bool, True at real steps; masked steps are ignored. A row with no real
            step gives zeros. No mask is passed on.

    Returns:
        (B, C).
    """

    supports_masking = True

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name=name)

    def build(self, input_shape: tuple[int, ...]) -> None:
        _check_rank(self, input_shape, 1)

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None, None, None)

    def compute_mask(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor | None:
        return None  # the time axis is gone

    def _mask(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if tuple(mask.shape) != tuple(x.shape[:2]):
            raise ShapeError(f"{self.label}: mask must have shape {tuple(x.shape[:2])} (B, T) "
                             f"to match the input {tuple(x.shape)}, got {tuple(mask.shape)}")
        return mask.to(torch.bool)[..., None]  # (B, T, 1)


class GlobalMaxPooling1D(GlobalPooling1D):
    """The largest value of each channel over the real steps (Keras' ``GlobalMaxPooling1D``).

    Args, call arguments, returns: see ``GlobalPooling1D``.

    Example:
        >>> import torch
        >>> x = torch.tensor([[[1.], [5.], [9.]]])
        >>> GlobalMaxPooling1D()(x, mask=torch.tensor([[True, True, False]])).tolist()
        [[5.0]]
    """

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            return x.amax(dim=1)  # (B, C)
        m = self._mask(x, mask)  # (B, T, 1)
        y = x.masked_fill(~m, -math.inf).amax(dim=1)  # (B, C)
        return torch.where(m.any(dim=1), y, torch.zeros_like(y))  # no real step: 0, not -inf


class GlobalAveragePooling1D(GlobalPooling1D):
    """The mean of each channel over the real steps (Keras' ``GlobalAveragePooling1D``).

    Args, call arguments, returns: see ``GlobalPooling1D``.

    Example:
        >>> import torch
        >>> x = torch.tensor([[[1.], [5.], [9.]]])
        >>> GlobalAveragePooling1D()(x, mask=torch.tensor([[True, True, False]])).tolist()
        [[3.0]]
    """

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            return x.mean(dim=1)  # (B, C)
        m = self._mask(x, mask)  # (B, T, 1)
        total = x.masked_fill(~m, 0.0).sum(dim=1)  # (B, C); masked cells may hold anything
        return total / m.sum(dim=1).clamp_min(1).to(x.dtype)  # (B, C)
