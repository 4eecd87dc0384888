"""Weights exist from construction and survive a safetensors round trip into a fresh model."""

from __future__ import annotations

import pytest
import torch

from seqlab.models.forecast import BASELINES, MODEL_NAMES, ForecasterConfig, ForecastShape, build_forecaster
from seqlab.models.io import load_weights, save_tensors

SHAPE = ForecastShape(lookback=24, horizon=6, n_inputs=3, target_idx=(2, 0), n_marks=2, season=12)
VARIANTS = [  # (name, extra config): each trainable model with RevIN, and the other options
    *[(name, {"revin": True}) for name in MODEL_NAMES if name not in BASELINES],
    ("segrnn", {"channel_independent": False}), ("lstm", {"cycle": 12, "highway": True}), ("linear", {"individual": True}),
    ("dlinear", {"individual": True}), ("tcn", {"weight_norm": True}), ("lstm", {"channel_independent": True}),
    ("seq2seq", {"cell": "lstm"}),
]


def build(name: str, extra: dict, seed: int):
    torch.manual_seed(seed)
    sized = {"hidden": 8} if name in ("lstm", "gru", "rnn", "stacked-lstm", "cnn", "tcn", "seq2seq", "segrnn") else {}
    return build_forecaster(ForecasterConfig(name=name, **sized, **extra), SHAPE)


def inputs(B: int = 4):
    g = torch.Generator().manual_seed(1)
    return {"x": torch.randn(B, SHAPE.lookback, 3, generator=g),
            "marks": torch.randn(B, SHAPE.lookback + SHAPE.horizon, 2, generator=g), "tau": torch.arange(B) * 5}


@pytest.mark.parametrize("name, extra", VARIANTS, ids=[f"{n}-{'-'.join(e)}" for n, e in VARIANTS])
def test_weights_round_trip_through_safetensors(name, extra, tmp_path):
    net = build(name, extra, seed=0)
    keys_before = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    with torch.no_grad():  # not the initial values (linear models start from a fixed init)
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    y = net.eval()(inputs())
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == keys_before, "a forward call created weights"

    save_tensors(tmp_path / "weights.safetensors", net.state_dict())
    fresh = build(name, extra, seed=1).eval()
    assert not torch.allclose(fresh(inputs()), y)
    load_weights(fresh, tmp_path / "weights.safetensors")  # strict: every key, every shape
    torch.testing.assert_close(fresh(inputs()), y, rtol=0, atol=0)


@pytest.mark.parametrize("name", BASELINES)
def test_baselines_have_no_weights(name):
    net = build_forecaster(ForecasterConfig(name=name), SHAPE)
    assert net.state_dict() == {} and not net.trainable
