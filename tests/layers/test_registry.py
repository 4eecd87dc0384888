"""The layer registry: every config name maps to its class, aliases, and the unknown-name error."""

from __future__ import annotations

import doctest

import pytest
import torch

import seqlab.layers as layers
from seqlab.errors import ConfigError
from seqlab.layers import LAYERS, get_layer_class
from seqlab.layers.base import Layer

EXPECTED = {
    "simple_rnn": "SimpleRNN", "simplernn": "SimpleRNN", "rnn": "SimpleRNN", "lstm": "LSTM",
    "gru": "GRU", "dense": "Dense", "embedding": "Embedding", "dropout": "Dropout",
    "flatten": "Flatten", "conv1d": "Conv1D", "max_pooling1d": "MaxPooling1D",
    "average_pooling1d": "AveragePooling1D", "sum_pooling1d": "SumPooling1D",
    "global_max_pooling1d": "GlobalMaxPooling1D",
    "global_average_pooling1d": "GlobalAveragePooling1D", "conv2d": "Conv2D",
    "max_pooling2d": "MaxPooling2D", "average_pooling2d": "AveragePooling2D",
    "temporal_block": "TemporalBlock", "tcn": "TCN", "revin": "RevIN", "moving_average": "MovingAverage",
    "attention_pooling": "AttentionPooling", "token_dropout": "TokenDropout",
    "transformer_encoder": "TransformerEncoder",
}

# the smallest arguments and an input for each class
MINIMAL = {
    "SimpleRNN": ({"units": 3}, (2, 5, 4)), "LSTM": ({"units": 3}, (2, 5, 4)),
    "GRU": ({"units": 3}, (2, 5, 4)), "Dense": ({"units": 3}, (2, 4)),
    "Embedding": ({"input_dim": 10, "output_dim": 3}, None), "Dropout": ({"rate": 0.1}, (2, 4)),
    "Flatten": ({}, (2, 5, 4)), "Conv1D": ({"filters": 3, "kernel_size": 2}, (2, 5, 4)),
    "Conv2D": ({"filters": 3, "kernel_size": 2}, (2, 5, 5, 4)),
    "MaxPooling2D": ({}, (2, 6, 6, 4)), "AveragePooling2D": ({}, (2, 6, 6, 4)),
    "TemporalBlock": ({"filters": 3}, (2, 5, 4)), "TokenDropout": ({"rate": 0.1}, (2, 5, 4)), "TCN": ({"filters": 3, "num_blocks": 2}, (2, 5, 4)),
    "TransformerEncoder": ({"d_model": 8, "num_heads": 2, "num_layers": 1}, (2, 5, 4)),
}


def test_registry_holds_exactly_the_documented_names():
    assert {name: cls.__name__ for name, cls in LAYERS.items()} == EXPECTED


def test_canonical_name_comes_first():
    # model specs write the first name of a class back: it must be the snake_case one
    first = {}
    for name, cls in LAYERS.items():
        first.setdefault(cls, name)
    assert first[layers.SimpleRNN] == "simple_rnn"
    assert sorted(first.values()) == sorted(set(EXPECTED) - {"simplernn", "rnn"})


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_name_builds_a_working_layer(name):
    cls = get_layer_class(name)
    assert cls is LAYERS[name] and issubclass(cls, Layer)
    assert getattr(layers, cls.__name__) is cls and cls.__name__ in layers.__all__
    kwargs, shape = MINIMAL.get(cls.__name__, ({}, (2, 6, 4)))
    layer = cls(**kwargs)
    x = torch.randint(0, 10, (2, 5)) if shape is None else torch.randn(*shape)
    y = layer(x)
    assert y.shape[0] == 2 and torch.isfinite(y).all()


@pytest.mark.parametrize("name, hint", [("lstmm", "lstm"), ("MaxPooling1D", "max_pooling1d"),
                                        ("Conv2D", "conv2d"), ("transformer", "transformer_encoder"),
                                        ("bert", None)])
def test_unknown_name_lists_known_names(name, hint):
    with pytest.raises(ConfigError) as info:
        get_layer_class(name)
    message = str(info.value)
    assert f"unknown layer {name!r}" in message
    assert all(known in message for known in LAYERS)
    assert (f"did you mean {hint!r}" in message) if hint else ("did you mean" not in message)


def test_docstring_examples_run():
    result = doctest.testmod(layers)
    assert result.attempted >= 1 and result.failed == 0
