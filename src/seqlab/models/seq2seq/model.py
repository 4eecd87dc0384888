"""``Seq2Seq``: an attentional encoder-decoder for translation, trained with teacher forcing.

In training the input is ``(src, tgt_in)``: ``src = {"ids": (B, S), "lengths": (B,)}`` (padded
with 0) and ``tgt_in`` (B, T) the target shifted right (BOS, y_1, ..., y_{n-1}, padded with 0);
the output is logits (B, T, V) for y_1 ... EOS, scored against the padded target by
``masked_sparse_categorical_crossentropy``. Greedy and beam search (``seqlab.tasks.translate.decode``)
call :meth:`encode` once and :meth:`step` per output token.

Example:
    >>> net = Seq2Seq(Seq2SeqConfig(name="gru", embed_dim=8, units=6, attention_units=5), Seq2SeqShape(20, 30))
    >>> src = {"ids": torch.tensor([[4, 5, 6], [7, 8, 0]]), "lengths": torch.tensor([3, 2])}
    >>> net((src, torch.tensor([[2, 9, 10, 11], [2, 12, 0, 0]]))).shape
    torch.Size([2, 4, 30])
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.errors import DataError, ShapeError
from seqlab.models.seq2seq.config import Seq2SeqConfig, Seq2SeqShape
from seqlab.models.seq2seq.decoder import Decoder
from seqlab.models.seq2seq.encoder import Encoded, Encoder


class Seq2Seq(nn.Module):
    """Encoder + attentional decoder (see :mod:`seqlab.models.seq2seq.decoder` for the equations).

    Attributes:
        config: the Seq2SeqConfig; shape: the Seq2SeqShape it was built for.
        last_attention: (B, T, S) attention weights of the last teacher-forced call (detached).
    """

    def __init__(self, config: Seq2SeqConfig, shape: Seq2SeqShape) -> None:
        super().__init__()
        self.config, self.shape = config, shape
        self.encoder = Encoder(config, shape.src_vocab)
        self.decoder = Decoder(config, shape.tgt_vocab)
        self.last_attention: torch.Tensor | None = None

    def encode(self, src: dict[str, torch.Tensor]) -> Encoded:
        return self.encoder(src["ids"], src["lengths"])

    def step(self, y_prev: torch.Tensor, state: tuple[torch.Tensor, ...], enc: Encoded,
             keys: torch.Tensor | None) -> tuple[torch.Tensor, tuple[torch.Tensor, ...], torch.Tensor]:
        """One decoder step: logits (B, V), the new state and the attention weights (B, S)."""
        return self.decoder.step(y_prev, state, enc, keys)

    def forward(self, x: tuple[dict[str, torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """Logits (B, T, V) of each next target token under teacher forcing."""
        if not (isinstance(x, (tuple, list)) and len(x) == 2 and isinstance(x[0], dict)):
            raise ShapeError("Seq2Seq expects x = (src, tgt_in) with src = {'ids': (B, S), 'lengths': (B,)} and "
                             "tgt_in (B, T)")
        src, tgt_in = x
        if tgt_in.dim() != 2 or tgt_in.shape[0] != src["ids"].shape[0]:
            raise ShapeError(f"Seq2Seq: tgt_in must be (B, T) with the source's B={src['ids'].shape[0]}, "
                             f"got {tuple(tgt_in.shape)}")
        if tgt_in.numel() and int(tgt_in.max()) >= self.shape.tgt_vocab:
            raise DataError(f"Seq2Seq: target id {int(tgt_in.max())} is out of range for a target vocabulary "
                            f"of {self.shape.tgt_vocab}")
        enc = self.encode(src)
        logits, weights = self.decoder(tgt_in, enc)
        self.last_attention = weights.detach()
        return logits
