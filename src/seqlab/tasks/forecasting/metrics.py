"""Forecast accuracy: MSE, MAE, RMSE, MAPE, sMAPE and MASE over windows of forecasts.

Every function is pure: arrays in, plain floats (or arrays) out, computed in float64 whatever
the input dtype. Symbols: n = forecast windows, H = horizon, C = channels, N = training rows,
m = seasonal period; e = y - ŷ is the error at one point (window, step, channel).

    MSE   = mean(e^2)
    MAE   = mean(|e|)
    RMSE  = sqrt(MSE)
    MAPE  = 100 * mean(|e| / |y|)                over the points where |y| > eps
    sMAPE = 100 * mean(2 |e| / (|y| + |ŷ|))      with 0/0 taken as 0
    MASE  = mean_c( MAE_c / q_c ),  q_c = mean_t |y_train[t, c] - y_train[t - m, c]|,  t = m .. N-1

Where we differ from a source, and why:

- MAPE excludes the points where the actual is (almost) zero instead of clamping the
  denominator to a small epsilon as scikit-learn and torchmetrics do: a clamped zero turns one
  point into an error of ~10^8 % that swamps every other point. If every actual is excluded,
  MAPE is NaN.
- MASE follows Hyndman & Koehler (2006): the MAE of the forecast over the in-sample MAE of the
  seasonal-naive forecast ``ŷ_t = y_{t-m}`` on the training series. With several channels each
  channel is scaled by its own naive MAE and the ratios are averaged, so a channel measured in
  large units does not dominate; with one channel this is exactly their definition.

Example:
    >>> y = np.array([[[1.0], [2.0]], [[3.0], [4.0]]])  # (n=2, H=2, C=1)
    >>> m = forecast_metrics(y, y + 0.5, y_train=np.array([[0.0], [1.0], [2.0]]))
    >>> {k: round(v, 4) for k, v in m.items()}
    {'mse': 0.25, 'mae': 0.5, 'rmse': 0.5, 'mape': 26.0417, 'smape': 22.3429, 'mase': 0.5}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seqlab.errors import ConfigError, DataError, ShapeError

#: |y| at or below this is treated as a zero actual and left out of MAPE.
MAPE_EPS = 1e-8


def _checked_pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays as float64 (n, H, C), equal in shape and finite."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape or y_true.ndim != 3:
        raise ShapeError(
            f"forecast metrics need y_true and y_pred of one shape (n, H, C): windows, horizon, "
            f"channels; got y_true {y_true.shape} and y_pred {y_pred.shape}"
        )
    if y_true.size == 0:
        raise DataError(f"forecast metrics need at least one value; got empty arrays of shape {y_true.shape}")
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        bad = ~np.isfinite(arr)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise DataError(
                f"{name} has {int(bad.sum())} NaN/Inf value(s), the first at (window, step, channel) {first}"
            )
    return y_true, y_pred


def _mape(y_true: np.ndarray, abs_err: np.ndarray) -> float:
    keep = np.abs(y_true) > MAPE_EPS
    if not keep.any():
        return float("nan")
    return float(100.0 * np.mean(abs_err[keep] / np.abs(y_true[keep])))


def _smape(y_true: np.ndarray, y_pred: np.ndarray, abs_err: np.ndarray) -> float:
    denom = np.abs(y_true) + np.abs(y_pred)
    ratio = np.divide(2.0 * abs_err, denom, out=np.zeros_like(abs_err), where=denom > 0)  # 0/0 -> 0
    return float(100.0 * np.mean(ratio))


def naive_scale(y_train: np.ndarray, season: int = 1) -> np.ndarray:
    """In-sample MAE of the seasonal-naive forecast ``ŷ_t = y_{t-m}``, per channel: MASE's scale.

    Args:
        y_train: (N, C) training series, in the same units as the forecasts.
        season: m, the seasonal period (1 = plain naive, 24 = same hour yesterday for hourly data).

    Returns:
        (C,) float64, ``q_c = mean_{t=m..N-1} |y_train[t, c] - y_train[t-m, c]|``.

    Raises:
        ConfigError: ``season`` is not a positive integer.
        ShapeError: ``y_train`` is not 2-D.
        DataError: ``y_train`` has no more than ``season`` rows, holds NaN/Inf, or a channel
            repeats itself exactly every ``season`` rows (its scale is 0 and MASE undefined).

    Example:
        >>> naive_scale(np.array([[1.0, 10.0], [2.0, 30.0], [4.0, 20.0]]))
        array([ 1.5, 15. ])
    """
    if isinstance(season, bool) or not isinstance(season, (int, np.integer)) or season < 1:
        raise ConfigError(f"season must be a positive integer (the seasonal period m), got {season!r}")
    y_train = np.asarray(y_train, dtype=np.float64)
    if y_train.ndim != 2:
        raise ShapeError(f"y_train must be (N, C): training rows, channels; got shape {y_train.shape}")
    if y_train.shape[0] <= season:
        raise DataError(
            f"y_train has {y_train.shape[0]} rows; the seasonal-naive scale with season={season} "
            f"needs at least {season + 1}"
        )
    if not np.isfinite(y_train).all():
        raise DataError(f"y_train has {int((~np.isfinite(y_train)).sum())} NaN/Inf value(s)")
    scale = np.mean(np.abs(y_train[season:] - y_train[:-season]), axis=0)  # (C,)
    flat = np.flatnonzero(scale == 0)
    if flat.size:
        raise DataError(
            f"y_train channel(s) {flat.tolist()} repeat exactly every {season} row(s), so the "
            "seasonal-naive error is 0 and MASE is undefined; drop those channels or use another season"
        )
    return scale


def forecast_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    y_train: np.ndarray | None = None,
    season: int = 1,
) -> dict[str, float]:
    """Accuracy of a set of forecasts, pooled over every window, step and channel.

    The equations, and how zero actuals are handled, are in the module docstring.

    Args:
        y_true: (n, H, C) actual values.
        y_pred: (n, H, C) forecasts.
        y_train: (N, C) training series for MASE's scale; ``None`` leaves MASE as NaN.
        season: m, the seasonal period of MASE's naive forecast.

    Returns:
        ``{"mse", "mae", "rmse", "mape", "smape", "mase"}`` as Python floats; MAPE and sMAPE in
        percent. The keys are always all present, so tables of several runs line up.

    Raises:
        ShapeError: ``y_true`` and ``y_pred`` differ in shape or are not 3-D (both shapes are
            named), or ``y_train`` has a different number of channels.
        DataError: an array is empty or holds NaN/Inf; see ``naive_scale`` for ``y_train``.

    Example:
        >>> y = np.ones((4, 24, 7))
        >>> m = forecast_metrics(y, y + 0.1)
        >>> round(m["mse"], 6), round(m["mape"], 6), m["mase"]
        (0.01, 10.0, nan)
    """
    y_true, y_pred = _checked_pair(y_true, y_pred)
    abs_err = np.abs(y_true - y_pred)  # (n, H, C)
    mse = float(np.mean(abs_err**2))
    mase = float("nan")
    if y_train is not None:
        scale = naive_scale(y_train, season)  # (C,)
        if scale.shape[0] != y_true.shape[2]:
            raise ShapeError(
                f"y_train has {scale.shape[0]} channel(s) (shape {np.shape(y_train)}), y_true has "
                f"{y_true.shape[2]} (shape {y_true.shape}); they must match"
            )
        mase = float(np.mean(abs_err.mean(axis=(0, 1)) / scale))
    return {
        "mse": mse,
        "mae": float(np.mean(abs_err)),
        "rmse": float(np.sqrt(mse)),
        "mape": _mape(y_true, abs_err),
        "smape": _smape(y_true, y_pred, abs_err),
        "mase": mase,
    }


def per_horizon(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, np.ndarray]:
    """MSE and MAE at each forecast step, averaged over windows and channels.

    Shows how accuracy degrades with the lead time; ``plots.plot_horizon_errors`` draws it.

    Args:
        y_true: (n, H, C) actual values.
        y_pred: (n, H, C) forecasts.

    Returns:
        ``{"mse": (H,), "mae": (H,)}`` float64 arrays; entry h is the error h + 1 steps ahead.

    Example:
        >>> y = np.zeros((2, 3, 1))
        >>> per_horizon(y, y + np.array([1.0, 2.0, 3.0])[None, :, None])["mse"]
        array([1., 4., 9.])
    """
    y_true, y_pred = _checked_pair(y_true, y_pred)
    err = y_true - y_pred  # (n, H, C)
    return {"mse": np.mean(err**2, axis=(0, 2)), "mae": np.mean(np.abs(err), axis=(0, 2))}


def per_channel(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    columns: Sequence[str] | None = None,
    y_train: np.ndarray | None = None,
    season: int = 1,
) -> dict[str, dict[str, float]]:
    """``forecast_metrics`` for each channel on its own.

    Args:
        y_true: (n, H, C) actual values.
        y_pred: (n, H, C) forecasts.
        columns: C channel names, used as keys; ``"0"``, ``"1"``, ... when ``None``.
        y_train: (N, C) training series for MASE; ``None`` leaves MASE as NaN.
        season: m, the seasonal period of MASE's naive forecast.

    Returns:
        ``{channel name: {"mse", "mae", "rmse", "mape", "smape", "mase"}}`` in channel order.

    Raises:
        ShapeError: as ``forecast_metrics``, or ``columns`` does not name C channels.

    Example:
        >>> y = np.zeros((2, 3, 2))
        >>> out = per_channel(y, y + np.array([1.0, 2.0]), columns=["a", "b"])
        >>> out["a"]["mae"], out["b"]["mse"]
        (1.0, 4.0)
    """
    y_true, y_pred = _checked_pair(y_true, y_pred)
    n_channels = y_true.shape[2]
    names = [str(c) for c in range(n_channels)] if columns is None else [str(c) for c in columns]
    if len(names) != n_channels:
        raise ShapeError(
            f"columns names {len(names)} channel(s) {names}, y_true has {n_channels} (shape {y_true.shape})"
        )
    if y_train is not None:
        y_train = np.asarray(y_train, dtype=np.float64)
        if y_train.ndim != 2 or y_train.shape[1] != n_channels:
            raise ShapeError(
                f"y_train must be (N, C) with the C={n_channels} channels of y_true {y_true.shape}; "
                f"got shape {y_train.shape}"
            )
    return {
        name: forecast_metrics(
            y_true[..., [c]],
            y_pred[..., [c]],
            y_train=None if y_train is None else y_train[:, [c]],
            season=season,
        )
        for c, name in enumerate(names)
    }
