"""RevIN: statistics against numpy on real ETTh1 windows, the round trip, invariance, weights, config."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.data.series import read_series
from seqlab.errors import ConfigError, ShapeError
from seqlab.layers import RevIN


@pytest.fixture(scope="module")
def x() -> torch.Tensor:
    """Six 96-step windows of ETTh1's 7 channels in original units, (6, 96, 7) float64."""
    df = read_series("etth1")
    values = df[[c for c in df.columns if c != "date"]].to_numpy()[: 6 * 96]
    return torch.tensor(values.reshape(6, 96, 7))


def test_statistics_match_numpy(x):
    mean, std = RevIN(7, eps=1e-5).statistics(x)
    xn = x.numpy()
    np.testing.assert_allclose(mean.numpy(), xn.mean(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(std.numpy(), np.sqrt(xn.var(axis=1, keepdims=True) + 1e-5), rtol=1e-12)
    assert not mean.requires_grad and not std.requires_grad


def test_normalised_channels_have_zero_mean_and_unit_std(x):
    z = RevIN(7, affine=False).double()(x)
    np.testing.assert_allclose(z.mean(dim=1).numpy(), 0.0, atol=1e-10)
    np.testing.assert_allclose(z.std(dim=1, unbiased=False).numpy(), 1.0, atol=1e-3)


@pytest.mark.parametrize("affine", [True, False])
def test_denormalize_inverts_normalize(x, affine):
    revin = RevIN(7, affine=affine).double()
    if affine:
        with torch.no_grad():
            revin.affine_weight.uniform_(0.5, 2.0)
            revin.affine_bias.uniform_(-1.0, 1.0)
    stats = revin.statistics(x)
    torch.testing.assert_close(revin.denormalize(revin.normalize(x, stats), stats), x, rtol=1e-6, atol=1e-6)
    # a subset of channels, in any order (the targets of a forecaster)
    part = x[:, -24:, [6, 2]]
    back = revin.denormalize(revin.normalize(part, stats, channels=[6, 2]), stats, channels=[6, 2])
    torch.testing.assert_close(back, part, rtol=1e-6, atol=1e-6)


def test_normalised_input_ignores_level_and_scale(x):
    revin = RevIN(7).double()
    a = torch.linspace(0.5, 3.0, 7, dtype=torch.float64)
    torch.testing.assert_close(revin(a * x - 40.0), revin(x), rtol=1e-4, atol=1e-4)


def test_gradients_reach_gamma_and_beta_not_the_statistics(x):
    revin = RevIN(7).double()
    xg = x.clone().requires_grad_(True)
    stats = revin.statistics(xg)
    revin.denormalize(revin.normalize(xg, stats)[:, -5:] ** 2, stats).sum().backward()
    assert revin.affine_weight.grad is not None and revin.affine_bias.grad is not None


def test_lazy_build_config_round_trip_and_loading_before_a_call(x):
    lazy = RevIN()
    assert lazy.num_features is None and not list(lazy.parameters())
    lazy(x.float())
    assert lazy.num_features == 7 and lazy.affine_weight.shape == (7,)
    with torch.no_grad():
        lazy.affine_bias.fill_(0.25)
    rebuilt = RevIN(**lazy.get_config())
    assert rebuilt.get_config() == lazy.get_config()
    fresh = RevIN()  # weights arrive before any call: built from their shapes
    fresh.load_state_dict(lazy.state_dict())
    torch.testing.assert_close(fresh(x.float()), lazy(x.float()))


def test_errors_name_the_argument_and_the_shape(x):
    with pytest.raises(ConfigError, match="`eps`"):
        RevIN(7, eps=0)
    with pytest.raises(ConfigError, match="`num_features`"):
        RevIN(0)
    revin = RevIN(7)
    with pytest.raises(ShapeError, match=r"expected input of shape \(B, \?, 7\)"):
        revin(torch.randn(2, 10, 3))
    stats = revin.statistics(x.float())
    with pytest.raises(ShapeError, match=r"\(6, T, 2\)"):
        revin.denormalize(torch.randn(6, 4, 3), stats, channels=[0, 1])
