"""Behaviour of the models and of the Forecaster around them: RevIN, channel independence,
teacher forcing, size errors. Inputs are windows of the real ETTh1 slice."""

from __future__ import annotations

import pytest
import torch

from seqlab.errors import ConfigError, ShapeError
from seqlab.models.forecast import ForecasterConfig, ForecastShape, build_forecaster

L, H = 48, 12
SHAPE = ForecastShape(L, H, n_inputs=7, target_idx=(6, 0), season=24)
SMALL = {"hidden": 8}


@pytest.fixture(scope="module")
def x(etth1) -> torch.Tensor:
    """8 real windows (B, L, 7), float64."""
    X, _ = etth1.windows("train", L, H, [6, 0])
    return torch.from_numpy(X[:800:100]).double()


def build(name: str, shape: ForecastShape = SHAPE, **kw):
    torch.manual_seed(0)
    sized = SMALL if name not in ("linear", "dlinear") else {}
    return build_forecaster(ForecasterConfig(name=name, **{**sized, **kw}), shape).double().eval()


# -- RevIN ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, kw", [("lstm", {}), ("cnn", {}), ("tcn", {}), ("segrnn", {}), ("dlinear", {}),
                                      ("seq2seq", {}), ("gru", {"channel_independent": True})])
def test_revin_forecast_follows_a_shift_and_scale_of_each_series(name, kw, x):
    net = build(name, revin=True, **kw)
    with torch.no_grad():  # a trained-looking affine map, not the identity
        net.revin.affine_weight.uniform_(0.5, 2.0)
        net.revin.affine_bias.uniform_(-1.0, 1.0)
    a = torch.linspace(0.5, 4.0, 7, dtype=torch.float64)  # one scale and shift per channel
    b = torch.linspace(-20.0, 30.0, 7, dtype=torch.float64)
    targets = list(SHAPE.target_idx)
    # f(a x + b) = a f(x) + b, channel by channel: the forecast does not see level or scale
    # (up to the ε that RevIN adds to the variance, which does not scale with a)
    torch.testing.assert_close(net(a * x + b), a[targets] * net(x) + b[targets], rtol=1e-4, atol=1e-5)


def test_without_revin_the_forecast_depends_on_the_level(x):
    net = build("lstm", revin=False)
    assert not torch.allclose(net(x + 10.0), net(x) + 10.0, atol=1e-3)


@pytest.mark.parametrize("name", ["linear", "segrnn"])
def test_last_value_normalisation_makes_the_forecast_shift_equivariant(name, x):
    net = build(name)  # NLinear and SegRNN subtract the last value and add it back
    torch.testing.assert_close(net(x + 7.5), net(x) + 7.5, rtol=1e-9, atol=1e-9)


# -- channel independence ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["lstm", "cnn", "tcn", "seq2seq", "segrnn"])
def test_channel_independent_forecast_reads_only_its_own_channel(name, x):
    net = build(name, channel_independent=True)
    x2 = x.clone()
    x2[..., 0] += torch.randn_like(x2[..., 0])  # target channel 0 is output 1
    x2[..., 3] += 5.0  # not a target: no effect at all
    y, y2 = net(x), net(x2)
    torch.testing.assert_close(y2[..., 0], y[..., 0], rtol=0, atol=0)  # target 6 is untouched
    assert not torch.allclose(y2[..., 1], y[..., 1])


def test_channel_independent_weights_are_shared_by_channels(x):
    net = build("gru", channel_independent=True)
    swapped = build_forecaster(ForecasterConfig(name="gru", channel_independent=True, **SMALL),
                               ForecastShape(L, H, 7, target_idx=(0, 6))).double().eval()
    swapped.load_state_dict(net.state_dict())
    torch.testing.assert_close(swapped(x), net(x).flip(-1))


def test_channel_mixing_forecast_reads_every_channel(x):
    net = build("lstm", channel_independent=False)
    x2 = x.clone()
    x2[..., 3] += 1.0
    assert not torch.allclose(net(x2), net(x))


def test_segrnn_channel_embedding_tells_channels_apart(x):
    net = build("segrnn", shape=ForecastShape(L, H, 7, target_idx=(0, 1)))
    same = x[..., [0, 0, 2, 3, 4, 5, 6]]  # the same series in channels 0 and 1
    y = net(same)
    assert not torch.allclose(y[..., 0], y[..., 1])


# -- seq2seq teacher forcing ---------------------------------------------------------------------

def test_seq2seq_reads_teacher_targets_only_in_training(x):
    net = build("seq2seq", teacher_forcing=1.0)
    y1 = torch.randn(len(x), H, 2, dtype=torch.float64)
    y2 = y1 + 1.0
    net.eval()
    free = net(x)
    torch.testing.assert_close(net({"x": x, "y": y1}), free, rtol=0, atol=0)
    net.train()
    forced1, forced2 = net({"x": x, "y": y1}), net({"x": x, "y": y2})
    torch.testing.assert_close(forced1[:, 0], free[:, 0])  # step 1 reads the last observed value
    assert not torch.allclose(forced1[:, 1:], forced2[:, 1:])  # later steps read y
    torch.testing.assert_close(net(x), free)  # no y: autoregressive in training too


def test_seq2seq_without_teacher_forcing_ignores_y(x):
    net = build("seq2seq", teacher_forcing=0.0).train()
    y = torch.randn(len(x), H, 2, dtype=torch.float64)
    torch.testing.assert_close(net({"x": x, "y": y}), net({"x": x, "y": y + 3.0}), rtol=0, atol=0)


# -- sizes and errors ----------------------------------------------------------------------------

def test_segrnn_seg_len_must_divide_the_lookback():
    with pytest.raises(ConfigError, match=r"`seg_len`=10 must divide the lookback 48") as info:
        build("segrnn", seg_len=10)
    assert "[1, 2, 3, 4, 6, 8, 12, 16, 24, 48]" in str(info.value)
    with pytest.raises(ConfigError, match="`seg_len`=96"):
        build("segrnn", seg_len=96)


def test_segrnn_hidden_must_be_even_when_channel_independent():
    with pytest.raises(ConfigError, match="`hidden`=9 must be even"):
        build("segrnn", hidden=9)
    build("segrnn", hidden=9, channel_independent=False)  # no channel embedding: any size


def test_cnn_needs_enough_steps_to_pool():
    with pytest.raises(ConfigError, match=r"lookback 6 .* `layers`=3 .* `pool_size`=2"):
        build("cnn", shape=ForecastShape(6, 2, 1, (0,)), layers=3)


def test_tcn_default_depth_covers_the_lookback():
    for lookback in (24, 48, 96, 336):
        net = build("tcn", shape=ForecastShape(lookback, 4, 1, (0,)))
        rf = net.core.receptive_field
        assert rf >= lookback and (rf - 1) // 2 + 1 < lookback  # one block fewer would not cover it


def test_stacked_lstm_is_a_two_layer_lstm():
    net = build("stacked-lstm")
    assert net.core.encoder.num_layers == 2 and type(net.core.encoder).__name__ == "LSTM"


@pytest.mark.parametrize("bad, message", [
    (torch.randn(2, 47, 7), r"inputs\['x'\] must have shape \(B, L, C\) = \(B, 48, 7\), got \(2, 47, 7\)"),
    ({"x": torch.randn(2, 48, 7), "target": None}, "may hold 'marks' and 'y'"),
    ([torch.randn(2, 48, 7)], "expected a tensor x or a dict"),
])
def test_input_errors_say_what_is_expected(bad, message):
    with pytest.raises(ShapeError, match=message):
        build("linear")(bad)


def test_models_with_marks_require_them():
    net = build("lstm", shape=ForecastShape(L, H, 7, (6,), n_marks=3))
    with pytest.raises(ShapeError, match=r"n_marks=3 .* \(B, 60, 3\)"):
        net(torch.randn(2, L, 7, dtype=torch.float64))
    with pytest.raises(ShapeError, match=r"inputs\['marks'\] must have shape"):
        net({"x": torch.randn(2, L, 7, dtype=torch.float64), "marks": torch.randn(2, L, 3, dtype=torch.float64)})
