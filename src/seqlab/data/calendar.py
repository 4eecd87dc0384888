"""Timestamps: their frequency, the timestamps that follow them, and calendar covariates.

Frequencies are pandas offset aliases (``"h"``, ``"15min"``, ``"D"``, ``"W-SUN"``, ``"MS"``), so
calendar-regular series (months of 28 to 31 days) count as regular. ``calendar_features`` builds
the known-future covariates of the Informer/Autoformer "timeF" embedding from timestamps alone.

Symbols used in shapes: N = timestamps, F = calendar features.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset

from seqlab.errors import ConfigError, DataError

# Windows of consecutive timestamps that ``grid_frequency`` asks pandas about when the whole
# series has gaps: long enough to tell business days from days, short enough to miss most gaps.
_WINDOW = 8
_MAX_WINDOWS = 64


def _as_index(timestamps) -> pd.DatetimeIndex:
    try:
        return pd.DatetimeIndex(timestamps)
    except (TypeError, ValueError) as exc:
        raise DataError(f"timestamps must be datetimes, got {type(timestamps).__name__} ({exc})") from exc


def _offset(freq: str) -> offsets.BaseOffset:
    try:
        return to_offset(freq)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"'{freq}' is not a pandas frequency alias such as 'h', '15min', 'D', 'MS'") from exc


def _pandas_freq(index: pd.DatetimeIndex) -> str | None:
    """``pd.infer_freq`` as a normalised alias, or None; silent about its future return type."""
    if len(index) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        freq = pd.infer_freq(index)
    return None if freq is None else to_offset(freq).freqstr


def _check_sorted(index: pd.DatetimeIndex) -> None:
    if not (index.is_monotonic_increasing and index.is_unique):
        raise DataError("timestamps must be unique and increasing to have a frequency")


def infer_frequency(timestamps) -> str:
    """The pandas offset alias of regularly spaced timestamps.

    Args:
        timestamps: at least 3 unique, increasing datetimes (a ``DatetimeIndex``, a datetime
            Series or array).

    Returns:
        An alias such as ``"h"``, ``"15min"``, ``"D"``, ``"W-SUN"`` or ``"MS"``.

    Raises:
        DataError: fewer than 3 timestamps, or no frequency fits every step (the message names
            the first step that differs from the most common one, by position).

    Example:
        >>> infer_frequency(pd.date_range("1949-01-01", periods=12, freq="MS"))
        'MS'
        >>> infer_frequency(pd.to_datetime(["2016-07-01 00:00", "2016-07-01 00:15", "2016-07-01 00:30"]))
        '15min'
    """
    index = _as_index(timestamps)
    if len(index) < 3:
        raise DataError(f"at least 3 timestamps are needed to infer a frequency, got {len(index)}")
    _check_sorted(index)
    freq = _pandas_freq(index)
    if freq is not None:
        return freq
    step = np.diff(index.to_numpy())  # (N - 1,) timedelta64, in the index's own unit
    common = _most_common(step)
    i = int(np.flatnonzero(step != common)[0])
    raise DataError(
        "timestamps are not regularly spaced: no pandas frequency fits them; the most common step is "
        f"{pd.Timedelta(common)}, but {index[i]} (position {i}) is followed by {index[i + 1]} "
        f"(position {i + 1}), a step of {pd.Timedelta(step[i])}"
    )


def _most_common(values: np.ndarray):
    unique, counts = np.unique(values, return_counts=True)
    return unique[np.argmax(counts)]


def grid_frequency(timestamps) -> str | None:
    """The frequency of the regular grid that timestamps lie on, tolerating missing steps.

    The whole series is asked first (``pd.infer_freq``); when it has gaps, short windows of
    consecutive timestamps vote, and as a last resort the most common step is taken. Whether every
    timestamp really lies on that grid is for the caller to check.

    Args:
        timestamps: unique, increasing datetimes.

    Returns:
        A pandas offset alias, or None for fewer than 3 timestamps.

    Example:
        >>> days = pd.date_range("1984-12-25", "1985-01-05", freq="D")
        >>> grid_frequency(days.delete(6))  # 1984-12-31 missing
        'D'
    """
    index = _as_index(timestamps)
    if len(index) < 3:
        return None
    _check_sorted(index)
    freq = _pandas_freq(index)
    if freq is not None:
        return freq
    votes: Counter[str] = Counter()
    for width in (_WINDOW, 3):
        width = min(width, len(index))
        starts = np.unique(np.linspace(0, len(index) - width, num=_MAX_WINDOWS).astype(int))
        votes.update(f for f in (_pandas_freq(index[s : s + width]) for s in starts) if f is not None)
        if votes:
            return votes.most_common(1)[0][0]
    return to_offset(pd.Timedelta(_most_common(np.diff(index.to_numpy())))).freqstr


def future_timestamps(last_timestamp, freq: str, n: int) -> pd.DatetimeIndex:
    """The ``n`` timestamps that follow ``last_timestamp`` at frequency ``freq``.

    Args:
        last_timestamp: the last observed timestamp (anything ``pd.Timestamp`` accepts).
        freq: a pandas offset alias, e.g. from ``infer_frequency``.
        n: how many future timestamps (0 gives an empty index).

    Returns:
        A ``DatetimeIndex`` of length n, starting one step after ``last_timestamp``.

    Raises:
        ConfigError: ``n`` is not a non-negative integer, or ``freq`` is not an alias.

    Example:
        >>> list(future_timestamps("1960-12-01", "MS", 2).strftime("%Y-%m-%d"))
        ['1961-01-01', '1961-02-01']
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ConfigError(f"n must be a non-negative integer, got {n!r}")
    offset = _offset(freq)
    first = pd.Timestamp(last_timestamp) + offset  # anchored offsets roll to their next anchor
    return pd.date_range(start=first, periods=int(n), freq=offset)


def rows_per_day(freq: str) -> int:
    """Rows per day of a fixed frequency that divides a day: 24 for ``"h"``, 96 for ``"15min"``.

    Raises:
        ConfigError: ``freq`` is not an alias.
        DataError: the frequency has no whole number of rows per day (``"7min"``, ``"D"``...).

    Example:
        >>> rows_per_day("h"), rows_per_day("15min"), rows_per_day("10s")
        (24, 96, 8640)
    """
    offset = _offset(freq)
    try:
        step = pd.Timedelta(offset)
    except ValueError:
        step = None  # calendar offsets (months, weeks, business days) have no fixed length
    day = pd.Timedelta(days=1)
    if step is None or step <= pd.Timedelta(0) or step >= day or day % step != pd.Timedelta(0):
        raise DataError(f"frequency '{freq}' has no whole number of rows per day (it must divide one day)")
    return int(day // step)


# --------------------------------------------------------------------------------------------
# Calendar features ("timeF" of Informer/Autoformer): each scaled to [-0.5, 0.5]

_FEATURES: dict[str, Callable[[pd.DatetimeIndex], np.ndarray]] = {
    "second_of_minute": lambda t: t.second / 59.0 - 0.5,
    "minute_of_hour": lambda t: t.minute / 59.0 - 0.5,
    "hour_of_day": lambda t: t.hour / 23.0 - 0.5,
    "day_of_week": lambda t: t.dayofweek / 6.0 - 0.5,  # Monday = 0
    "day_of_month": lambda t: (t.day - 1) / 30.0 - 0.5,
    "day_of_year": lambda t: (t.dayofyear - 1) / 365.0 - 0.5,
    "month_of_year": lambda t: (t.month - 1) / 11.0 - 0.5,
    "week_of_year": lambda t: (t.isocalendar().week.to_numpy(dtype=np.float64) - 1) / 52.0 - 0.5,  # ISO week
}

_DAY = ["day_of_week", "day_of_month", "day_of_year"]
# Offset type -> features, finest first. Unlike the Informer code, month and quarter *starts*
# ("MS", "QS") are covered too, and sub-second offsets get the second-level features.
_BY_OFFSET: list[tuple[tuple[type, ...], list[str]]] = [
    ((offsets.YearBegin, offsets.YearEnd, offsets.BYearBegin, offsets.BYearEnd), []),
    (
        (offsets.QuarterBegin, offsets.QuarterEnd, offsets.BQuarterBegin, offsets.BQuarterEnd,
         offsets.MonthBegin, offsets.MonthEnd, offsets.BusinessMonthBegin, offsets.BusinessMonthEnd),
        ["month_of_year"],
    ),
    ((offsets.Week,), ["day_of_month", "week_of_year"]),
    ((offsets.Day, offsets.BusinessDay), _DAY),
    ((offsets.Hour,), ["hour_of_day", *_DAY]),
    ((offsets.Minute,), ["minute_of_hour", "hour_of_day", *_DAY]),
    (
        (offsets.Second, offsets.Milli, offsets.Micro, offsets.Nano),
        ["second_of_minute", "minute_of_hour", "hour_of_day", *_DAY],
    ),
]


def calendar_feature_names(freq: str) -> list[str]:
    """Names of the calendar features ``calendar_features`` builds for ``freq``, in column order.

    Example:
        >>> calendar_feature_names("h")
        ['hour_of_day', 'day_of_week', 'day_of_month', 'day_of_year']
    """
    offset = _offset(freq)
    for types, names in _BY_OFFSET:
        if isinstance(offset, types):
            return list(names)
    raise ConfigError(
        f"no calendar features for frequency '{freq}'; supported: seconds, minutes, hours, days, "
        "business days, weeks, months, quarters, years"
    )


def calendar_features(timestamps: pd.DatetimeIndex, freq: str) -> tuple[np.ndarray, list[str]]:
    """Known-future covariates from timestamps, as in the "timeF" embedding of Informer/Autoformer.

    Each feature is scaled to [-0.5, 0.5]:

        second_of_minute = second / 59 - 0.5          minute_of_hour = minute / 59 - 0.5
        hour_of_day      = hour / 23 - 0.5            day_of_week    = weekday / 6 - 0.5  (Monday = 0)
        day_of_month     = (day - 1) / 30 - 0.5       day_of_year    = (yday - 1) / 365 - 0.5
        month_of_year    = (month - 1) / 11 - 0.5     week_of_year   = (ISO week - 1) / 52 - 0.5

    Which features a frequency gets (the Informer choice; the coarser calendar parts only):
    sub-minute: second, minute, hour, dow, dom, doy; sub-hourly: minute, hour, dow, dom, doy;
    hourly: hour, dow, dom, doy; daily and business-daily: dow, dom, doy; weekly: dom, woy;
    monthly and quarterly: month; yearly: none.

    Args:
        timestamps: (N,) datetimes.
        freq: the series' pandas offset alias (``infer_frequency``); the offset type decides.

    Returns:
        features: (N, F) float32 array, F = 0 for yearly data.
        names: the F feature names, in column order.

    Raises:
        ConfigError: ``freq`` is not an alias, or a kind with no calendar features.

    Example:
        >>> x, names = calendar_features(pd.date_range("2016-07-01", periods=3, freq="h"), "h")
        >>> x.shape, x.dtype, names[0]
        ((3, 4), dtype('float32'), 'hour_of_day')
        >>> x[:, 0].tolist() == [-0.5, float(np.float32(1 / 23 - 0.5)), float(np.float32(2 / 23 - 0.5))]
        True
    """
    index = _as_index(timestamps)
    names = calendar_feature_names(freq)
    columns = [np.asarray(_FEATURES[name](index), dtype=np.float64) for name in names]  # F x (N,)
    if not columns:
        return np.zeros((len(index), 0), dtype=np.float32), names
    return np.stack(columns, axis=1).astype(np.float32), names  # (N, F)
