"""Core layers: torch.nn equivalence, masks, Embedding's range check, config round trips, errors."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import seqlab.layers.core as core
from seqlab.errors import ConfigError, DataError, ShapeError
from seqlab.layers import LSTM
from seqlab.layers.pooling import GlobalAveragePooling1D
from seqlab.layers.core import Dense, Dropout, Embedding, Flatten

B, T, D = 3, 6, 4
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# -- Dense --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(B, D), (B, T, D), (B, 2, T, D)])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_equals_nn_linear_on_any_rank(shape, use_bias):
    torch.manual_seed(0)
    ref = nn.Linear(D, 5, bias=use_bias).double()
    layer = Dense(5, use_bias=use_bias)
    layer.load_state_dict(ref.state_dict())  # before the first call: built from the weight's shape
    layer.double()
    x = randn(*shape)
    assert layer(x).shape == shape[:-1] + (5,)
    assert torch.allclose(layer(x), ref(x))
    # and back: the seqlab weights load into torch.nn
    ref2 = nn.Linear(D, 5, bias=use_bias).double()
    ref2.load_state_dict(layer.state_dict())
    assert torch.allclose(ref2(x), layer(x))


def test_dense_built_at_first_call_then_loads_torch_weights():
    layer = Dense(3, activation="tanh")
    x = randn(B, T, D)
    layer(x)  # builds in float64 from x
    assert layer.weight.shape == (3, D) and layer.weight.dtype == torch.float64
    ref = nn.Linear(D, 3).double()
    layer.load_state_dict(ref.state_dict())
    assert torch.allclose(layer(x), torch.tanh(ref(x)))


def test_dense_softmax_activation_normalises_last_axis():
    y = Dense(4, activation="softmax")(randn(B, T, D))
    assert torch.allclose(y.sum(-1), torch.ones(B, T, dtype=y.dtype))


def test_dense_passes_a_time_mask_on_for_3d_inputs_only():
    mask = torch.tensor([[True] * T, [True] * 3 + [False] * 3, [False] * T])
    seq, flat = Dense(2), Dense(2)
    x = randn(B, T, D)
    assert torch.equal(seq.compute_mask(x, mask), mask)
    assert flat.compute_mask(randn(B, D), None) is None
    assert flat.compute_mask(randn(B, D), mask[:, 0]) is None


def test_dense_rejects_wrong_feature_size_and_rank():
    layer = Dense(2)
    layer(randn(B, T, D))
    with pytest.raises(ShapeError, match=r"Dense.*\(B, \.\.\., 4\).*\(3, 6, 5\)"):
        layer(randn(B, T, 5))
    with pytest.raises(ShapeError, match=r"Dense.*\(5,\)"):
        Dense(2)(randn(5))


# -- Embedding ------------------------------------------------------------------------------------
def shakespeare_ids(B: int = 4, T: int = 40) -> torch.Tensor:
    """The first B*T bytes of tinyshakespeare as character ids (ASCII): (B, T) int64."""
    with open(DATA / "text" / "tinyshakespeare.txt", "rb") as f:
        raw = f.read(B * T)
    return torch.tensor(list(raw)).reshape(B, T)


def test_embedding_equals_nn_embedding_both_ways():
    torch.manual_seed(0)
    ref = nn.Embedding(128, 5).double()
    layer = Embedding(128, 5)
    layer.load_state_dict(ref.state_dict())
    layer.double()
    x = shakespeare_ids()
    assert layer(x).shape == (4, 40, 5)
    assert torch.equal(layer(x), ref(x))
    assert torch.equal(layer(x.int()), ref(x))  # int32 ids work too
    back = nn.Embedding(128, 5).double()
    back.load_state_dict(layer.state_dict())
    assert torch.equal(back(x), layer(x))


def test_embedding_padding_row_is_zero_and_gets_no_gradient():
    layer = Embedding(10, 4, padding_idx=0)
    assert torch.equal(layer.weight[0], torch.zeros(4))
    assert layer.weight[1:].abs().max() <= 0.05 and layer.weight[1:].abs().max() > 0  # Keras' U(-0.05, 0.05)
    x = torch.tensor([[3, 0, 0], [0, 2, 0]])
    layer(x).sum().backward()
    assert torch.equal(layer.weight.grad[0], torch.zeros(4))
    assert torch.equal(layer.weight.grad[3], torch.ones(4))


def test_embedding_mask_marks_the_padding_and_reaches_the_next_layer():
    emb = Embedding(12, 4, padding_idx=0).double()
    x = torch.tensor([[5, 7, 3, 0, 0], [9, 0, 0, 0, 0], [1, 2, 3, 4, 11]])
    mask = emb.compute_mask(x, None)
    assert mask.dtype == torch.bool
    assert mask.tolist() == (x != 0).tolist()
    assert Embedding(12, 4).compute_mask(x, None) is None  # no padding_idx, no mask
    # the mask makes global pooling and an LSTM ignore the padding: same as the unpadded rows
    e = emb(x)
    pooled = GlobalAveragePooling1D()(e, mask)
    lstm = LSTM(3, backend="reference").double()
    last = lstm(e, mask)
    for i, n in enumerate(mask.sum(1).tolist()):
        assert torch.allclose(pooled[i], e[i, :n].mean(0))
        assert torch.allclose(last[i], lstm(e[i:i + 1, :n])[0])


@pytest.mark.parametrize("bad, shown", [(12, "12"), (40, "40"), (-1, "-1")])
def test_embedding_out_of_range_index_names_layer_index_and_input_dim(bad, shown):
    layer = Embedding(12, 4, name="tokens")
    x = torch.tensor([[1, 2, bad], [0, 3, 4]])
    with pytest.raises(DataError, match=rf"layer 'tokens' \(Embedding\): index {shown} .*input_dim=12"):
        layer(x)
    # real text: the byte ids of the first lines reach 'z' (122), past a table of 100 rows
    with pytest.raises(DataError, match=r"Embedding: index 122 is out of range for input_dim=100"):
        Embedding(100, 4)(shakespeare_ids())


def test_embedding_rejects_float_ids():
    with pytest.raises(DataError, match="Embedding expects integer token indices"):
        Embedding(12, 4)(torch.ones(2, 3))


# -- Dropout, Flatten --------------------------------------------------------------------------
def test_dropout_drops_at_rate_and_rescales_in_training_only():
    layer = Dropout(0.25)
    x = torch.ones(200, 100, dtype=torch.float64)
    torch.manual_seed(0)
    y = layer(x)
    dropped = (y == 0).double().mean().item()
    assert abs(dropped - 0.25) < 0.02
    assert torch.allclose(y[y != 0], torch.full_like(y[y != 0], 1 / 0.75))
    assert torch.equal(layer.eval()(x), x)
    assert torch.equal(Dropout(0.0)(x), x)
    mask = torch.rand(200, 100) > 0.5
    assert layer.compute_mask(x[..., None], mask) is mask


def test_flatten_is_channels_last_c_order_and_drops_mask():
    x = randn(2, 3, 4, 5)
    y = Flatten()(x)
    assert y.shape == (2, 60)
    assert np.array_equal(y.numpy(), x.numpy().reshape(2, -1))
    assert Flatten()(randn(7)).shape == (7, 1)
    assert Flatten().compute_mask(x, torch.ones(2, 3, dtype=torch.bool)) is None
    layer = Flatten()
    layer(randn(2, 3, 4))
    assert layer(randn(5, 8, 4)).shape == (5, 32)  # sizes may change, the rank may not
    with pytest.raises(ShapeError, match="Flatten"):
        layer(randn(2, 3))


# -- config and errors -------------------------------------------------------------------------
CASES = [
    (lambda: Dense(5, activation="relu", use_bias=False, name="head"), lambda: randn(B, T, D)),
    (lambda: Embedding(30, 6, padding_idx=2), lambda: torch.randint(0, 30, (B, T))),
    (lambda: Dropout(0.3), lambda: randn(B, T, D)),
    (lambda: Flatten(), lambda: randn(B, T, D)),
]


@pytest.mark.parametrize("make, data", CASES)
def test_get_config_round_trips_through_json(make, data):
    layer = make()
    config = json.loads(json.dumps(layer.get_config()))
    again = type(layer)(**config)
    assert again.get_config() == layer.get_config()
    x = data()
    assert again(x).shape == layer(x).shape
    assert sorted(n for n, _ in again.named_parameters()) == sorted(n for n, _ in layer.named_parameters())


@pytest.mark.parametrize("make, arg", [
    (lambda: Dense(0), "units"),
    (lambda: Dense(2.5), "units"),
    (lambda: Dense(3, activation="relux"), "activation"),
    (lambda: Embedding(0, 4), "input_dim"),
    (lambda: Embedding(10, -1), "output_dim"),
    (lambda: Embedding(10, 4, padding_idx=10), "padding_idx"),
    (lambda: Embedding(10, 4, padding_idx=-1), "padding_idx"),
    (lambda: Dropout(1.0), "rate"),
    (lambda: Dropout(-0.1), "rate"),
])
def test_bad_arguments_raise_config_error_naming_them(make, arg):
    with pytest.raises(ConfigError, match=arg):
        make()


def test_docstring_examples_run():
    result = doctest.testmod(core)
    assert result.attempted >= 4 and result.failed == 0
