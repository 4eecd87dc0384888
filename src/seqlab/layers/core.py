r"""Core layers: Dense, Embedding, Dropout, TokenDropout (word dropout), Flatten (Keras' arguments, torch.nn's weights).

``Dense`` holds nn.Linear's ``weight`` (units, D) and ``bias`` (units,); ``Embedding`` holds
nn.Embedding's ``weight`` (input_dim, output_dim). State dicts load both ways and give the
same outputs. Initialisation is Keras': Glorot-uniform kernels and zero biases for Dense,
U(-0.05, 0.05) for Embedding (torch.nn uses other starting points; loading is unaffected).

Masks (B, T), True at real steps, follow Keras: ``Embedding`` with ``padding_idx`` creates
one, ``Dropout`` and a ``Dense`` on (B, T, D) pass it on, ``Flatten`` drops it.

Symbols: B batch, T time steps, D input features, E embedding size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.errors import ConfigError, DataError, ShapeError
from seqlab.layers.base import Layer, check_positive_int, get_activation


class Dense(Layer):
    r"""Fully connected layer on the last axis (Keras' ``Dense``; nn.Linear's weights).

    .. math:: y = \phi(x W^\top + b)

    Args:
        units: output size.
        activation: an activation name (``seqlab.layers.base.ACTIVATIONS``); None is linear.
        use_bias: add ``bias``.
        name: optional layer name.

    Call arguments:
        x: (B, ..., D) float tensor; every axis but the last is kept, as in Keras.
        mask: passed on unchanged when x is (B, T, D): the layer acts on each step alone.

    Returns:
        (B, ..., units).

    Example:
        >>> import torch
        >>> Dense(4, activation="relu")(torch.randn(2, 7, 3)).shape
        torch.Size([2, 7, 4])
    """

    supports_masking = True

    def __init__(self, units: int, activation: str | None = None, use_bias: bool = True,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        check_positive_int(units, "units", self.label)
        get_activation(activation, self.label)  # fail now, not at the first call
        self.units, self.activation, self.use_bias = units, activation, use_bias

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) < 2:
            raise ShapeError(f"{self.label} expects input of shape (B, ..., D), got {tuple(input_shape)}")
        D = int(input_shape[-1])
        self.weight = nn.Parameter(torch.empty(self.units, D))  # nn.Linear's layout
        if self.use_bias:
            self.bias = nn.Parameter(torch.empty(self.units))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None, shape[-1])

    def input_shape_from_state(self, state_dict: dict, prefix: str) -> tuple[int, ...] | None:
        w = state_dict.get(prefix + "weight")
        return None if w is None else (1, int(w.shape[1]))

    def check_input(self, x: torch.Tensor) -> None:
        # any rank >= 2 is fine (Keras applies Dense to the last axis); only D is fixed
        D = self.input_shape[-1]
        if x.dim() < 2 or x.shape[-1] != D:
            raise ShapeError(f"{self.label} expected input of shape (B, ..., {D}), got {tuple(x.shape)}")

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        y = F.linear(x, self.weight, self.bias)  # (B, ..., units)
        return get_activation(self.activation, self.label)(y)

    def compute_mask(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor | None:
        # a (B, T) mask still describes the time axis of the (B, T, units) output
        return mask if x.dim() == 3 else None


class Embedding(Layer):
    """Lookup table of token vectors (Keras' ``Embedding``; nn.Embedding's weight).

    ``padding_idx`` plays Keras' ``mask_zero`` (``padding_idx=0``) and torch's ``padding_idx``
    at once: its row starts at zero and gets no gradient, and the layer passes on the mask
    ``x != padding_idx`` so that recurrent and global pooling layers skip the padding.

    Args:
        input_dim: vocabulary size; indices lie in [0, input_dim).
        output_dim: E, the size of each vector.
        padding_idx: the index of the padding token, or None (no mask).
        name: optional layer name.

    Call arguments:
        x: (B, T) integer indices (any shape works; one vector per index).

    Returns:
        (B, T, E). ``compute_mask(x, mask)`` gives the (B, T) bool mask, or None.

    Example:
        >>> import torch
        >>> emb = Embedding(100, 8, padding_idx=0)
        >>> x = torch.tensor([[5, 7, 0, 0]])
        >>> emb(x).shape, emb.compute_mask(x, None).tolist()
        (torch.Size([1, 4, 8]), [[True, True, False, False]])
    """

    float_input = False  # integer ids; check_input explains a wrong dtype

    def __init__(self, input_dim: int, output_dim: int, padding_idx: int | None = None,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        check_positive_int(input_dim, "input_dim", self.label)
        check_positive_int(output_dim, "output_dim", self.label)
        if padding_idx is not None and (not isinstance(padding_idx, int) or isinstance(padding_idx, bool)
                                        or not 0 <= padding_idx < input_dim):
            raise ConfigError(f"{self.label}: `padding_idx` must be None or an integer in "
                              f"[0, {input_dim}) (input_dim={input_dim}), got {padding_idx!r}")
        self.input_dim, self.output_dim, self.padding_idx = input_dim, output_dim, padding_idx
        # the size is known now, so build now: no dummy call needed to load weights
        self.weight = nn.Parameter(torch.empty(input_dim, output_dim))  # nn.Embedding's layout
        self.reset_parameters()
        self.built = True

    def reset_parameters(self) -> None:
        nn.init.uniform_(self.weight, -0.05, 0.05)
        if self.padding_idx is not None:
            with torch.no_grad():
                self.weight[self.padding_idx].zero_()

    def check_input(self, x: torch.Tensor) -> None:
        if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
            raise DataError(f"{self.label} expects integer token indices, got a {x.dtype} tensor "
                            f"of shape {tuple(x.shape)}; convert tokens to ids first")
        if x.numel() == 0:
            return
        lo, hi = torch.stack(torch.aminmax(x)).tolist()  # one device sync for both
        if lo < 0 or hi >= self.input_dim:
            bad = hi if hi >= self.input_dim else lo
            raise DataError(f"{self.label}: index {bad} is out of range for input_dim={self.input_dim} "
                            f"(indices must lie in [0, {self.input_dim - 1}]); raise input_dim to the "
                            f"vocabulary size or check the tokenizer")

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if x.dtype not in (torch.int32, torch.int64):
            x = x.long()  # F.embedding takes int32/int64 only
        return F.embedding(x, self.weight, self.padding_idx)  # (B, T, E)

    def compute_mask(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor | None:
        return None if self.padding_idx is None else x != self.padding_idx  # (B, T)


class Dropout(Layer):
    """Zero each element with probability ``rate`` in training, scale the rest by 1/(1-rate).

    Args:
        rate: the drop probability, in [0, 1).
        name: optional layer name.

    Call arguments:
        x: a float tensor of any shape. mask: passed on unchanged.

    Returns:
        A tensor of x's shape; x itself in evaluation mode.

    Example:
        >>> import torch
        >>> Dropout(0.5).eval()(torch.ones(2, 3)).tolist()
        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    supports_masking = True

    def __init__(self, rate: float, name: str | None = None) -> None:
        super().__init__(name=name)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate < 1.0:
            raise ConfigError(f"{self.label}: `rate` must be a number in [0, 1), got {rate!r}")
        self.rate = rate

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None,) * len(shape)  # any sizes, same rank

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return F.dropout(x, self.rate, training=self.training)


class TokenDropout(Dropout):
    """Zero whole time steps with probability ``rate`` in training, scaling the rest by 1/(1-rate).

    Applied to embeddings it is word dropout: a dropped token looks like padding to the
    layers above for that step, which teaches the model not to lean on any single word.

    Args:
        rate: the probability of dropping a step, in [0, 1).
        name: optional layer name.

    Call arguments:
        x: (B, T, C). mask: passed on unchanged.

    Returns:
        (B, T, C); x itself in evaluation mode.

    Example:
        >>> import torch
        >>> drop = TokenDropout(0.5)
        >>> y = drop(torch.ones(1, 1000, 4))
        >>> bool(((y == 0).all(-1) | (y == 2).all(-1)).all())  # whole steps dropped or scaled
        True
    """

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if not self.training or self.rate == 0.0:
            return x
        keep = torch.rand(x.shape[:-1] + (1,), device=x.device) >= self.rate  # (B, T, 1)
        return x * keep.to(x.dtype) / (1.0 - self.rate)


class Flatten(Layer):
    """Flatten every axis but the batch, in channels-last (C) order, as Keras does.

    A Dense after ``Conv2D``/``Flatten`` therefore sees features ordered (H, W, C), not
    torch's (C, H, W): weights of a channels-first torch model need a permutation.

    Args:
        name: optional layer name.

    Call arguments:
        x: (B, ...) tensor. A mask is dropped: no time axis is left to describe.

    Returns:
        (B, prod(...)); (B, 1) for a (B,) input.

    Example:
        >>> import torch
        >>> Flatten()(torch.randn(2, 5, 5, 3)).shape
        torch.Size([2, 75])
    """

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name=name)

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None,) * len(shape)

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return x.flatten(1) if x.dim() > 1 else x[:, None]  # (B, prod(...))
