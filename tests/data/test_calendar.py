"""Frequencies, future timestamps and calendar features on the shipped series, against independent
computations with the standard library's datetime."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from seqlab.data.calendar import (
    calendar_feature_names,
    calendar_features,
    future_timestamps,
    grid_frequency,
    infer_frequency,
    rows_per_day,
)
from seqlab.data.registry import builtin_info, open_text, resolve
from seqlab.data.series import read_series
from seqlab.errors import ConfigError, DataError


def _stamps(name: str, missing: str = "error") -> pd.DatetimeIndex:
    info = builtin_info(name)
    return pd.DatetimeIndex(read_series(name, timestamp_col=info.timestamp_col, missing=missing)[info.timestamp_col])


# ---------------------------------------------------------------------------------- frequencies


@pytest.mark.parametrize(
    ("name", "freq"),
    [("etth1", "h"), ("etth2", "h"), ("airline", "MS"), ("sunspots", "MS"), ("melbourne-temp", "D")],
)
def test_infer_frequency_of_every_shipped_series(name, freq):
    stamps = _stamps(name, missing=builtin_info(name).missing)
    assert infer_frequency(stamps) == freq
    assert infer_frequency(stamps[:3]) == freq  # three are enough
    assert grid_frequency(stamps) == freq


def test_infer_frequency_of_sub_hourly_and_weekly():
    hourly = _stamps("etth1")[:200]
    quarter = pd.Series(0.0, index=hourly).resample("15min").asfreq().index
    assert infer_frequency(quarter) == "15min"
    assert infer_frequency(_stamps("etth1")[:: 24 * 7]) == "W-FRI"  # 2016-07-01 was a Friday


def test_infer_frequency_errors_name_the_irregular_step():
    with pytest.raises(DataError, match="at least 3 timestamps are needed to infer a frequency, got 2"):
        infer_frequency(_stamps("airline")[:2])
    melbourne = pd.DatetimeIndex(pd.read_csv(resolve("melbourne-temp"))["Date"])
    expected = (
        r"not regularly spaced: .* the most common step is 1 days 00:00:00, but 1984-12-30 00:00:00 "
        r"\(position 1459\) is followed by 1985-01-01 00:00:00 \(position 1460\), a step of 2 days"
    )
    with pytest.raises(DataError, match=expected):
        infer_frequency(melbourne)
    assert grid_frequency(melbourne) == "D"  # the gaps do not hide the grid
    with pytest.raises(DataError, match="unique and increasing"):
        infer_frequency(melbourne[::-1])


def test_grid_frequency_with_gaps_in_calendar_series():
    months = _stamps("sunspots")
    assert grid_frequency(months.delete([5, 100, 2000])) == "MS"
    business = pd.bdate_range("2020-01-01", periods=60)
    assert grid_frequency(business.delete([7, 30])) == "B"


def test_future_timestamps():
    stamps = _stamps("etth1")
    future = future_timestamps(stamps[-1], infer_frequency(stamps), 3)
    assert list(future) == [pd.Timestamp("2018-06-26 20:00"), pd.Timestamp("2018-06-26 21:00"),
                            pd.Timestamp("2018-06-26 22:00")]
    months = _stamps("airline")
    assert list(future_timestamps(months[-1], "MS", 2)) == [pd.Timestamp("1961-01-01"), pd.Timestamp("1961-02-01")]
    # The future continues the series: the last k of a series follow the first N - k.
    sunspots = _stamps("sunspots")
    assert future_timestamps(sunspots[-13], "MS", 12).equals(sunspots[-12:].rename(None).as_unit("ns"))
    assert len(future_timestamps(months[-1], "MS", 0)) == 0
    with pytest.raises(ConfigError, match="n must be a non-negative integer, got -1"):
        future_timestamps(months[-1], "MS", -1)
    with pytest.raises(ConfigError, match="'fortnightly' is not a pandas frequency alias"):
        future_timestamps(months[-1], "fortnightly", 1)


def test_rows_per_day():
    assert [rows_per_day(f) for f in ("h", "15min", "30min", "2h", "s")] == [24, 96, 48, 12, 86400]
    for freq in ("D", "MS", "7min", "W-SUN", "B"):
        with pytest.raises(DataError, match=f"frequency '{freq}' has no whole number of rows per day"):
            rows_per_day(freq)


# ---------------------------------------------------------------------------------- calendar features


def _timef(t: dt.datetime, name: str) -> float:
    """The Informer "timeF" value of one feature, computed with the standard library only."""
    return {
        "second_of_minute": t.second / 59 - 0.5,
        "minute_of_hour": t.minute / 59 - 0.5,
        "hour_of_day": t.hour / 23 - 0.5,
        "day_of_week": t.weekday() / 6 - 0.5,
        "day_of_month": (t.day - 1) / 30 - 0.5,
        "day_of_year": (t.timetuple().tm_yday - 1) / 365 - 0.5,
        "month_of_year": (t.month - 1) / 11 - 0.5,
        "week_of_year": (t.isocalendar()[1] - 1) / 52 - 0.5,
    }[name]


def test_hourly_features_of_etth1_first_rows():
    with open_text(resolve("etth1")) as fh:
        lines = [next(fh) for _ in range(49)]
    first = [dt.datetime.fromisoformat(line.split(",")[0]) for line in lines[1:]]  # parsed independently
    stamps = _stamps("etth1")[:48]
    x, names = calendar_features(stamps, "h")
    assert names == ["hour_of_day", "day_of_week", "day_of_month", "day_of_year"]
    assert x.shape == (48, 4) and x.dtype == np.float32
    expected = np.array([[_timef(t, n) for n in names] for t in first], dtype=np.float32)
    np.testing.assert_array_equal(x, expected)
    # 2016-07-01 00:00 is a Friday, day 183 of a leap year.
    np.testing.assert_allclose(x[0], [-0.5, 4 / 6 - 0.5, -0.5, 182 / 365 - 0.5], rtol=1e-6)


@pytest.mark.parametrize(
    ("name", "freq", "expected"),
    [
        ("etth1", "15min", ["minute_of_hour", "hour_of_day", "day_of_week", "day_of_month", "day_of_year"]),
        ("etth1", "10s", ["second_of_minute", "minute_of_hour", "hour_of_day", "day_of_week", "day_of_month",
                          "day_of_year"]),
        ("melbourne-temp", "D", ["day_of_week", "day_of_month", "day_of_year"]),
        ("melbourne-temp", "W-SUN", ["day_of_month", "week_of_year"]),
        ("airline", "MS", ["month_of_year"]),
        ("sunspots", "QS", ["month_of_year"]),
        ("sunspots", "YS", []),
    ],
)
def test_features_per_frequency(name, freq, expected):
    stamps = _stamps(name, missing="interpolate")[:400]
    stamps = pd.Series(0.0, index=stamps).resample(freq).asfreq().index[:400]
    x, names = calendar_features(stamps, freq)
    assert names == expected == calendar_feature_names(freq)
    assert x.shape == (len(stamps), len(expected)) and x.dtype == np.float32
    assert x.size == 0 or (x.min() >= -0.5 and x.max() <= 0.5)
    reference = [[_timef(t.to_pydatetime(), n) for n in names] for t in stamps]
    np.testing.assert_allclose(x, np.array(reference, dtype=np.float32).reshape(x.shape), rtol=0, atol=1e-7)


def test_feature_errors():
    with pytest.raises(ConfigError, match="'nope' is not a pandas frequency alias"):
        calendar_features(_stamps("airline"), "nope")
    with pytest.raises(DataError, match="timestamps must be datetimes"):
        calendar_features(object(), "h")
