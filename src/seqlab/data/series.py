"""Time series: read and validate a table, split it chronologically, scale it, cut it into windows.

The path of a forecasting run is ``read_series`` -> ``ett_borders`` / ``fraction_borders`` ->
``StandardScaler`` fitted on the training rows -> ``make_windows`` on each split. Every function
is pure except the scaler, whose learned state (``mean_``, ``scale_``) is plain numbers that
round-trip through JSON.

Symbols used in shapes: N = rows (time steps), C = columns (channels), L = lookback,
H = horizon, n = number of windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from seqlab.errors import ConfigError, DataError
from seqlab.data.registry import open_binary, resolve

_PARQUET_SUFFIXES = (".parquet", ".pq")


# --------------------------------------------------------------------------------------------
# Reading and validating


def _is_parquet(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    return bool(suffixes) and suffixes[-1] in _PARQUET_SUFFIXES


def _where(parquet: bool, row: int) -> str:
    """Human location of 0-based data row ``row``: the CSV line (header = line 1) or Parquet row."""
    return f"row {row + 1}" if parquet else f"line {row + 2}"


def _read_table(path: Path, timestamp_col: str | None) -> pd.DataFrame:
    if _is_parquet(path):
        try:
            with open_binary(path) as fh:
                return pd.read_parquet(fh)
        except ImportError as exc:
            raise DataError(f"{path}: reading Parquet needs pyarrow; install it (pip install pyarrow) ({exc})") from exc
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from exc
    dtype = {timestamp_col: str} if timestamp_col is not None else None
    sep = "\t" if ".tsv" in [s.lower() for s in path.suffixes] else ","
    try:
        with open_binary(path) as fh:
            # Blank lines are kept (as all-NaN rows) so that row i is always line i + 2.
            return pd.read_csv(fh, sep=sep, dtype=dtype, skip_blank_lines=False)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path}: empty file (no header, no rows)") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({str(exc).strip()})") from exc


def _drop_trailing_blank_rows(df: pd.DataFrame) -> pd.DataFrame:
    blank = df.isna().all(axis=1).to_numpy()
    n = len(df)
    while n > 0 and blank[n - 1]:
        n -= 1
    return df.iloc[:n]


def _parse_timestamps(raw: pd.Series, path: Path, column: str, parquet: bool) -> np.ndarray:
    try:
        stamps = pd.to_datetime(raw, errors="coerce")
    except (ValueError, TypeError) as exc:
        raise DataError(f"{path}: column '{column}' is not a readable timestamp column ({exc})") from exc
    bad = np.flatnonzero(stamps.isna().to_numpy())
    if bad.size:
        i = int(bad[0])
        value = raw.iloc[i]
        what = "missing timestamp" if pd.isna(value) else f"cannot parse timestamp {value!r}"
        raise DataError(
            f"{path}: {what} in column '{column}' at {_where(parquet, i)} "
            "(every row needs a timestamp, all in one format)"
        )
    index = pd.DatetimeIndex(stamps)
    step = np.diff(index.asi8)
    bad = np.flatnonzero(step <= 0)
    if bad.size:
        i = int(bad[0]) + 1  # the row that breaks the order
        if step[i - 1] == 0:
            raise DataError(
                f"{path}: duplicate timestamp {index[i]} in column '{column}' at {_where(parquet, i)} "
                f"(same as {_where(parquet, i - 1)}); timestamps must be unique"
            )
        raise DataError(
            f"{path}: timestamp {index[i]} in column '{column}' at {_where(parquet, i)} is earlier than "
            f"{index[i - 1]} at {_where(parquet, i - 1)}; rows must be sorted by time, increasing"
        )
    return index.to_numpy()


def _numeric_column(raw: pd.Series, path: Path, column: str, parquet: bool) -> np.ndarray:
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    missing_in_file = raw.isna().to_numpy()
    not_numeric = np.flatnonzero(np.isnan(values) & ~missing_in_file)
    if not_numeric.size:
        i = int(not_numeric[0])
        raise DataError(
            f"{path}: non-numeric value {raw.iloc[i]!r} in column '{column}' at {_where(parquet, i)} "
            f"({not_numeric.size} such value(s) in the column)"
        )
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        what = "missing (NaN) value" if np.isnan(values[i]) else f"infinite value ({values[i]})"
        raise DataError(
            f"{path}: {what} in column '{column}' at {_where(parquet, i)} "
            f"({bad.size} non-finite value(s) in the column); fill or drop them first"
        )
    return values


def read_series(
    path: str | Path,
    columns: list[str] | None = None,
    timestamp_col: str | None = "date",
) -> pd.DataFrame:
    """Read a multivariate time series from CSV or Parquet and check that every value is usable.

    Args:
        path: a CSV (``.csv``, ``.tsv``, optionally ``.gz``) or Parquet (``.parquet``, ``.pq``)
            file, or a built-in dataset name (``"etth1"``).
        columns: value columns to keep, in this order; all columns except the timestamp when
            ``None``.
        timestamp_col: the timestamp column; ``None`` when the file has none.

    Returns:
        A DataFrame with a ``RangeIndex``: the parsed ``timestamp_col`` first (datetime64), then
        the value columns in the requested order (float64). ``df[columns].to_numpy()`` is the
        (N, C) array the rest of this module works on.

    Raises:
        DataError: the file is missing, empty or unreadable; a requested column does not exist
            (the message lists those that do); a timestamp is missing, unparseable, repeated or
            out of order; a value is non-numeric, NaN or infinite. Locations are 1-based CSV
            line numbers counting the header as line 1 (``row`` numbers for Parquet).

    Example:
        >>> df = read_series("etth1", columns=["OT"])
        >>> df.shape, list(df.columns)
        ((17420, 2), ['date', 'OT'])
    """
    path = resolve(str(path))
    if not path.is_file():
        raise DataError(f"{path}: not a file")
    parquet = _is_parquet(path)
    table = _read_table(path, timestamp_col)
    if not parquet:
        table = _drop_trailing_blank_rows(table)
    if table.shape[1] == 0:
        raise DataError(f"{path}: no columns")
    if len(table) == 0:
        raise DataError(f"{path}: no data rows (only the header: {', '.join(map(str, table.columns))})")

    available = [str(c) for c in table.columns]
    if timestamp_col is not None and timestamp_col not in available:
        raise DataError(
            f"{path}: timestamp column '{timestamp_col}' not found; available columns: {', '.join(available)} "
            "(pass timestamp_col=None if the file has none)"
        )
    value_cols = [c for c in available if c != timestamp_col] if columns is None else list(columns)
    for col in value_cols:
        if col not in available or col == timestamp_col:
            others = [c for c in available if c != timestamp_col]
            raise DataError(f"{path}: column '{col}' not found; available columns: {', '.join(others)}")
    if len(set(value_cols)) != len(value_cols):
        raise DataError(f"{path}: a column is requested twice in {value_cols}")
    if not value_cols:
        raise DataError(f"{path}: no value columns besides the timestamp '{timestamp_col}'")

    data: dict[str, Any] = {}
    if timestamp_col is not None:
        data[timestamp_col] = _parse_timestamps(table[timestamp_col], path, timestamp_col, parquet)
    for col in value_cols:
        data[col] = _numeric_column(table[col], path, col, parquet)
    return pd.DataFrame(data, index=pd.RangeIndex(len(table)))


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
