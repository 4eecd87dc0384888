"""Chronological splits, standardisation and sliding windows of a (N, C) series.

The path of a forecasting run after ``read_series`` is ``ett_borders`` (with ``ett_rows_per_day``)
or ``fraction_borders`` -> ``StandardScaler`` fitted on the training rows -> ``make_windows`` on
each split. Every function is pure except the scaler, whose learned state (``mean_``, ``scale_``)
is plain numbers that round-trip through JSON.

Symbols used in shapes: N = rows (time steps), C = columns (channels), L = lookback,
H = horizon, n = number of windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from seqlab.data.calendar import infer_frequency
from seqlab.data.calendar import rows_per_day as _rows_per_day
from seqlab.errors import ConfigError, DataError


# --------------------------------------------------------------------------------------------
# Chronological splits


def _check_lookback(lookback: int) -> None:
    if not isinstance(lookback, (int, np.integer)) or lookback < 1:
        raise ConfigError(f"lookback must be a positive integer, got {lookback!r}")


def ett_borders(n_rows: int, lookback: int, rows_per_day: int = 24) -> list[tuple[int, int]]:
    """Row ranges ``[start, end)`` of train, validation and test under the ETT protocol.

    Months are 30 days and k = ``rows_per_day`` (24 for ETTh*, 96 for ETTm*):
    train ``[0, 12*30*k)``, validation ``[12*30*k - L, 16*30*k)``, test ``[16*30*k - L, 20*30*k)``.
    Validation and test start L rows early so that their first window's lookback is the end of
    the previous split; rows after ``20*30*k`` are never used.

    Args:
        n_rows: rows in the series (N).
        lookback: L, the input window length.
        rows_per_day: k, rows per day.

    Returns:
        ``[(0, 8640), (8640 - L, 11520), (11520 - L, 14400)]`` for hourly data.

    Raises:
        DataError: the series has fewer than ``20*30*k`` rows.
        ConfigError: ``lookback`` is not a positive integer smaller than the training split.

    Example:
        >>> ett_borders(17420, lookback=96)
        [(0, 8640), (8544, 11520), (11424, 14400)]
    """
    _check_lookback(lookback)
    month = 30 * rows_per_day
    train_end, val_end, test_end = 12 * month, 16 * month, 20 * month
    if n_rows < test_end:
        raise DataError(
            f"the ETT protocol needs at least 20 months of 30 days = {test_end} rows "
            f"({rows_per_day} rows per day), the series has {n_rows}"
        )
    if lookback >= train_end:
        raise ConfigError(f"lookback {lookback} must be shorter than the training split ({train_end} rows)")
    return [(0, train_end), (train_end - lookback, val_end), (val_end - lookback, test_end)]


def ett_rows_per_day(timestamps) -> int:
    """Rows per day that ``ett_borders`` needs: 24 for hourly ETTh*, 96 for 15-minute ETTm*.

    Args:
        timestamps: the series' timestamps (at least 3, regularly spaced).

    Returns:
        24 or 96.

    Raises:
        DataError: the spacing is neither hourly nor 15-minute (the message names the detected
            frequency), or the timestamps are not regular.

    Example:
        >>> import pandas as pd
        >>> ett_rows_per_day(pd.date_range("2016-07-01", periods=5, freq="15min"))
        96
    """
    freq = infer_frequency(timestamps)
    try:
        per_day = _rows_per_day(freq)
    except DataError:
        per_day = None
    if per_day not in (24, 96):
        raise DataError(
            f"the ETT split needs hourly or 15-minute timestamps (24 or 96 rows a day); the detected "
            f"spacing is '{freq}'; split by fractions instead"
        )
    return per_day


def fraction_borders(
    n_rows: int,
    lookback: int,
    fractions: Sequence[float] = (0.7, 0.1, 0.2),
) -> list[tuple[int, int]]:
    """Chronological train / validation / test row ranges by fractions of the series.

    Follows the convention of the Informer/Autoformer code for non-ETT data: ``n_train =
    int(N * f_train)``, ``n_test = int(N * f_test)`` and, when the fractions sum to 1, validation
    takes the rest (``n_val = N - n_train - n_test``); otherwise ``n_val = int(N * f_val)``.
    Validation and test start L rows early, as in ``ett_borders``.

    Args:
        n_rows: rows in the series (N).
        lookback: L, the input window length.
        fractions: (train, validation, test), each positive, summing to at most 1.

    Returns:
        ``[(0, n_train), (n_train - L, n_train + n_val), (n_train + n_val - L, n_train + n_val + n_test)]``.

    Example:
        >>> fraction_borders(1000, lookback=24)
        [(0, 700), (676, 800), (776, 1000)]
    """
    _check_lookback(lookback)
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or sum(fractions) > 1 + 1e-9:
        raise ConfigError(
            "fractions must be three positive numbers (train, validation, test) summing to at most 1, "
            f"got {tuple(fractions)}"
        )
    f_train, f_val, f_test = fractions
    n_train, n_test = int(n_rows * f_train), int(n_rows * f_test)
    n_val = n_rows - n_train - n_test if abs(sum(fractions) - 1) < 1e-9 else int(n_rows * f_val)
    if min(n_train, n_val, n_test) < 1:
        raise DataError(f"a series of {n_rows} rows is too short to split by fractions {tuple(fractions)}")
    if n_train <= lookback:
        raise DataError(
            f"the training split has {n_train} rows, not more than the lookback {lookback}; "
            "use a shorter lookback or a longer series"
        )
    val_end = n_train + n_val
    return [(0, n_train), (n_train - lookback, val_end), (val_end - lookback, val_end + n_test)]


# --------------------------------------------------------------------------------------------
# Scaling


class StandardScaler:
    """Per-column standardisation ``z = (x - mean_) / scale_``, fitted on the training rows only.

    ``scale_`` is the population standard deviation (ddof=0, as in scikit-learn); a constant
    column gets ``scale_ = 1`` so it maps to zeros instead of dividing by zero.

    Attributes:
        mean_: (C,) float64 column means, after ``fit``.
        scale_: (C,) float64 column standard deviations, after ``fit``.

    Example:
        >>> x = np.array([[0.0, 5.0], [2.0, 5.0]])
        >>> sc = StandardScaler().fit(x)
        >>> sc.transform(x).tolist()
        [[-1.0, 0.0], [1.0, 0.0]]
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, x: np.ndarray) -> StandardScaler:
        """Learn column means and standard deviations from ``x`` of shape (N, C); returns self."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
            raise DataError(f"StandardScaler.fit needs a non-empty (N, C) array, got shape {x.shape}")
        if not np.isfinite(x).all():
            row, col = np.argwhere(~np.isfinite(x))[0]
            raise DataError(f"StandardScaler.fit: non-finite value at row {row}, column {col}")
        mean = x.mean(axis=0)  # (C,)
        scale = x.std(axis=0)  # (C,) ddof=0
        # Float round-off leaves a constant column with a tiny, not zero, std.
        constant = scale <= 1e-12 * np.maximum(1.0, np.abs(mean))
        scale[constant] = 1.0
        self.mean_, self.scale_ = mean, scale
        return self

    def _checked(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.mean_ is None or self.scale_ is None:
            raise RuntimeError("StandardScaler is not fitted: call fit(train_values) first")
        x = np.asarray(x)
        if x.ndim == 0 or x.shape[-1] != self.mean_.shape[0]:
            raise DataError(
                f"StandardScaler was fitted on {self.mean_.shape[0]} column(s), got an array of shape {x.shape}"
            )
        return x, self.mean_, self.scale_

    @staticmethod
    def _cast(result: np.ndarray, like: np.ndarray) -> np.ndarray:
        return result.astype(like.dtype, copy=False) if np.issubdtype(like.dtype, np.floating) else result

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Standardise ``x`` of shape (..., C); float inputs keep their dtype."""
        x, mean, scale = self._checked(x)
        return self._cast((x - mean) / scale, x)

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        """Undo ``transform`` for ``z`` of shape (..., C)."""
        z, mean, scale = self._checked(z)
        return self._cast(z * scale + mean, z)

    def to_dict(self) -> dict[str, list[float]]:
        """Learned state as plain lists, ready for JSON."""
        if self.mean_ is None or self.scale_ is None:
            raise RuntimeError("StandardScaler is not fitted: call fit(train_values) first")
        return {"mean": self.mean_.tolist(), "scale": self.scale_.tolist()}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> StandardScaler:
        """Rebuild a fitted scaler from ``to_dict()`` output."""
        if not isinstance(state, dict) or set(state) != {"mean", "scale"}:
            keys = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise DataError(f"scaler state must have exactly the keys 'mean' and 'scale', got {keys}")
        mean = np.asarray(state["mean"], dtype=np.float64)
        scale = np.asarray(state["scale"], dtype=np.float64)
        if mean.ndim != 1 or mean.shape != scale.shape or not (np.isfinite(mean).all() and (scale > 0).all()):
            raise DataError("scaler state: 'mean' and 'scale' must be equal-length lists, scale positive")
        scaler = cls()
        scaler.mean_, scaler.scale_ = mean, scale
        return scaler


# --------------------------------------------------------------------------------------------
# Windows


def _check_cols(cols: Sequence[int], n_cols: int, name: str) -> list[int]:
    cols = [int(c) for c in cols]
    if not cols:
        raise ConfigError(f"{name} is empty; give at least one column index")
    bad = [c for c in cols if not -n_cols <= c < n_cols]
    if bad:
        raise ConfigError(f"{name} {bad} out of range for an array of {n_cols} column(s)")
    return cols


def make_windows(
    values: np.ndarray,
    lookback: int,
    horizon: int,
    input_cols: list[int],
    target_cols: list[int],
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a series into every (input, target) window pair, sliding by one row.

    Window i reads inputs from rows ``[i, i + L)`` and targets from rows ``[i + L, i + L + H)``,
    for i = 0 .. N - L - H, so n = N - L - H + 1 windows and none is dropped at the end.

    Args:
        values: (N, C) array, already scaled.
        lookback: L, input steps per window.
        horizon: H, target steps per window.
        input_cols: column indices fed to the model.
        target_cols: column indices to predict.

    Returns:
        X: (n, L, len(input_cols)) float32.
        Y: (n, H, len(target_cols)) float32.

    Raises:
        DataError: N < L + H (the message says how many rows are needed).

    Example:
        >>> X, Y = make_windows(np.zeros((100, 7)), lookback=24, horizon=12, input_cols=list(range(7)), target_cols=[6])
        >>> X.shape, Y.shape
        ((65, 24, 7), (65, 12, 1))
    """
    _check_lookback(lookback)
    if not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ConfigError(f"horizon must be a positive integer, got {horizon!r}")
    values = np.asarray(values)
    if values.ndim != 2:
        raise DataError(f"make_windows needs a (N, C) array, got shape {values.shape}")
    n_rows, n_cols = values.shape
    input_cols = _check_cols(input_cols, n_cols, "input_cols")
    target_cols = _check_cols(target_cols, n_cols, "target_cols")
    if n_rows < lookback + horizon:
        raise DataError(
            f"{n_rows} rows are too few for one window: lookback {lookback} + horizon {horizon} "
            f"needs at least {lookback + horizon} rows"
        )
    x_src = values[: n_rows - horizon, input_cols].astype(np.float32)  # (N - H, Ci)
    y_src = values[lookback:, target_cols].astype(np.float32)  # (N - L, Ct)
    X = sliding_window_view(x_src, lookback, axis=0)  # (n, Ci, L), n = N - L - H + 1, a view
    Y = sliding_window_view(y_src, horizon, axis=0)  # (n, Ct, H), a view
    X = np.ascontiguousarray(X.transpose(0, 2, 1))  # (n, L, Ci)
    Y = np.ascontiguousarray(Y.transpose(0, 2, 1))  # (n, H, Ct)
    return X, Y
