r"""Temporal convolutional network (Bai, Kolter & Koltun 2018, "An Empirical Evaluation of
Generic Convolutional and Recurrent Networks for Sequence Modeling").

A TCN is a stack of residual blocks of dilated causal convolutions whose dilation doubles from
block to block (1, 2, 4, ...), so the receptive field grows exponentially with depth while the
output at step t still sees inputs at steps <= t only.

Symbols: B batch, T time steps, C input channels, F filters, k kernel size, d dilation.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm as apply_weight_norm

from seqlab.errors import ConfigError, ShapeError
from seqlab.layers.base import Layer, check_positive_int
from seqlab.layers.conv import Conv1D
from seqlab.layers.core import Dropout


def _check_rate(value, arg: str, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ConfigError(f"{where}: `{arg}` must be a number in [0, 1), got {value!r}")


def _conv_weight(state_dict: dict, prefix: str) -> torch.Tensor | None:
    """The (F, C, k) weight of a Conv1D saved with or without weight norm."""
    return state_dict.get(prefix + "weight", state_dict.get(prefix + "parametrizations.weight.original1"))


def blocks_to_cover(length: int, kernel_size: int, limit: int = 16) -> int:
    """The fewest TCN blocks (dilations 1, 2, ..., 2^(n-1)) whose receptive field
    1 + 2(k-1)(2^n - 1) covers ``length`` steps (at most ``limit``).

    Example:
        >>> blocks_to_cover(48, 3), blocks_to_cover(96, 3), blocks_to_cover(336, 2)
        (4, 5, 8)
    """
    n = 1
    while n < limit and 1 + 2 * (kernel_size - 1) * (2 ** n - 1) < length:
        n += 1
    return n


class TemporalBlock(Layer):
    r"""One residual block of a TCN: two dilated causal convolutions and a skip connection.

    .. math::
        z^{(1)} = \mathrm{Dropout}(\mathrm{ReLU}(W^{(1)} *_d x + b^{(1)})) \\
        z^{(2)} = \mathrm{Dropout}(\mathrm{ReLU}(W^{(2)} *_d z^{(1)} + b^{(2)})) \\
        y = \mathrm{ReLU}(z^{(2)} + W^{(r)} x + b^{(r)})

    where :math:`*_d` is a causal convolution with dilation d (zeros on the left, so y_t sees
    x_{t - 2d(k-1)} ... x_t) and :math:`W^{(r)}` a 1x1 convolution (``downsample``) present only
    when C != F; otherwise the skip is x itself. Weights are Glorot-uniform (Keras' default);
    Bai et al. draw them from N(0, 0.01).

    Args:
        filters: F, the output channels of both convolutions.
        kernel_size: k.
        dilation_rate: d.
        dropout: rate of both dropouts (in training only).
        weight_norm: reparametrise both convolutions as w = g v / ||v|| (Salimans & Kingma 2016),
            as Bai et al. do; the weights are then saved as ``conv1.parametrizations.weight.original0``
            (g) and ``...original1`` (v).
        input_size: C, if known; otherwise inferred at the first call.
        name: optional layer name.

    Call arguments:
        x: (B, T, C).

    Returns:
        (B, T, F).

    Example:
        >>> import torch
        >>> block = TemporalBlock(16, kernel_size=3, dilation_rate=4, input_size=7)
        >>> block(torch.randn(2, 48, 7)).shape, block.receptive_field
        (torch.Size([2, 48, 16]), 17)
    """

    def __init__(self, filters: int, kernel_size: int = 3, dilation_rate: int = 1, dropout: float = 0.0,
                 weight_norm: bool = False, input_size: int | None = None, name: str | None = None) -> None:
        super().__init__(name=name)
        where = self.label
        check_positive_int(filters, "filters", where)
        check_positive_int(kernel_size, "kernel_size", where)
        check_positive_int(dilation_rate, "dilation_rate", where)
        _check_rate(dropout, "dropout", where)
        self.filters, self.kernel_size, self.dilation_rate = filters, kernel_size, dilation_rate
        self.dropout, self.weight_norm, self.input_size = dropout, weight_norm, input_size
        if input_size is not None:
            self.build_now((1, 1, input_size))

    @property
    def receptive_field(self) -> int:
        """Input steps one output step sees: 1 + 2 d (k - 1)."""
        return 1 + 2 * self.dilation_rate * (self.kernel_size - 1)

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) != 3:
            raise ShapeError(f"{self.label} expects input of shape (B, T, C), got {tuple(input_shape)}")
        C, F = int(input_shape[-1]), self.filters
        self.input_size = C
        self.conv1 = self._conv(F, self.kernel_size, C)
        self.drop1 = Dropout(self.dropout)
        self.conv2 = self._conv(F, self.kernel_size, F)
        self.drop2 = Dropout(self.dropout)
        self.downsample = Conv1D(F, 1) if C != F else None
        if self.downsample is not None:
            self.downsample.build_now((1, 1, C))
        self.train(self.training)  # children made after .eval() must be in eval mode too

    def _conv(self, filters: int, kernel_size: int, channels: int) -> Conv1D:
        conv = Conv1D(filters, kernel_size, padding="causal", dilation_rate=self.dilation_rate, activation="relu")
        conv.build_now((1, 1, channels))
        return apply_weight_norm(conv) if self.weight_norm else conv

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None, None, shape[-1])

    def input_shape_from_state(self, state_dict: dict, prefix: str) -> tuple[int, ...] | None:
        w = _conv_weight(state_dict, prefix + "conv1.")
        return None if w is None else (1, 1, int(w.shape[1]))

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        z = self.drop1(self.conv1(x))  # z1 = Dropout(ReLU(W1 *_d x + b1)), (B, T, F)
        z = self.drop2(self.conv2(z))  # z2 = Dropout(ReLU(W2 *_d z1 + b2)), (B, T, F)
        skip = x if self.downsample is None else self.downsample(x)  # x or Wr x + br, (B, T, F)
        return torch.relu(z + skip)  # y = ReLU(z2 + skip), (B, T, F)


class TCN(Layer):
    r"""A stack of ``TemporalBlock`` s with dilations 1, 2, 4, ..., 2^(n-1).

    .. math::
        h^{(0)} = x, \quad h^{(i+1)} = \mathrm{TemporalBlock}_{d = 2^i}(h^{(i)}), \quad i = 0, \dots, n-1 \\
        \mathrm{receptive\ field} = 1 + 2 (k - 1) \sum_{i=0}^{n-1} 2^i = 1 + 2 (k - 1)(2^n - 1)

    Args:
        filters: F, the channels of every block.
        kernel_size: k.
        num_blocks: n; the dilation of block i is 2^i.
        dropout: dropout rate inside every block.
        weight_norm: weight normalisation of every convolution (see ``TemporalBlock``).
        return_sequences: return every step (B, T, F), or only the last one (B, F).
        input_size: C, if known; otherwise inferred at the first call.
        name: optional layer name.

    Call arguments:
        x: (B, T, C).

    Returns:
        (B, T, F), or (B, F) with ``return_sequences=False``.

    Example:
        >>> import torch
        >>> tcn = TCN(8, kernel_size=3, num_blocks=4, return_sequences=False)
        >>> tcn(torch.randn(2, 96, 7)).shape, tcn.receptive_field
        (torch.Size([2, 8]), 61)
    """

    def __init__(self, filters: int, kernel_size: int = 3, num_blocks: int = 4, dropout: float = 0.0,
                 weight_norm: bool = False, return_sequences: bool = True, input_size: int | None = None,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        where = self.label
        check_positive_int(filters, "filters", where)
        check_positive_int(kernel_size, "kernel_size", where)
        check_positive_int(num_blocks, "num_blocks", where)
        _check_rate(dropout, "dropout", where)
        self.filters, self.kernel_size, self.num_blocks = filters, kernel_size, num_blocks
        self.dropout, self.weight_norm = dropout, weight_norm
        self.return_sequences, self.input_size = return_sequences, input_size
        if input_size is not None:
            self.build_now((1, 1, input_size))

    @property
    def dilations(self) -> list[int]:
        return [2 ** i for i in range(self.num_blocks)]

    @property
    def receptive_field(self) -> int:
        """Input steps one output step sees: 1 + 2 (k - 1)(2^n - 1)."""
        return 1 + 2 * (self.kernel_size - 1) * sum(self.dilations)

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) != 3:
            raise ShapeError(f"{self.label} expects input of shape (B, T, C), got {tuple(input_shape)}")
        self.input_size = int(input_shape[-1])
        self.blocks = nn.ModuleList(
            TemporalBlock(self.filters, self.kernel_size, d, self.dropout, self.weight_norm,
                          input_size=self.input_size if i == 0 else self.filters)
            for i, d in enumerate(self.dilations)
        )
        self.train(self.training)  # blocks made after .eval() must be in eval mode too

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None, None, shape[-1])

    def input_shape_from_state(self, state_dict: dict, prefix: str) -> tuple[int, ...] | None:
        w = _conv_weight(state_dict, prefix + "blocks.0.conv1.")
        return None if w is None else (1, 1, int(w.shape[1]))

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        h = x  # (B, T, C)
        for block in self.blocks:
            h = block(h)  # (B, T, F)
        return h if self.return_sequences else h[:, -1]  # (B, T, F) or (B, F)
