"""seqlab's layers, and ``LAYERS``: the names a model config uses for them.

A config names layers in snake_case (``{lstm: {units: 50}}``, ``{max_pooling1d: {}}``).
The first name of each class is its canonical one, written back when a model is saved;
later names are aliases (``simplernn``, ``rnn``).
"""

from __future__ import annotations

import difflib

from seqlab.errors import ConfigError
from seqlab.layers.attention import AttentionPooling, TransformerEncoder
from seqlab.layers.base import Layer
from seqlab.layers.conv import Conv1D, Conv2D
from seqlab.layers.core import Dense, Dropout, Embedding, Flatten, TokenDropout
from seqlab.layers.decomposition import MovingAverage
from seqlab.layers.normalization import RevIN
from seqlab.layers.pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                                   GlobalMaxPooling1D, MaxPooling1D, MaxPooling2D, SumPooling1D)
from seqlab.layers.recurrent import GRU, LSTM, SimpleRNN
from seqlab.layers.tcn import TCN, TemporalBlock

LAYERS: dict[str, type[Layer]] = {
    "simple_rnn": SimpleRNN,
    "simplernn": SimpleRNN,
    "rnn": SimpleRNN,
    "lstm": LSTM,
    "gru": GRU,
    "dense": Dense,
    "embedding": Embedding,
    "dropout": Dropout,
    "flatten": Flatten,
    "conv1d": Conv1D,
    "max_pooling1d": MaxPooling1D,
    "average_pooling1d": AveragePooling1D,
    "sum_pooling1d": SumPooling1D,
    "global_max_pooling1d": GlobalMaxPooling1D,
    "global_average_pooling1d": GlobalAveragePooling1D,
    "conv2d": Conv2D,
    "max_pooling2d": MaxPooling2D,
    "average_pooling2d": AveragePooling2D,
    "temporal_block": TemporalBlock,
    "tcn": TCN,
    "revin": RevIN,
    "moving_average": MovingAverage,
    "attention_pooling": AttentionPooling,
    "token_dropout": TokenDropout,
    "transformer_encoder": TransformerEncoder,
}


def get_layer_class(name: str) -> type[Layer]:
    """The layer class registered as ``name``; a ConfigError lists the known names otherwise.

    Example:
        >>> get_layer_class("max_pooling1d").__name__
        'MaxPooling1D'
    """
    if isinstance(name, str) and name in LAYERS:
        return LAYERS[name]
    # a Keras class name ("MaxPooling1D") or a typo: point at the registered spelling
    squash = {key.replace("_", ""): key for key in LAYERS}
    guess = squash.get(str(name).lower().replace("_", "")) or next(
        iter(difflib.get_close_matches(str(name).lower(), LAYERS, n=1)), None)
    hint = f" (did you mean {guess!r}?)" if guess else ""
    raise ConfigError(f"unknown layer {name!r}{hint}. Known layers: {', '.join(LAYERS)}")


__all__ = [
    "LAYERS", "get_layer_class", "Layer",
    "SimpleRNN", "LSTM", "GRU",
    "Dense", "Embedding", "Dropout", "Flatten",
    "Conv1D", "Conv2D", "MaxPooling1D", "AveragePooling1D", "SumPooling1D",
    "GlobalMaxPooling1D", "GlobalAveragePooling1D", "MaxPooling2D", "AveragePooling2D",
    "TemporalBlock", "TCN", "RevIN", "MovingAverage", "AttentionPooling", "TokenDropout",
    "TransformerEncoder",
]
