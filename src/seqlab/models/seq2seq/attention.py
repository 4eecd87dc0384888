r"""Attention of a decoder over the encoder's step outputs: Bahdanau's additive and Luong's dot score.

Both take queries (B, T, H) (the decoder's state(s)), the memory h̄ (B, S, H) (the encoder's
step outputs) and the (B, S) source mask, and return the context vectors (B, T, H) and the
attention weights (B, T, S); padded source steps get weight 0.

Bahdanau et al. 2015, "Neural Machine Translation by Jointly Learning to Align and Translate" (eq. 5-6, A.1.2):

.. math::

    e_{ij} = v^\top \tanh(W s_{i-1} + U h_j) \\
    \alpha_{ij} = \exp(e_{ij}) / \textstyle\sum_k \exp(e_{ik}) \\
    c_i = \textstyle\sum_j \alpha_{ij} h_j

Luong et al. 2015, "Effective Approaches to Attention-based Neural Machine Translation" (global attention, dot score, eq. 5-8):

.. math::

    \mathrm{score}(h_t, \bar h_s) = h_t^\top \bar h_s \\
    a_t(s) = \exp(\mathrm{score}(h_t, \bar h_s)) / \textstyle\sum_{s'} \exp(\mathrm{score}(h_t, \bar h_{s'})) \\
    c_t = \textstyle\sum_s a_t(s) \bar h_s

Symbols: B batch, T decoder steps (queries), S source steps, H width, A attention units.
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.errors import ShapeError
from seqlab.layers import Dense


def _check(name: str, query: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor) -> None:
    if query.dim() != 3 or memory.dim() != 3 or query.shape[0] != memory.shape[0]:
        raise ShapeError(f"{name}: expects query (B, T, H) and memory (B, S, H), got {tuple(query.shape)} "
                         f"and {tuple(memory.shape)}")
    if tuple(mask.shape) != tuple(memory.shape[:2]):
        raise ShapeError(f"{name}: mask must have shape {tuple(memory.shape[:2])}, got {tuple(mask.shape)}")


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax of (B, T, S) scores over S, with padded source steps (mask False) at weight 0."""
    return torch.softmax(scores.masked_fill(~mask[:, None, :], -torch.inf), dim=-1)  # (B, T, S)


class BahdanauAttention(nn.Module):
    r"""Additive attention: :math:`e_{ij} = v^\top \tanh(W s_{i-1} + U h_j)`.

    Args:
        query_dim: width of the decoder state s (H).
        memory_dim: width of the encoder outputs h_j.
        units: A, the width of the scoring layer.

    Inputs:
        query (B, T, H), memory (B, S, H), mask (B, S) bool; ``keys``: ``U h_j`` (B, S, A) from
        :meth:`keys`, computed once per source sentence rather than at every decoder step.

    Returns:
        context (B, T, H) and weights (B, T, S).

    Example:
        >>> att = BahdanauAttention(4, 6, 5)
        >>> c, a = att(torch.randn(2, 1, 4), torch.randn(2, 3, 6), torch.tensor([[1, 1, 1], [1, 0, 0]]).bool())
        >>> c.shape, a.shape, a[1, 0, 1:].tolist()
        (torch.Size([2, 1, 6]), torch.Size([2, 1, 3]), [0.0, 0.0])
    """

    def __init__(self, query_dim: int, memory_dim: int, units: int) -> None:
        super().__init__()
        self.W = Dense(units, use_bias=False)  # W s_{i-1}
        self.W.build_now((1, query_dim))
        self.U = Dense(units)  # U h_j (+ b)
        self.U.build_now((1, memory_dim))
        self.v = Dense(1, use_bias=False)  # v^T tanh(.)
        self.v.build_now((1, units))

    def keys(self, memory: torch.Tensor) -> torch.Tensor:
        return self.U(memory)  # U h_j: (B, S, A)

    def forward(self, query: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor,
                keys: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        _check("BahdanauAttention", query, memory, mask)
        keys = self.keys(memory) if keys is None else keys  # (B, S, A)
        e = self.v(torch.tanh(self.W(query)[:, :, None, :] + keys[:, None, :, :])).squeeze(-1)  # e_ij: (B, T, S)
        a = masked_softmax(e, mask)  # α_ij: (B, T, S)
        return torch.bmm(a, memory), a  # c_i = Σ_j α_ij h_j: (B, T, H)


class LuongDotAttention(nn.Module):
    r"""Dot-product attention: :math:`\mathrm{score}(h_t, \bar h_s) = h_t^\top \bar h_s` (no parameters).

    Inputs:
        query (B, T, H), memory (B, S, H) of the same width, mask (B, S) bool.

    Returns:
        context (B, T, H) and weights (B, T, S).

    Example:
        >>> c, a = LuongDotAttention()(torch.randn(2, 4, 6), torch.randn(2, 3, 6), torch.ones(2, 3, dtype=torch.bool))
        >>> c.shape, a.shape
        (torch.Size([2, 4, 6]), torch.Size([2, 4, 3]))
    """

    def keys(self, memory: torch.Tensor) -> None:
        return None  # the dot score reads the memory itself

    def forward(self, query: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor,
                keys: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        _check("LuongDotAttention", query, memory, mask)
        if query.shape[-1] != memory.shape[-1]:
            raise ShapeError(f"LuongDotAttention: the dot score needs query and memory of one width, got "
                             f"{query.shape[-1]} and {memory.shape[-1]}")
        scores = torch.bmm(query, memory.transpose(1, 2))  # h_t^T h̄_s: (B, T, S)
        a = masked_softmax(scores, mask)  # a_t(s): (B, T, S)
        return torch.bmm(a, memory), a  # c_t = Σ_s a_t(s) h̄_s: (B, T, H)
