"""Time series tables: read one, check every timestamp and value, fill what is missing.

``read_series`` is the first step of a forecasting run; the splits, the scaler and the windows
that follow live in ``seqlab.data.windows`` and frequencies and calendar covariates in
``seqlab.data.calendar`` (their public names are importable from here too).

A series must be regularly spaced at a pandas frequency (``"h"``, ``"15min"``, ``"D"``, ``"MS"``:
calendar months of unequal length are regular). What happens to a gap in the timestamps or a
missing value is the ``missing`` policy: ``"error"`` reports it with its file line,
``"ffill"`` repeats the last value, ``"interpolate"`` draws a straight line in time.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from seqlab.data.calendar import future_timestamps, grid_frequency, infer_frequency, rows_per_day
from seqlab.data import memory
from seqlab.data.registry import open_binary, resolve
from seqlab.data.windows import StandardScaler, ett_borders, ett_rows_per_day, fraction_borders, make_windows
from seqlab.errors import ConfigError, DataError

__all__ = [
    "MISSING_POLICIES",
    "StandardScaler",
    "ett_borders",
    "ett_rows_per_day",
    "fraction_borders",
    "future_timestamps",
    "infer_frequency",
    "make_windows",
    "read_series",
    "rows_per_day",
]

logger = logging.getLogger(__name__)

MISSING_POLICIES = ("error", "ffill", "interpolate")
_PARQUET_SUFFIXES = (".parquet", ".pq")
# Filling gaps may insert rows, but a grid this much larger than the file means a wrong frequency.
_MAX_GRID_GROWTH = 10


# --------------------------------------------------------------------------------------------
# Reading and validating


def _is_parquet(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    return bool(suffixes) and suffixes[-1] in _PARQUET_SUFFIXES


def _where(parquet: bool, row: int) -> str:
    """Human location of 0-based data row ``row``: the CSV line (header = line 1) or Parquet row."""
    return f"row {row + 1}" if parquet else f"line {row + 2}"


def read_table(path: Path, timestamp_col: str | None, nrows: int | None = None) -> pd.DataFrame:
    """A CSV/TSV (gzipped or not) or Parquet file as read, blank CSV lines kept as all-NaN rows; DataError if unreadable."""
    if _is_parquet(path):
        try:
            with open_binary(path) as fh:
                return pd.read_parquet(fh).iloc[:nrows]
        except ImportError as exc:
            raise DataError(f"{path}: reading Parquet needs pyarrow; install it (pip install pyarrow) ({exc})") from exc
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from exc
    dtype = {timestamp_col: str} if timestamp_col is not None else None
    sep = "\t" if ".tsv" in [s.lower() for s in path.suffixes] else ","
    try:
        with open_binary(path) as fh:
            # Blank lines are kept (as all-NaN rows) so that row i is always line i + 2.
            return pd.read_csv(fh, sep=sep, dtype=dtype, skip_blank_lines=False, nrows=nrows)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path}: empty file (no header, no rows)") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({str(exc).strip()})") from exc


def read_header(path: str | Path) -> list[str]:
    """The column names of a CSV/Parquet file (or built-in name), without reading its rows.

    Example:
        >>> read_header("airline")
        ['Month', 'Passengers']
    """
    path = resolve(str(path))
    return [str(c) for c in read_table(path, None, nrows=0).columns]


def drop_trailing_blank_rows(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` without the all-NaN rows at its end (blank lines at the end of a CSV file)."""
    blank = df.isna().all(axis=1).to_numpy()
    n = len(df)
    while n > 0 and blank[n - 1]:
        n -= 1
    return df.iloc[:n]


def _parse_timestamps(raw: pd.Series, path: Path, column: str, parquet: bool) -> pd.DatetimeIndex:
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
    return index


def numeric_column(raw: pd.Series, path: Path, column: str, parquet: bool, allow_nan: bool) -> np.ndarray:
    """``raw`` as float64; a DataError names the line of the first non-numeric (or, unless ``allow_nan``, missing) value."""
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    missing_in_file = raw.isna().to_numpy()
    not_numeric = np.flatnonzero(np.isnan(values) & ~missing_in_file)
    if not_numeric.size:
        i = int(not_numeric[0])
        raise DataError(
            f"{path}: non-numeric value {raw.iloc[i]!r} in column '{column}' at {_where(parquet, i)} "
            f"({not_numeric.size} such value(s) in the column)"
        )
    bad = np.flatnonzero(np.isinf(values) if allow_nan else ~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        what = "missing (NaN) value" if np.isnan(values[i]) else f"infinite value ({values[i]})"
        hint = "" if allow_nan else " or pass missing='ffill' or missing='interpolate' (--missing on the command line)"
        raise DataError(
            f"{path}: {what} in column '{column}' at {_where(parquet, i)} "
            f"({bad.size} such value(s) in the column); fix the file{hint}"
        )
    return values


# --------------------------------------------------------------------------------------------
# Regular spacing and missing values


def _regular_grid(index: pd.DatetimeIndex, path: Path, column: str, parquet: bool, missing: str):
    """Check that the timestamps are regularly spaced.

    Returns None when they are; the full regular grid (a ``DatetimeIndex`` with the missing
    timestamps) when ``missing`` allows filling gaps; raises ``DataError`` otherwise.
    """
    if len(index) < 3:
        return None  # one step is always regular
    freq = grid_frequency(index)
    offset = to_offset(freq)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)  # non-vectorised offsets
        expected = index[:-1] + offset  # (N - 1,) the timestamp that should follow each row
    bad = np.flatnonzero(expected != index[1:])
    if not bad.size:
        return None
    i = int(bad[0])
    try:
        span_rows = (index[-1] - index[0]) // pd.Timedelta(offset) + 1
    except ValueError:
        span_rows = 0  # calendar offsets (months, weeks, business days): the grid stays small
    if span_rows > _MAX_GRID_GROWTH * len(index):
        grid, on_grid = None, np.zeros(len(index), dtype=bool)
    else:
        grid = pd.date_range(index[0], index[-1], freq=offset)
        on_grid = index.isin(grid)
    if missing == "error":
        if grid is not None and on_grid.all():
            absent = grid[~grid.isin(index)]
            listed = ", ".join(str(t) for t in absent[:3]) + (", ..." if len(absent) > 3 else "")
            total = f"; {len(absent)} timestamp(s) of the '{freq}' grid are missing in all: {listed}"
        else:
            total = f"; some timestamps are not on the '{freq}' grid at all"
        raise DataError(
            f"{path}: timestamps in column '{column}' are not regularly spaced: {index[i]} at "
            f"{_where(parquet, i)} is followed by {index[i + 1]} at {_where(parquet, i + 1)}, a gap of "
            f"{index[i + 1] - index[i]} where the step is '{freq}' (expected {expected[i]} next){total}. "
            "Pass missing='interpolate' or missing='ffill' (--missing on the command line) to insert the missing timestamps and fill "
            "them, or fix the file"
        )
    if grid is None:
        raise DataError(
            f"{path}: timestamps in column '{column}' are not regularly spaced and filling the '{freq}' "
            f"grid would insert more than {_MAX_GRID_GROWTH - 1} rows per row of the file (first gap: "
            f"{index[i]} at {_where(parquet, i)} to {index[i + 1]} at {_where(parquet, i + 1)}); "
            "resample the series to a regular frequency first"
        )
    if not on_grid.all():
        j = int(np.flatnonzero(~on_grid)[0])
        raise DataError(
            f"{path}: timestamp {index[j]} in column '{column}' at {_where(parquet, j)} is not on the "
            f"regular '{freq}' grid of the other timestamps ({index[0]} to {index[-1]}); missing "
            "timestamps can be inserted only when every timestamp lies on that grid"
        )
    return grid


def _fill(values: np.ndarray, x: np.ndarray, rows: np.ndarray, path: Path, column: str, parquet: bool,
          missing: str) -> np.ndarray:
    """Fill the NaNs of one column by ``missing`` ("ffill" or "interpolate").

    ``x`` is the position of each row in time (nanoseconds, or row numbers without timestamps);
    ``rows[k]`` is the file row of row k, -1 for an inserted timestamp.
    """
    nan = np.isnan(values)  # (N,)
    if not nan.any():
        return values
    if nan.all():
        raise DataError(f"{path}: column '{column}' has no values at all; nothing to fill it from")
    if missing == "ffill":
        if nan[0]:
            raise DataError(
                f"{path}: missing (NaN) value in column '{column}' at {_where(parquet, int(rows[0]))} cannot "
                "be forward-filled: it is in the first row, with no earlier value; use "
                "missing='interpolate' or fix the file"
            )
        last = np.maximum.accumulate(np.where(nan, 0, np.arange(len(values))))  # (N,) last valid row
        return values[last]
    out = values.copy()
    # np.interp holds the end values constant: leading/trailing NaNs take the nearest value.
    out[nan] = np.interp(x[nan], x[~nan], values[~nan])
    return out


# --------------------------------------------------------------------------------------------
# Reading


def read_series(
    path: str | Path,
    columns: list[str] | None = None,
    timestamp_col: str | None = "date",
    missing: str = "error",
) -> pd.DataFrame:
    """Read a multivariate time series from CSV or Parquet and check that every value is usable.

    Args:
        path: a CSV (``.csv``, ``.tsv``, optionally ``.gz``) or Parquet (``.parquet``, ``.pq``)
            file, or a built-in dataset name (``"etth1"``; see ``seqlab.data.registry``).
        columns: value columns to keep, in this order; all columns except the timestamp when
            ``None``.
        timestamp_col: the timestamp column; ``None`` when the file has none.
        missing: what to do with gaps in the timestamps and missing (empty or NaN) values:
            ``"error"`` (the default) reports the first one; ``"ffill"`` inserts the missing
            timestamps of the regular grid and repeats the last known value (a missing value in
            the first row is an error); ``"interpolate"`` inserts them and interpolates linearly
            in time, filling leading/trailing gaps with the nearest value.

    Returns:
        A DataFrame with a ``RangeIndex``: the parsed ``timestamp_col`` first (datetime64), then
        the value columns in the requested order (float64). ``df[columns].to_numpy()`` is the
        (N, C) array that ``seqlab.data.windows`` works on.

    Raises:
        DataError: the file is missing, empty or unreadable; a requested column does not exist
            (the message lists those that do); a timestamp is missing, unparseable, repeated,
            out of order, or off the regular grid; with ``missing="error"``, a gap in the
            timestamps (the message names the rows around it, the step and the gap) or a NaN;
            a value is non-numeric or infinite. Locations are 1-based CSV line numbers counting
            the header as line 1 (``row`` numbers for Parquet).
        ConfigError: ``missing`` is not one of ``MISSING_POLICIES``.

    Example:
        >>> df = read_series("etth1", columns=["OT"])
        >>> df.shape, list(df.columns)
        ((17420, 2), ['date', 'OT'])
        >>> read_series("melbourne-temp", timestamp_col="Date", missing="interpolate").shape
        (3652, 2)
    """
    if missing not in MISSING_POLICIES:
        raise ConfigError(f"missing must be one of {', '.join(map(repr, MISSING_POLICIES))}, got {missing!r}")
    lent = memory.lookup(path)
    if lent is not None:  # a DataFrame given in memory: its rows are named "row N", as Parquet's are
        if not isinstance(lent, pd.DataFrame):
            raise DataError(f"{path}: a pandas DataFrame is needed, got {type(lent).__name__}")
        path, parquet, table = Path(str(path)), True, lent.reset_index(drop=True).rename(columns=str)
    else:
        path = resolve(str(path))
        if not path.is_file():
            raise DataError(f"{path}: not a file")
        parquet = _is_parquet(path)
        table = read_table(path, timestamp_col)
        if not parquet:
            table = drop_trailing_blank_rows(table)
    if table.shape[1] == 0:
        raise DataError(f"{path}: no columns")
    if len(table) == 0:
        raise DataError(f"{path}: no data rows (only the header: {', '.join(map(str, table.columns))})")

    available = [str(c) for c in table.columns]
    if timestamp_col is not None and timestamp_col not in available:
        raise DataError(
            f"{path}: timestamp column '{timestamp_col}' not found; available columns: {', '.join(available)} "
            "(pass timestamp_col=None if the file has none; --timestamp-col on the command line)"
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

    n = len(table)
    rows = np.arange(n)  # file row of each output row; -1 marks an inserted timestamp
    x = rows.astype(np.float64)  # position in time, for interpolation
    data: dict[str, Any] = {}
    grid = None
    if timestamp_col is not None:
        index = _parse_timestamps(table[timestamp_col], path, timestamp_col, parquet)
        grid = _regular_grid(index, path, timestamp_col, parquet, missing)
        if grid is not None:
            rows = np.full(len(grid), -1)
            rows[grid.get_indexer(index)] = np.arange(n)
            logger.info(
                "%s: inserted %d missing timestamp(s) of the '%s' grid, filled by %s",
                path, len(grid) - n, grid.freqstr, missing,
            )
            index = grid
        data[timestamp_col] = index.to_numpy()
        x = np.asarray((index - index[0]) / pd.Timedelta(seconds=1), dtype=np.float64)  # seconds from the start
    for col in value_cols:
        values = numeric_column(table[col], path, col, parquet, allow_nan=missing != "error")
        if grid is not None:
            spread = np.full(len(grid), np.nan)
            spread[rows >= 0] = values
            values = spread
        if missing != "error":
            values = _fill(values, x, rows, path, col, parquet, missing)
        data[col] = values
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
