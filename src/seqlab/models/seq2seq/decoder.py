r"""The attentional decoder: one target token per step, attending to the encoder's memory.

Bahdanau et al. 2015 (attention before the step; the context is an input of the recurrence):

.. math::

    c_i = \mathrm{attend}(s_{i-1}, \bar h) \\
    s_i = f([E y_{i-1}; c_i], s_{i-1}) \\
    \tilde h_i = \tanh(W_c [c_i; s_i]) \\
    p(y_i \mid y_{<i}, x) = \mathrm{softmax}(W_o \tilde h_i + b_o)

Luong et al. 2015 (attention after the step; the attentional hidden state h̃_t, eq. 5-6):

.. math::

    h_t = f(E y_{t-1}, h_{t-1}) \\
    c_t = \mathrm{attend}(h_t, \bar h) \\
    \tilde h_t = \tanh(W_c [c_t; h_t]) \\
    p(y_t \mid y_{<t}, x) = \mathrm{softmax}(W_s \tilde h_t + b_s)

f is the GRU or LSTM cell (``seqlab.layers.cells``). Where we differ from the papers: Bahdanau's
output layer is a maxout over (s_i, y_{i-1}, c_i); we use Luong's tanh(W_c[c; s]) for both, so
the two attentions differ only in the score and in where it is taken. Luong's input feeding
(h̃_{t-1} as an extra input) is left out, so in training the decoder recurrence runs over the
whole target at once on the fused kernels; Bahdanau's must step, since c_i depends on s_{i-1}.

Symbols: B batch, T target steps, S source steps, E embedding size, H units, V target vocabulary.
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.layers import Dense, Embedding
from seqlab.models.seq2seq.attention import BahdanauAttention, LuongDotAttention
from seqlab.models.seq2seq.config import Seq2SeqConfig
from seqlab.models.seq2seq.encoder import CELLS, Encoded


class Decoder(nn.Module):
    """Embedding -> GRU/LSTM with Bahdanau or Luong attention -> tanh(W_c[c; h]) -> dropout -> Dense(V).

    Attributes:
        rnn: the recurrent layer (its weights; the decoder steps its cell).
        attention: :class:`BahdanauAttention` or :class:`LuongDotAttention`.
    """

    def __init__(self, config: Seq2SeqConfig, tgt_vocab: int) -> None:
        super().__init__()
        H, E = config.units, config.embed_dim
        self.bahdanau = config.attention == "bahdanau"
        self.embedding = Embedding(tgt_vocab, E, padding_idx=0)
        self.dropout = nn.Dropout(config.dropout)  # torch's: seqlab's Dropout fixes the rank at its first call, and steps are (B, H) where training is (B, T, H)
        self.rnn = CELLS[config.name](H, return_sequences=True, return_state=True,
                                      input_size=E + H if self.bahdanau else E)
        self.attention = BahdanauAttention(H, H, config.attention_units) if self.bahdanau else LuongDotAttention()
        self.combine = Dense(H, activation="tanh", use_bias=False)  # h̃ = tanh(W_c [c; h])
        self.combine.build_now((1, 2 * H))
        self.out = Dense(tgt_vocab)  # W_o h̃ + b_o
        self.out.build_now((1, H))

    def keys(self, enc: Encoded) -> torch.Tensor | None:
        """What the attention precomputes from the memory once per sentence (Bahdanau's U h_j)."""
        return self.attention.keys(enc.memory)

    def step(self, y_prev: torch.Tensor, state: tuple[torch.Tensor, ...], enc: Encoded,
             keys: torch.Tensor | None) -> tuple[torch.Tensor, tuple[torch.Tensor, ...], torch.Tensor]:
        """One step: previous tokens (B,) and state (each (B, H)) -> logits (B, V), new state, weights (B, S)."""
        h_tilde, state, a = self.attend_step(y_prev, state, enc, keys)
        return self.out(self.dropout(h_tilde)), state, a

    def attend_step(self, y_prev: torch.Tensor, state: tuple[torch.Tensor, ...], enc: Encoded,
                    keys: torch.Tensor | None) -> tuple[torch.Tensor, tuple[torch.Tensor, ...], torch.Tensor]:
        """One step up to the attentional hidden state: h̃ (B, H), the new state, weights (B, S)."""
        cell, w = self.rnn.cell, self.rnn.weights(0, 0)
        e = self.dropout(self.embedding(y_prev))  # E y_{i-1}: (B, E)
        if self.bahdanau:
            c, a = self.attention(state[0][:, None, :], enc.memory, enc.mask, keys)  # c_i: (B, 1, H)
            c = c[:, 0]
            h, state = cell.step(cell.input_projection(torch.cat([e, c], dim=-1), w), state, w)  # s_i: (B, H)
        else:
            h, state = cell.step(cell.input_projection(e, w), state, w)  # h_t: (B, H)
            c, a = self.attention(h[:, None, :], enc.memory, enc.mask)  # c_t: (B, 1, H)
            c = c[:, 0]
        h_tilde = self.combine(torch.cat([c, h], dim=-1))  # h̃ = tanh(W_c [c; h]): (B, H)
        return h_tilde, state, a[:, 0]

    def forward(self, tgt_in: torch.Tensor, enc: Encoded) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher forcing: target inputs (B, T) (BOS, y_1, ...) -> logits (B, T, V) and weights (B, T, S)."""
        if not self.bahdanau:  # the whole target at once; later steps never reach earlier ones
            e = self.dropout(self.embedding(tgt_in))  # (B, T, E)
            h, _ = self.rnn(e, initial_state=tuple(s[None] for s in enc.state))  # h_t: (B, T, H)
            c, a = self.attention(h, enc.memory, enc.mask)  # c_t: (B, T, H), a: (B, T, S)
            h_tilde = self.combine(torch.cat([c, h], dim=-1))  # (B, T, H)
            return self.out(self.dropout(h_tilde)), a
        keys, state = self.keys(enc), enc.state
        hidden, weights = [], []
        for t in range(tgt_in.shape[1]):
            h_tilde, state, a = self.attend_step(tgt_in[:, t], state, enc, keys)
            hidden.append(h_tilde)
            weights.append(a)
        h_tilde = torch.stack(hidden, dim=1)  # (B, T, H): the output layer runs once, on every step
        return self.out(self.dropout(h_tilde)), torch.stack(weights, dim=1)  # (B, T, V), (B, T, S)
