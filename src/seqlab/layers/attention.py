r"""Attention over time: ``AttentionPooling`` (a learned weighted average of a recurrent encoder's
step outputs) and ``TransformerEncoder`` (self-attention blocks, torch.nn's).

``AttentionPooling`` is the additive (Bahdanau-style) attention of Yang et al. 2016 with a
learned query: a score per step, a softmax over the real steps, a weighted sum.

.. math::

    u_t = \tanh(W h_t + b), \qquad e_t = v^\top u_t, \qquad
    a_t = \frac{\exp e_t}{\sum_{s \in \text{real}} \exp e_s}, \qquad c = \sum_t a_t h_t
"""

from __future__ import annotations

import math

import torch
from torch import nn

from seqlab.errors import ConfigError, ShapeError
from seqlab.layers.base import Layer
from seqlab.layers.base import check_positive_int


class AttentionPooling(Layer):
    r"""Additive attention pooling: (B, T, C) -> (B, C), with the weights kept for inspection.

    Args:
        units: A, the size of the hidden scoring layer (W is C x A); None uses C.
        name: optional layer name.

    Call arguments:
        x: (B, T, C) the step outputs h_t.
        mask: (B, T) bool, True at real steps; padded steps get weight 0. A row with no real
            step gives zeros.

    Returns:
        (B, C) the context c. ``last_weights`` holds the (B, T) weights a_t of the last call.

    Example:
        >>> import torch
        >>> pool = AttentionPooling(units=4)
        >>> x = torch.randn(2, 5, 3)
        >>> c = pool(x, mask=torch.tensor([[True] * 5, [True, True, False, False, False]]))
        >>> c.shape, pool.last_weights[1, 2:].tolist()
        (torch.Size([2, 3]), [0.0, 0.0, 0.0])
    """

    supports_masking = True

    def __init__(self, units: int | None = None, name: str | None = None) -> None:
        super().__init__(name=name)
        if units is not None:
            check_positive_int(units, "units", self.label)
        self.units = units
        self.last_weights: torch.Tensor | None = None

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) != 3:
            raise ShapeError(f"{self.label} expects (batch, steps, channels), got shape {tuple(input_shape)}")
        C = input_shape[-1]
        A = self.units or C
        self.W = nn.Linear(C, A)  # u_t = tanh(W h_t + b)
        self.v = nn.Linear(A, 1, bias=False)  # e_t = v^T u_t

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None, None, shape[-1])

    def compute_mask(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor | None:
        return None  # the time axis is gone

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        u = torch.tanh(self.W(x))  # (B, T, A)
        e = self.v(u).squeeze(-1)  # (B, T)
        if mask is not None:
            if tuple(mask.shape) != tuple(x.shape[:2]):
                raise ShapeError(f"{self.label}: mask must have shape {tuple(x.shape[:2])}, got {tuple(mask.shape)}")
            mask = mask.to(torch.bool)
            e = e.masked_fill(~mask, -torch.inf)
        a = torch.softmax(e, dim=1)  # (B, T)
        if mask is not None:
            a = torch.nan_to_num(a, nan=0.0)  # a row with no real step: all -inf -> NaN -> 0
        self.last_weights = a.detach()
        return torch.einsum("bt,btc->bc", a, x)  # c = sum_t a_t h_t


class TransformerEncoder(Layer):
    r"""A Transformer encoder over time (Vaswani et al. 2017), torch.nn.TransformerEncoder inside.

    .. math::

        z_0 = x W_{in} + b_{in} + PE, \qquad PE_{t, 2i} = \sin(t / 10000^{2i/d}), \quad
        PE_{t, 2i+1} = \cos(t / 10000^{2i/d}) \\
        z_l' = z_{l-1} + \mathrm{MHA}(\mathrm{LN}(z_{l-1})), \qquad
        z_l = z_l' + \mathrm{FFN}(\mathrm{LN}(z_l')) \\
        y = \mathrm{LN}(z_L)

    Pre-norm blocks (``norm_first=True``): they train without a warm-up on small data, where
    the post-norm blocks of the paper often do not.

    Args:
        d_model: d, the width of every step's vector.
        num_heads: attention heads (d must be divisible by them).
        num_layers: encoder blocks.
        dim_feedforward: width of the FFN; None uses 4d.
        dropout: dropout inside the blocks, in training.
        causal: step t attends to steps <= t only (for per-step predictions of the future).
        name: optional layer name.

    Call arguments:
        x: (B, T, C).
        mask: (B, T) bool, True at real steps; padded steps are not attended to and the mask
            is passed on (so global pooling skips them).

    Returns:
        (B, T, d).

    Example:
        >>> import torch
        >>> enc = TransformerEncoder(d_model=16, num_heads=2, num_layers=1)
        >>> enc(torch.randn(3, 10, 5)).shape
        torch.Size([3, 10, 16])
    """

    supports_masking = True

    def __init__(self, d_model: int = 64, num_heads: int = 4, num_layers: int = 2,
                 dim_feedforward: int | None = None, dropout: float = 0.1, causal: bool = False,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        where = self.label
        for arg, value in (("d_model", d_model), ("num_heads", num_heads), ("num_layers", num_layers)):
            check_positive_int(value, arg, where)
        if dim_feedforward is not None:
            check_positive_int(dim_feedforward, "dim_feedforward", where)
        if d_model % num_heads:
            raise ConfigError(f"{where}: `d_model` ({d_model}) must be divisible by `num_heads` ({num_heads})")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ConfigError(f"{where}: `dropout` must be a number in [0, 1), got {dropout!r}")
        self.d_model, self.num_heads, self.num_layers = d_model, num_heads, num_layers
        self.dim_feedforward, self.dropout, self.causal = dim_feedforward, dropout, causal

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) != 3:
            raise ShapeError(f"{self.label} expects (batch, steps, channels), got shape {tuple(input_shape)}")
        self.input_projection = nn.Linear(input_shape[-1], self.d_model)  # W_in, b_in
        block = nn.TransformerEncoderLayer(self.d_model, self.num_heads, self.dim_feedforward or 4 * self.d_model,
                                           self.dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(block, self.num_layers, norm=nn.LayerNorm(self.d_model),
                                             enable_nested_tensor=False)
        self.encoder.train(self.training)  # built lazily, perhaps under eval(): dropout must follow

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None, None, shape[-1])

    def input_shape_from_state(self, state_dict: dict, prefix: str) -> tuple[int, ...] | None:
        w = state_dict.get(prefix + "input_projection.weight")  # (d, C)
        return None if w is None else (1, 1, int(w.shape[1]))

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        # B: batch, T: steps, d: model width
        B, T, _ = x.shape
        z = self.input_projection(x) + positional_encoding(T, self.d_model, x)  # (B, T, d)
        # True where attention is not allowed (bool, like the padding mask: torch wants one type)
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1) if self.causal else None  # (T, T)
        padding = None if mask is None else ~mask.to(torch.bool)  # (B, T), True where padded
        y = self.encoder(z, mask=causal, src_key_padding_mask=padding, is_causal=self.causal)  # (B, T, d)
        return y if mask is None else y.masked_fill(padding[..., None], 0.0)


def positional_encoding(T: int, d: int, like: torch.Tensor) -> torch.Tensor:
    r"""The sinusoids :math:`PE_{t, 2i} = \sin(t / 10000^{2i/d})`, :math:`PE_{t, 2i+1} = \cos(\cdot)`: (T, d)."""
    t = torch.arange(T, device=like.device, dtype=like.dtype)[:, None]  # (T, 1)
    rate = torch.exp(torch.arange(0, d, 2, device=like.device, dtype=like.dtype) * (-math.log(10000.0) / d))  # (d/2,)
    pe = torch.zeros(T, d, device=like.device, dtype=like.dtype)
    pe[:, 0::2] = torch.sin(t * rate)
    pe[:, 1::2] = torch.cos(t * rate)[:, : d // 2]
    return pe
