"""How a language model is built (``LMConfig``); the vocabulary size comes from the data.

=====  ===========================================================  =====  ======  =====
model  network                                                      units  layers  embed
=====  ===========================================================  =====  ======  =====
lstm   Embedding -> stacked LSTM (stateful) -> Dropout -> Dense(V)  512    2       64
gru    Embedding -> stacked GRU (stateful) -> Dropout -> Dense(V)   512    2       64
=====  ===========================================================  =====  ======  =====

``dropout`` acts between the recurrent layers and before the output layer (Zaremba et al. 2014,
"Recurrent Neural Network Regularization": dropout on the non-recurrent connections only).

Example:
    >>> c = LMConfig(name="gru", units=256)
    >>> c.units, c.num_layers, c.embed_dim
    (256, 2, 64)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from seqlab.configbase import Strict

LMName = Literal["lstm", "gru"]
LM_NAMES: tuple[str, ...] = LMName.__args__


class LMConfig(Strict):
    """A recurrent language model: its cell and sizes."""

    name: LMName = Field(description="the recurrent cell: lstm or gru")
    embed_dim: int = Field(64, ge=1, description="size of each token vector")
    units: int = Field(512, ge=1, description="units of each recurrent layer")
    num_layers: int = Field(2, ge=1, description="stacked recurrent layers")
    dropout: float = Field(0.2, ge=0.0, lt=1.0, description="dropout between layers and before the output layer")
    backend: Literal["auto", "reference", "fused", "torch", "native"] = Field(
        "auto", description="the recurrent layer's execution path (seqlab.layers.recurrent)")
