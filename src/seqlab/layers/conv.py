r"""Convolution layers on channels-last inputs (Keras' layout, torch's weights).

Inputs are (B, T, C) for the 1-D layers and (B, H, W, C) for the 2-D ones, as in Keras;
each layer moves the channels to torch's place (B, C, T) for the kernel and back. Weights
carry torch.nn's names and shapes, ``weight`` (F, C, *kernel_size) and ``bias`` (F,), so an
nn.Conv1d/nn.Conv2d state dict loads and gives the same outputs.

Padding follows Keras (``valid``, ``same``, and ``causal`` for Conv1D); the rules and the
helpers shared with the pooling layers (``pooling.py``) are in ``padding.py``.

Symbols: B batch, T time steps, H height, W width, C channels, F filters,
k kernel or pool size, s strides, d dilation_rate.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.layers.base import Layer, check_positive_int, get_activation
from seqlab.layers.padding import as_tuple, check_choice, check_rank, pad

_CONV = {1: F.conv1d, 2: F.conv2d}


class Conv(Layer):
    """The convolution shared by Conv1D and Conv2D: y = act(conv(pad(x), weight) + bias).

    Args:
        filters: F, the number of output channels.
        kernel_size: k, an int or one int per spatial axis.
        strides: s, an int or one per axis.
        padding: ``valid``, ``same`` (and ``causal`` for Conv1D); see ``padding.py``.
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
        self._kernel = as_tuple(kernel_size, self.rank, "kernel_size", where)
        self._strides = as_tuple(strides, self.rank, "strides", where)
        self._dilation = as_tuple(dilation_rate, self.rank, "dilation_rate", where)
        check_choice(padding, self.paddings, "padding", where)
        get_activation(activation, where)  # fail now, not at the first call
        self.filters, self.kernel_size, self.strides = filters, kernel_size, strides
        self.padding, self.dilation_rate = padding, dilation_rate
        self.activation, self.use_bias = activation, use_bias

    def window(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(kernel size, strides, dilation), one int per spatial axis (the receptive field's walk reads them)."""
        return self._kernel, self._strides, self._dilation

    def build(self, input_shape: tuple[int, ...]) -> None:
        check_rank(self, input_shape, self.rank)
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
        x = pad(self, x, self._kernel, self._strides, self._dilation, self.padding)
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
