"""The parameter-free baselines against hand-computed numpy forecasts on real ETTh1 rows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.data.series import make_windows
from seqlab.errors import ConfigError
from seqlab.models.forecast import ForecasterConfig, ForecastShape, build_forecaster

L, H = 48, 30  # a horizon longer than the season: the last season repeats
TARGETS = [6, 0, 3]


@pytest.fixture(scope="module")
def windows(etth1):
    """Windows of the first 600 rows in original units: X (n, L, 7), float64."""
    X, _ = make_windows(etth1.raw[:600], L, H, list(range(7)), TARGETS)
    return X.astype(np.float64)


def forecast(name: str, X: np.ndarray, data_season: int | None = 24, **kw) -> np.ndarray:
    shape = ForecastShape(L, H, n_inputs=7, target_idx=tuple(TARGETS), season=data_season)
    net = build_forecaster(ForecasterConfig(name=name, **kw), shape)
    with torch.no_grad():
        return net(torch.from_numpy(X)).numpy()


def test_naive_repeats_the_last_value(windows):
    expected = np.repeat(windows[:, -1:, TARGETS], H, axis=1)
    np.testing.assert_array_equal(forecast("naive", windows), expected)


def test_mean_repeats_the_lookback_mean(windows):
    expected = np.repeat(windows[:, :, TARGETS].mean(axis=1, keepdims=True), H, axis=1)
    np.testing.assert_allclose(forecast("mean", windows), expected, rtol=1e-12)


@pytest.mark.parametrize("season", [24, 7, 48, 1])
def test_seasonal_naive_repeats_the_last_season(windows, season):
    expected = np.empty((len(windows), H, len(TARGETS)))
    for h in range(H):  # step h+1 repeats the value one (or more) whole seasons before it
        back = season * (h // season + 1)
        expected[:, h] = windows[:, L + h - back][:, TARGETS]
    np.testing.assert_array_equal(forecast("seasonal-naive", windows, data_season=season), expected)


def test_seasonal_naive_config_season_overrides_the_data(windows):
    np.testing.assert_array_equal(forecast("seasonal-naive", windows, data_season=24, season=12),
                                  forecast("seasonal-naive", windows, data_season=12))


def test_seasonal_naive_with_season_1_is_naive(windows):
    np.testing.assert_array_equal(forecast("seasonal-naive", windows, data_season=1), forecast("naive", windows))


def test_seasonal_naive_needs_a_season_within_the_lookback():
    with pytest.raises(ConfigError, match="needs a seasonal period: set `season`"):
        forecast("seasonal-naive", np.zeros((1, L, 7)), data_season=None)
    with pytest.raises(ConfigError, match="`season`=49 is longer than the lookback 48"):
        forecast("seasonal-naive", np.zeros((1, L, 7)), data_season=49)
