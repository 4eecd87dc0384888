r"""Attention pooling over time: a learned weighted average of a recurrent encoder's step outputs.

``AttentionPooling`` is the additive (Bahdanau-style) attention of Yang et al. 2016 with a
learned query: a score per step, a softmax over the real steps, a weighted sum.

.. math::

    u_t = \tanh(W h_t + b), \qquad e_t = v^\top u_t, \qquad
    a_t = \frac{\exp e_t}{\sum_{s \in \text{real}} \exp e_s}, \qquad c = \sum_t a_t h_t
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.errors import ShapeError
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
