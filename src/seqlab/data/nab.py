"""NAB series and labels: a ``timestamp,value`` CSV, its anomaly windows, its probationary period.

The Numenta Anomaly Benchmark (Lavin & Ahmad 2015) ships each series as a CSV with the columns
``timestamp`` and ``value`` (timestamps need not be regularly spaced) and its labels as
``combined_windows.json``: ``{"<folder>/<file>.csv": [[start, end], ...]}``, window limits being
timestamps of the series. The first 15 % of each series (at most 750 rows) is the probationary
period: a detector may learn from it, and it is never scored.

Example:
    >>> probation_length(4032), probation_length(10_000)
    (604, 750)
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqlab.data.series import drop_trailing_blank_rows, numeric_column, read_table
from seqlab.errors import DataError

log = logging.getLogger(__name__)

PROBATION_FRACTION = 0.15
COLUMNS = ("timestamp", "value")


def probation_length(n: int, fraction: float = PROBATION_FRACTION) -> int:
    """NAB's probationary period of a series of ``n`` rows: ``min(floor(0.15 n), 0.15 * 5000)``."""
    return int(min(math.floor(fraction * n), fraction * 5000))


@dataclass(frozen=True)
class NabSeries:
    """One series: ``timestamps`` (N,) datetime64, ``values`` (N,) float64, and where it came from."""

    path: Path
    timestamps: pd.DatetimeIndex
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.values)

    @property
    def key(self) -> str:
        """The labels' key for this file: its folder and name (``realTraffic/speed_6005.csv``)."""
        return nab_key(self.path)


def nab_key(path: str | Path) -> str:
    """The last two components of ``path``, as NAB's label files key their series."""
    parts = Path(path).parts
    return "/".join(parts[-2:])


def read_nab_series(path: str | Path, min_rows: int = 1) -> NabSeries:
    """Read a ``timestamp,value`` CSV and check every row.

    Raises:
        DataError: the file is missing, empty or unreadable; a column is missing (the message
            lists those there are); a timestamp is missing, unparseable or out of order (repeats are kept);
            a value is missing, non-numeric or infinite (the message names the CSV line, the
            header being line 1); fewer than ``min_rows`` rows.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: not a file; --data takes a CSV with the columns timestamp,value")
    table = read_table(path, "timestamp")
    table = drop_trailing_blank_rows(table)
    available = [str(c) for c in table.columns]
    missing = [c for c in COLUMNS if c not in available]
    if missing:
        raise DataError(f"{path}: column '{missing[0]}' not found; a NAB series has the columns "
                        f"timestamp,value (found: {', '.join(available) or 'none'})")
    if len(table) == 0:
        raise DataError(f"{path}: no data rows (only the header)")
    stamps = _timestamps(table["timestamp"], path)
    values = numeric_column(table["value"], path, "value", parquet=False, allow_nan=False)
    if len(values) < min_rows:
        raise DataError(f"{path}: {len(values)} rows; this needs at least {min_rows}")
    return NabSeries(path, stamps, values)


def _timestamps(raw: pd.Series, path: Path) -> pd.DatetimeIndex:
    """Parsed timestamps, in non-decreasing order. NAB's own files repeat a timestamp now and
    then (a clock set back), so a repeat is kept; a step back in time is an error."""
    stamps = pd.DatetimeIndex(pd.to_datetime(raw, errors="coerce"))
    bad = np.flatnonzero(stamps.isna())
    if bad.size:
        i = int(bad[0])
        what = "missing timestamp" if pd.isna(raw.iloc[i]) else f"cannot parse timestamp {raw.iloc[i]!r}"
        raise DataError(f"{path}: {what} at line {i + 2} (every row needs a timestamp, all in one format)")
    back = np.flatnonzero(np.diff(stamps.asi8) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise DataError(f"{path}: timestamp {stamps[i]} at line {i + 2} is earlier than {stamps[i - 1]} at line "
                        f"{i + 1}; rows must be sorted by time")
    return stamps


def read_label_windows(labels_path: str | Path, key: str) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The anomaly windows of series ``key`` in a NAB ``combined_windows.json``.

    Raises:
        DataError: the file is missing or not JSON, not a mapping of keys to lists of
            ``[start, end]`` pairs, has no entry for ``key`` nor exactly one with its file name
            (the message names the candidates), or a
            window is malformed (unparseable limit, start after end, overlapping windows).
    """
    labels_path = Path(labels_path)
    if not labels_path.is_file():
        raise DataError(f"{labels_path}: labels file not found (NAB's combined_windows.json format)")
    try:
        raw = json.loads(labels_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{labels_path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise DataError(f"{labels_path}: expected a mapping {{\"folder/file.csv\": [[start, end], ...]}}, "
                        f"got a JSON {type(raw).__name__}")
    if key not in raw:
        name = key.rsplit("/", 1)[-1]
        near = [k for k in raw if k == name or k.endswith("/" + name)]
        if len(near) == 1:  # a copy of a NAB file outside its folder: its file name is enough
            log.warning("%s: no entry for '%s'; using '%s', the one entry with that file name", labels_path, key,
                        near[0])
            key = near[0]
        else:
            hint = f" (entries with that file name: {', '.join(near)})" if near else ""
            raise DataError(f"{labels_path}: no entry for '{key}' (the series is looked up by its folder and "
                            f"file name, or by a file name only one entry has){hint}; {len(raw)} series are "
                            "labelled there")
    entry = raw[key]
    if not isinstance(entry, list):
        raise DataError(f"{labels_path}: '{key}' must be a list of [start, end] windows, got {entry!r}")
    windows = []
    for k, pair in enumerate(entry):
        where = f"{labels_path}: '{key}' window {k + 1}"
        if not (isinstance(pair, list) and len(pair) == 2):
            raise DataError(f"{where} must be a [start, end] pair, got {pair!r}")
        try:
            start, end = pd.Timestamp(pair[0]), pd.Timestamp(pair[1])
        except (ValueError, TypeError) as exc:
            raise DataError(f"{where}: unreadable timestamp ({exc})") from None
        if start > end:
            raise DataError(f"{where}: starts at {start}, after its end {end}")
        if windows and start <= windows[-1][1]:
            raise DataError(f"{where} ({start} to {end}) overlaps or precedes the window before it")
        windows.append((start, end))
    return windows


def window_bounds(timestamps: pd.DatetimeIndex, windows: list[tuple[pd.Timestamp, pd.Timestamp]]
                  ) -> list[tuple[int, int]]:
    """Each window as ``(first, last)`` row indices (inclusive) of the timestamps inside it;
    windows with no row inside are dropped."""
    bounds = []
    for start, end in windows:
        first = int(timestamps.searchsorted(start, side="left"))
        last = int(timestamps.searchsorted(end, side="right")) - 1
        if first <= last:
            bounds.append((first, last))
    return bounds


def window_mask(n: int, bounds: list[tuple[int, int]]) -> np.ndarray:
    """(n,) bool: True at rows inside a window."""
    mask = np.zeros(n, dtype=bool)
    for first, last in bounds:
        mask[first:last + 1] = True
    return mask
