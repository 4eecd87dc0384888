"""What a translation model is asked to do (``Seq2SeqShape``) and how it is built (``Seq2SeqConfig``).

``Seq2SeqShape`` comes from the data (source and target vocabulary sizes); ``Seq2SeqConfig``
from the user: the recurrent cell (``name``: ``gru`` or ``lstm``), the attention
(``bahdanau`` or ``luong``) and the sizes.

=====  =========================================================================================
name   network
=====  =========================================================================================
gru    Embedding -> BiGRU encoder; GRU decoder with attention -> tanh(W_c[c; h]) -> Dense(vocab)
lstm   Embedding -> BiLSTM encoder; LSTM decoder with attention -> tanh(W_c[c; h]) -> Dense(vocab)
=====  =========================================================================================

The encoder reads the source both ways with ``units // 2`` units per direction, so its step
outputs h̄_s and its final state (forward and backward concatenated) are ``units`` wide: the
decoder starts from that state and Luong's dot score h_t^T h̄_s needs no projection.

Example:
    >>> c = Seq2SeqConfig(name="lstm", attention="luong")
    >>> c.units, c.embed_dim, c.encoder_units
    (256, 128, 128)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, model_validator

from seqlab.configbase import Strict

ModelName = Literal["gru", "lstm"]
MODEL_NAMES: tuple[str, ...] = ModelName.__args__
Attention = Literal["bahdanau", "luong"]
ATTENTIONS: tuple[str, ...] = Attention.__args__


@dataclass(frozen=True)
class Seq2SeqShape:
    """The sizes the data fixes: ids of the source and target vocabularies (0 is padding)."""

    src_vocab: int
    tgt_vocab: int


class Seq2SeqConfig(Strict):
    """An attentional encoder-decoder: cell, attention and sizes."""

    name: ModelName = Field(description="the recurrent cell of encoder and decoder")
    attention: Attention = Field("bahdanau", description="bahdanau (additive, before the step) or luong (dot, after)")
    embed_dim: int = Field(128, ge=1, description="size of each token vector (source and target)")
    units: int = Field(256, ge=2, description="decoder units; the encoder has units // 2 per direction")
    attention_units: int = Field(256, ge=1, description="Bahdanau's scoring layer width (W, U: units -> this)")
    dropout: float = Field(0.2, ge=0.0, lt=1.0, description="dropout on embeddings and before the output layer")

    @model_validator(mode="after")
    def _even_units(self) -> Seq2SeqConfig:
        if self.units % 2:
            raise ValueError(f"units: the bidirectional encoder splits units in two halves; give an even number, "
                             f"got {self.units}")
        return self

    @property
    def encoder_units(self) -> int:
        return self.units // 2
