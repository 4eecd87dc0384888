"""The encoder: source token ids -> step outputs h̄_s (the memory the decoder attends to) and its final state.

A bidirectional GRU/LSTM of ``units // 2`` units per direction reads the embedded source
(Bahdanau et al. 2015, section 3.2: h_j = [→h_j; ←h_j]). Padded steps are skipped (``lengths``
reach the recurrent layer), output zeros and are masked out of the attention. The decoder's
initial state is the final forward and backward states concatenated, ``units`` wide.

Symbols: B batch, S source steps, E embedding size, H units (decoder width).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from seqlab.errors import ShapeError
from seqlab.layers import GRU, LSTM, Dropout, Embedding
from seqlab.models.seq2seq.config import Seq2SeqConfig

CELLS = {"gru": GRU, "lstm": LSTM}


class Encoded(NamedTuple):
    """A source batch as the decoder needs it."""

    memory: torch.Tensor  # h̄_s: (B, S, H)
    mask: torch.Tensor  # (B, S) bool, True at real source steps
    state: tuple[torch.Tensor, ...]  # the decoder's initial state: h_0 (and c_0), each (B, H)


class Encoder(nn.Module):
    """Embedding -> dropout -> bidirectional GRU/LSTM.

    Inputs:
        ids (B, S) int64 padded with 0; lengths (B,) int64, each at least 1.

    Returns:
        :class:`Encoded`: memory (B, S, H), mask (B, S), state (h_0[, c_0]) each (B, H).

    Example:
        >>> enc = Encoder(Seq2SeqConfig(name="gru", embed_dim=8, units=6), src_vocab=20)
        >>> out = enc(torch.tensor([[4, 5, 6], [7, 8, 0]]), torch.tensor([3, 2]))
        >>> out.memory.shape, out.state[0].shape, out.mask[1].tolist()
        (torch.Size([2, 3, 6]), torch.Size([2, 6]), [True, True, False])
    """

    def __init__(self, config: Seq2SeqConfig, src_vocab: int) -> None:
        super().__init__()
        self.embedding = Embedding(src_vocab, config.embed_dim, padding_idx=0)
        self.dropout = Dropout(config.dropout)
        self.rnn = CELLS[config.name](config.encoder_units, bidirectional=True, return_sequences=True,
                                      return_state=True, input_size=config.embed_dim)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> Encoded:
        if ids.dim() != 2 or tuple(lengths.shape) != tuple(ids.shape[:1]):
            raise ShapeError(f"Encoder expects ids (B, S) and lengths (B,), got {tuple(ids.shape)} and "
                             f"{tuple(lengths.shape)}")
        S = ids.shape[1]
        mask = torch.arange(S, device=ids.device)[None, :] < lengths[:, None]  # (B, S)
        e = self.dropout(self.embedding(ids))  # (B, S, E)
        memory, state = self.rnn(e, lengths=lengths)  # (B, S, H); h_n (2, B, H/2) [and c_n]
        states = state if isinstance(state, tuple) else (state,)
        first = tuple(torch.cat([s[0], s[1]], dim=-1) for s in states)  # [→h_S; ←h_1]: each (B, H)
        return Encoded(memory, mask, first)

    def reorder(self, enc: Encoded, index: torch.Tensor) -> Encoded:
        """``enc`` with its rows picked by ``index`` (beam search copies each sentence K times)."""
        return Encoded(enc.memory[index], enc.mask[index], tuple(s[index] for s in enc.state))
