"""What a text classifier is asked to do (``TextShape``) and how it is built (``ClassifierConfig``).

``TextShape`` comes from the data (vocabulary size, number of classes); ``ClassifierConfig``
from the user (model name and hyperparameters). Fields left at ``None`` take the model's
default from :data:`MODEL_DEFAULTS`; ``ClassifierConfig.resolved()`` fills them in.

=========  ===========================================================  ==========  =========
model      network                                                      units       pooling
=========  ===========================================================  ==========  =========
lstm       Embedding -> LSTM -> Dense (the seeds' sentiment model)      128         last
gru        Embedding -> GRU -> Dense                                    128         last
rnn        Embedding -> SimpleRNN x2 -> Dense (the seeds' stacked RNN)  128         last
bilstm     Embedding -> BiLSTM -> pooling -> Dense                      128/dir     max
bigru      Embedding -> BiGRU -> pooling -> Dense                       128/dir     max
cnn        Kim 2014: Conv1D 3/4/5-grams, max over time -> Dense         100/kernel  max
cnn-lstm   Embedding -> Conv1D(5-grams) -> BiLSTM -> pooling -> Dense   128/dir     max
=========  ===========================================================  ==========  =========

Every model has an embedding of ``embed_dim`` (128; Keras' uniform init in [-0.05, 0.05], which
learns from a few thousand texts where torch's N(0, 1) init did not in the tests' three epochs),
token dropout on it (``embed_dropout``, 0.1: whole words dropped) and dropout before the output
layer (``dropout``, 0.5). ``pooling`` is one of ``last``
(the final state of each direction), ``mean``, ``max`` or ``attention`` (additive attention,
``seqlab.layers.AttentionPooling``); the cnn always pools by max over time. The output layer
gives one logit per class: for two classes a softmax over two logits, which equals the seeds'
Dense(1, sigmoid) output.

Example:
    >>> c = ClassifierConfig(name="bilstm").resolved()
    >>> c.units, c.pooling, c.bidirectional, c.num_layers
    (128, 'max', True, 1)
    >>> ClassifierConfig(name="rnn").resolved().num_layers
    2
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, model_validator

from seqlab.configbase import Strict

ModelName = Literal["lstm", "gru", "rnn", "bilstm", "bigru", "cnn", "cnn-lstm"]
MODEL_NAMES: tuple[str, ...] = ModelName.__args__
Pooling = Literal["last", "mean", "max", "attention"]

# name -> (cell, bidirectional, num_layers, pooling)
MODEL_DEFAULTS: dict[str, dict] = {
    "lstm": {"cell": "lstm", "bidirectional": False, "num_layers": 1, "pooling": "last"},
    "gru": {"cell": "gru", "bidirectional": False, "num_layers": 1, "pooling": "last"},
    "rnn": {"cell": "rnn", "bidirectional": False, "num_layers": 2, "pooling": "last"},
    "bilstm": {"cell": "lstm", "bidirectional": True, "num_layers": 1, "pooling": "max"},
    "bigru": {"cell": "gru", "bidirectional": True, "num_layers": 1, "pooling": "max"},
    "cnn": {"cell": None, "bidirectional": False, "num_layers": 1, "pooling": "max"},
    "cnn-lstm": {"cell": "lstm", "bidirectional": True, "num_layers": 1, "pooling": "max"},
}


@dataclass(frozen=True)
class TextShape:
    """The sizes the data fixes: ``vocab_size`` token ids (0 is padding) and ``num_classes``."""

    vocab_size: int
    num_classes: int


class ClassifierConfig(Strict):
    """A text classifier: its name and hyperparameters (None = the model's default)."""

    name: ModelName = Field(description="the network; see the table in the module docstring")
    embed_dim: int = Field(128, ge=1, description="size of each token vector")
    units: int = Field(128, ge=1, description="recurrent units per direction")
    num_layers: int | None = Field(None, ge=1, description="stacked recurrent layers")
    bidirectional: bool | None = Field(None, description="read the text both ways")
    pooling: Pooling | None = Field(None, description="how the step outputs become one vector")
    dropout: float = Field(0.5, ge=0.0, lt=1.0, description="dropout before the output layer")
    embed_dropout: float = Field(0.1, ge=0.0, lt=1.0, description="probability of dropping a whole token")
    filters: int = Field(100, ge=1, description="filters per kernel size (cnn), or of the conv layer (cnn-lstm)")
    kernel_sizes: list[int] = Field(default_factory=lambda: [3, 4, 5], description="n-gram widths (cnn)")

    @model_validator(mode="after")
    def _combination(self) -> ClassifierConfig:
        if self.name == "cnn" and self.pooling not in (None, "max"):
            raise ValueError(f"pooling: the cnn pools by max over time, got {self.pooling!r}")
        if not self.kernel_sizes or any(k < 1 for k in self.kernel_sizes):
            raise ValueError(f"kernel_sizes must be positive integers, got {self.kernel_sizes}")
        return self

    def resolved(self) -> ClassifierConfig:
        """A copy with every None replaced by the model's default."""
        defaults = MODEL_DEFAULTS[self.name]
        update = {k: defaults[k] for k in ("num_layers", "bidirectional", "pooling") if getattr(self, k) is None}
        return self.model_copy(update=update)

    @property
    def cell(self) -> str | None:
        return MODEL_DEFAULTS[self.name]["cell"]
