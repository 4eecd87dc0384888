"""Forecast metrics on ETTh1 windows, against torchmetrics, pandas, plain numpy and hand sums."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from torchmetrics.functional import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    symmetric_mean_absolute_percentage_error,
)

from seqlab.data.series import StandardScaler, ett_borders, make_windows, read_series
from seqlab.errors import ConfigError, DataError, ShapeError
from seqlab.tasks.forecasting.metrics import MAPE_EPS, forecast_metrics, naive_scale, per_channel, per_horizon

COLUMNS = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]
L, H = 96, 24


@pytest.fixture(scope="module")
def etth1() -> np.ndarray:
    return read_series("etth1", columns=COLUMNS)[COLUMNS].to_numpy()  # (17420, 7)


def _naive_windows(values: np.ndarray, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Test windows of rows [start, end) and the repeat-the-last-value forecast of each."""
    X, Y = make_windows(values[start:end], L, H, list(range(7)), list(range(7)))  # (n, L, 7), (n, H, 7)
    return Y, np.repeat(X[:, -1:, :], H, axis=1)  # (n, H, 7) each


@pytest.fixture(scope="module")
def raw_test(etth1):
    """ETT test split in original units: (y_true, y_pred, y_train)."""
    (tr0, tr1), _, (te0, te1) = ett_borders(len(etth1), L)
    y_true, y_pred = _naive_windows(etth1, te0, te1)
    return y_true.astype(np.float64), y_pred.astype(np.float64), etth1[tr0:tr1]


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))


# ----------------------------------------------------------------------------------------------
# Against independent computations on real data


def test_mse_mae_on_standardised_ett_windows_equal_the_flattened_mean(etth1):
    (tr0, tr1), _, (te0, te1) = ett_borders(len(etth1), L)
    z = StandardScaler().fit(etth1[tr0:tr1]).transform(etth1)
    y_true, y_pred = _naive_windows(z, te0, te1)
    assert y_true.shape == (te1 - te0 - L - H + 1, H, 7)

    m = forecast_metrics(y_true, y_pred)
    diff = (y_true.astype(np.float64) - y_pred.astype(np.float64)).ravel()
    assert m["mse"] == pytest.approx(np.mean(diff**2), rel=1e-12)
    assert m["mae"] == pytest.approx(np.mean(np.abs(diff)), rel=1e-12)
    assert m["rmse"] == pytest.approx(math.sqrt(np.mean(diff**2)), rel=1e-12)
    # the repeat-last forecast is a weak but sane baseline on standardised ETTh1
    assert 0.3 < m["mse"] < 3.0


def test_against_torchmetrics_on_raw_ett(raw_test):
    y_true, y_pred, _ = raw_test
    m = forecast_metrics(y_true, y_pred)
    assert m["mse"] == pytest.approx(mean_squared_error(_t(y_pred), _t(y_true)).item(), rel=1e-10)
    assert m["mae"] == pytest.approx(mean_absolute_error(_t(y_pred), _t(y_true)).item(), rel=1e-10)
    # ETTh1 values are multiples of 0.001, so |y| + |ŷ| is 0 or >= 0.001: torchmetrics' clamp
    # of the denominator only acts at 0/0, where both give 0
    smape_tm = 100 * symmetric_mean_absolute_percentage_error(_t(y_pred), _t(y_true)).item()
    assert m["smape"] == pytest.approx(smape_tm, rel=1e-10)


def test_mape_leaves_out_zero_actuals_and_matches_torchmetrics_on_the_rest(raw_test):
    y_true, y_pred, _ = raw_test
    keep = np.abs(y_true) > MAPE_EPS
    assert (~keep).sum() > 0, "ETTh1's test split has exact zeros: the case this test is about"
    m = forecast_metrics(y_true, y_pred)
    expected = 100 * mean_absolute_percentage_error(_t(y_pred[keep]), _t(y_true[keep])).item()
    assert m["mape"] == pytest.approx(expected, rel=1e-10)
    assert math.isfinite(m["mape"])


def test_mase_scale_matches_pandas_seasonal_differences(raw_test):
    y_true, y_pred, y_train = raw_test
    for season in (1, 24):
        scale = pd.DataFrame(y_train).diff(season).abs().mean().to_numpy()  # NaN rows skipped
        np.testing.assert_allclose(naive_scale(y_train, season), scale, rtol=1e-12)
        mae_c = np.abs(y_true - y_pred).mean(axis=(0, 1))
        m = forecast_metrics(y_true, y_pred, y_train=y_train, season=season)
        assert m["mase"] == pytest.approx(np.mean(mae_c / scale), rel=1e-12)


@pytest.mark.parametrize("season", [1, 24])
def test_seasonal_naive_in_sample_has_mase_one(etth1, season):
    """The seasonal-naive forecast scored on its own training rows is the MASE scale: MASE = 1."""
    y_train = etth1[:8640]
    y_true = y_train[season:, None, :]  # (N - m, 1, 7)
    y_pred = y_train[:-season, None, :]
    assert forecast_metrics(y_true, y_pred, y_train=y_train, season=season)["mase"] == pytest.approx(1.0, rel=1e-12)
    by_channel = per_channel(y_true, y_pred, columns=COLUMNS, y_train=y_train, season=season)
    assert [round(v["mase"], 12) for v in by_channel.values()] == [1.0] * 7


def test_per_horizon_against_loops(raw_test):
    y_true, y_pred, _ = raw_test
    out = per_horizon(y_true, y_pred)
    assert out["mse"].shape == out["mae"].shape == (H,)
    for h in (0, 11, H - 1):
        err = (y_true[:, h, :] - y_pred[:, h, :]).ravel()
        assert out["mse"][h] == pytest.approx(np.mean(err**2), rel=1e-12)
        assert out["mae"][h] == pytest.approx(np.mean(np.abs(err)), rel=1e-12)
    assert out["mse"].mean() == pytest.approx(forecast_metrics(y_true, y_pred)["mse"], rel=1e-12)
    assert out["mse"][-1] > out["mse"][0]  # a naive forecast gets worse with the lead time


def test_per_channel_against_single_channel_numpy(raw_test):
    y_true, y_pred, y_train = raw_test
    out = per_channel(y_true, y_pred, columns=COLUMNS, y_train=y_train)
    assert list(out) == COLUMNS
    for c, name in enumerate(COLUMNS):
        err = y_true[..., c] - y_pred[..., c]
        assert out[name]["mse"] == pytest.approx(np.mean(err**2), rel=1e-12)
        assert out[name]["mae"] == pytest.approx(np.mean(np.abs(err)), rel=1e-12)
    pooled = forecast_metrics(y_true, y_pred, y_train=y_train)
    # equal counts per channel: the pooled MSE/MAE/MASE are the means of the per-channel ones
    for key in ("mse", "mae", "mase"):
        assert pooled[key] == pytest.approx(np.mean([v[key] for v in out.values()]), rel=1e-12)
    assert list(per_channel(y_true, y_pred)) == [str(c) for c in range(7)]


def test_float32_inputs_are_computed_in_float64(raw_test):
    y_true, y_pred, _ = raw_test
    m64 = forecast_metrics(y_true, y_pred)
    m32 = forecast_metrics(y_true.astype(np.float32), y_pred.astype(np.float32))
    assert all(isinstance(v, float) for v in m32.values())
    for key in ("mse", "mae", "smape"):
        assert m32[key] == pytest.approx(m64[key], rel=1e-6)


# ----------------------------------------------------------------------------------------------
# Hand-computed values and edge cases


def test_hand_computed_values():
    y_true = np.array([2.0, 4.0, 0.0, 5.0]).reshape(1, 4, 1)
    y_pred = np.array([3.0, 2.0, 0.0, 5.0]).reshape(1, 4, 1)
    y_train = np.array([[1.0], [3.0], [2.0], [6.0]])  # naive |diffs| 2, 1, 4 -> scale 7/3
    m = forecast_metrics(y_true, y_pred, y_train=y_train)
    # errors 1, 2, 0, 0
    assert m["mse"] == pytest.approx(5 / 4)
    assert m["mae"] == pytest.approx(3 / 4)
    assert m["rmse"] == pytest.approx(math.sqrt(5 / 4))
    assert m["mape"] == pytest.approx(100 * (1 / 2 + 2 / 4 + 0 / 5) / 3)  # the zero actual is left out
    assert m["smape"] == pytest.approx(100 * (2 / 5 + 4 / 6 + 0 + 0) / 4)  # 0/0 counts as 0
    assert m["mase"] == pytest.approx((3 / 4) / (7 / 3))
    season2 = forecast_metrics(y_true, y_pred, y_train=y_train, season=2)  # |diffs| 1, 3 -> 2
    assert season2["mase"] == pytest.approx((3 / 4) / 2)


def test_all_zero_actuals_give_nan_mape():
    y = np.zeros((3, 2, 1))
    m = forecast_metrics(y, y + 1.0)
    assert math.isnan(m["mape"])
    assert m["smape"] == pytest.approx(200.0)
    assert math.isnan(m["mase"])
    assert forecast_metrics(y, y)["smape"] == 0.0


def test_perfect_forecast_is_zero_everywhere(raw_test):
    y_true, _, y_train = raw_test
    m = forecast_metrics(y_true, y_true, y_train=y_train)
    assert all(v == 0.0 for v in m.values())


# ----------------------------------------------------------------------------------------------
# Errors


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ShapeError, match=r"y_true \(4, 24, 7\) and y_pred \(4, 12, 7\)"):
        forecast_metrics(np.zeros((4, 24, 7)), np.zeros((4, 12, 7)))
    with pytest.raises(ShapeError, match=r"\(n, H, C\).*y_true \(24, 7\) and y_pred \(24, 7\)"):
        per_horizon(np.zeros((24, 7)), np.zeros((24, 7)))


def test_non_finite_values_are_located():
    y = np.zeros((2, 3, 2))
    bad = y.copy()
    bad[1, 2, 0] = np.nan
    with pytest.raises(DataError, match=r"y_pred has 1 NaN/Inf value\(s\), the first at .* \(1, 2, 0\)"):
        forecast_metrics(y, bad)
    with pytest.raises(DataError, match="empty"):
        forecast_metrics(np.zeros((0, 3, 2)), np.zeros((0, 3, 2)))


def test_mase_errors_name_the_problem():
    y = np.ones((2, 3, 2))
    with pytest.raises(ShapeError, match=r"y_train has 3 channel\(s\).*y_true has 2"):
        forecast_metrics(y, y, y_train=np.random.default_rng(0).normal(size=(50, 3)))
    with pytest.raises(ShapeError, match=r"y_train must be \(N, C\)"):
        forecast_metrics(y, y, y_train=np.arange(10.0))
    with pytest.raises(ConfigError, match="season must be a positive integer"):
        forecast_metrics(y, y, y_train=np.ones((10, 2)), season=0)
    with pytest.raises(DataError, match="needs at least 25"):
        forecast_metrics(y, y, y_train=np.ones((24, 2)), season=24)
    constant = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    with pytest.raises(DataError, match=r"channel\(s\) \[1\] repeat exactly every 1 row"):
        forecast_metrics(y, y, y_train=constant)


def test_per_channel_checks_column_names():
    y = np.ones((2, 3, 2))
    with pytest.raises(ShapeError, match=r"columns names 3 channel\(s\).*y_true has 2"):
        per_channel(y, y, columns=["a", "b", "c"])
    with pytest.raises(ShapeError, match="C=2 channels"):
        per_channel(y, y, y_train=np.ones((10, 3)))
