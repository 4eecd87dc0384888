r"""``LanguageModel``: token ids (B, T) -> next-token logits (B, T, V), stateful across calls.

.. math::
    e_t = E[x_t]
    h^{(l)}_t = \mathrm{RNN}^{(l)}(h^{(l-1)}_t, h^{(l)}_{t-1}), \quad h^{(0)}_t = e_t
    z_t = W \,\mathrm{dropout}(h^{(L)}_t) + b
    p(x_{t+1} \mid x_{\le t}) = \mathrm{softmax}(z_t)

The recurrent layer is ``stateful``: each call starts from the state the previous call ended
with (detached), so consecutive chunks of one stream, fed in order, read as one long sequence
and the gradient stops at each chunk's start (truncated backpropagation through time). The
engine resets the state at every epoch and validation pass; ``reset_states()`` does it by hand
(before sampling from a new prompt, say).

Symbols: B batch, T steps, E embedding size, H units, V vocabulary size.

Example:
    >>> import torch
    >>> net = LanguageModel(LMConfig(name="lstm", embed_dim=8, units=16, num_layers=1), vocab_size=30)
    >>> net(torch.randint(0, 30, (4, 10))).shape
    torch.Size([4, 10, 30])
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.errors import ShapeError
from seqlab.layers import GRU, LSTM, Dense, Dropout, Embedding
from seqlab.layers.base import check_positive_int
from seqlab.models.lm.config import LMConfig

_CELLS = {"lstm": LSTM, "gru": GRU}


class LanguageModel(nn.Module):
    """Embedding -> stacked stateful LSTM/GRU -> dropout -> Dense(V) logits.

    Args:
        config: the model's cell and sizes.
        vocab_size: V, the number of token ids.

    Inputs:
        ids: (B, T) int64 token ids in [0, V).

    Returns:
        (B, T, V) logits of the next token at every step.

    Attributes:
        config, vocab_size: as given. embedding, rnn, dropout, output: the layers.
    """

    def __init__(self, config: LMConfig, vocab_size: int) -> None:
        super().__init__()
        check_positive_int(vocab_size, "vocab_size", "LanguageModel")
        self.config, self.vocab_size = config, vocab_size
        c = config
        self.embedding = Embedding(vocab_size, c.embed_dim, name="embedding")
        self.rnn = _CELLS[c.name](c.units, num_layers=c.num_layers, dropout=c.dropout if c.num_layers > 1 else 0.0,
                                  return_sequences=True, stateful=True, input_size=c.embed_dim,
                                  backend=c.backend, name=c.name)
        self.dropout = Dropout(c.dropout, name="dropout")
        self.output = Dense(vocab_size, name="output")
        self.output.build_now((1, 1, c.units))  # eager, so the optimizer sees every weight

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        # B: batch, T: steps, E: embedding, H: units, V: vocabulary
        if ids.dim() != 2 or ids.dtype not in (torch.int64, torch.int32):
            raise ShapeError(f"LanguageModel expects (B, T) integer token ids, got {ids.dtype} of shape {tuple(ids.shape)}")
        e = self.embedding(ids)  # (B, T, E)
        h = self.rnn(e)  # (B, T, H)
        return self.output(self.dropout(h))  # (B, T, V)

    def reset_states(self) -> None:
        """Forget the carried state: the next call starts a new stream."""
        self.rnn.reset_states()


class TargetLogProb(nn.Module):
    r"""Wraps a ``LanguageModel`` to score a stream: ``(ids, targets)`` -> :math:`\log p(\text{target}_t)`.

    Inputs:
        batch: a pair ``(ids, targets)``, both (B, T) int64; ``targets[:, t]`` follows ``ids[:, t]``.

    Returns:
        (B * T,) log-probabilities of the targets in nats, row by row. Flat, so chunks of
        different lengths (the last chunk of a stream) concatenate along the first axis.
    """

    def __init__(self, net: LanguageModel) -> None:
        super().__init__()
        self.net = net

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        ids, targets = batch
        logits = self.net(ids)  # (B, T, V)
        logp = torch.log_softmax(logits.float(), dim=-1)
        return logp.gather(-1, targets.unsqueeze(-1)).reshape(-1)  # (B * T,)
