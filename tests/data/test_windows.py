"""Splits, scaling and windows of ETTh1 (seqlab.data.windows), against independent computations.

The names are imported from seqlab.data.series, where other code has always imported them from.
"""

import json

import numpy as np
import pandas as pd
import pytest

from seqlab.data.series import (
    StandardScaler,
    ett_borders,
    ett_rows_per_day,
    fraction_borders,
    make_windows,
    read_series,
)
from seqlab.errors import ConfigError, DataError

COLUMNS = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]


@pytest.fixture(scope="module")
def etth1() -> pd.DataFrame:
    return read_series("etth1")


# ---------------------------------------------------------------------------------- splits


@pytest.mark.parametrize("lookback", [96, 336, 512])
def test_ett_borders_are_the_published_ones(lookback):
    L = lookback
    assert ett_borders(17420, L) == [(0, 8640), (8640 - L, 11520), (11520 - L, 14400)]
    assert ett_borders(69680, L, rows_per_day=96) == [(0, 34560), (34560 - L, 46080), (46080 - L, 57600)]


def test_ett_window_counts_match_published_loaders(etth1):
    # Informer/Autoformer data loaders report 8449 / 2785 / 2785 windows for ETTh1 with L = H = 96.
    values = etth1[COLUMNS].to_numpy()
    counts = [len(make_windows(values[a:b], 96, 96, [0], [6])[0]) for a, b in ett_borders(len(values), 96)]
    assert counts == [8449, 2785, 2785]


def test_ett_borders_errors():
    with pytest.raises(DataError, match=r"at least .* 14400 rows .* has 14399"):
        ett_borders(14399, 96)
    with pytest.raises(ConfigError, match="lookback"):
        ett_borders(17420, 0)


def test_fraction_borders_on_etth1(etth1):
    n, L = len(etth1), 96
    (t0, t1), (v0, v1), (s0, s1) = fraction_borders(n, L)
    n_train, n_test = int(n * 0.7), int(n * 0.2)
    assert (t0, t1) == (0, n_train)
    assert (v0, v1) == (n_train - L, n - n_test)
    assert (s0, s1) == (n - n_test - L, n)
    assert fraction_borders(1000, 10, (0.5, 0.2, 0.2)) == [(0, 500), (490, 700), (690, 900)]
    with pytest.raises(ConfigError, match="fractions"):
        fraction_borders(1000, 10, (0.7, 0.3, 0.2))
    with pytest.raises(DataError, match="lookback 100"):
        fraction_borders(100, 100)


# ---------------------------------------------------------------------------------- scaling


def test_scaler_matches_numpy_on_train_rows(etth1):
    train = etth1[COLUMNS].to_numpy()[:8640]
    scaler = StandardScaler().fit(train)
    np.testing.assert_allclose(scaler.mean_, np.mean(train, axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, np.std(train, axis=0, ddof=0), rtol=1e-12)
    z = scaler.transform(train)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=1e-10)
    np.testing.assert_allclose(scaler.inverse_transform(z), train, rtol=1e-12, atol=1e-12)


def test_scaler_round_trips_through_json(etth1):
    values = etth1[COLUMNS].to_numpy()
    scaler = StandardScaler().fit(values[:8640])
    again = StandardScaler.from_dict(json.loads(json.dumps(scaler.to_dict())))
    np.testing.assert_array_equal(again.transform(values), scaler.transform(values))
    # Works on windows (..., C) and keeps float32.
    w = values[:10].astype(np.float32).reshape(2, 5, 7)
    assert again.transform(w).dtype == np.float32 and again.transform(w).shape == (2, 5, 7)


def test_scaler_edge_cases():
    x = np.array([[1.0, 0.1], [3.0, 0.1], [5.0, 0.1]])
    scaler = StandardScaler().fit(x)
    assert scaler.scale_[1] == 1.0  # constant column: no division by zero
    np.testing.assert_allclose(scaler.transform(x)[:, 1], 0.0, atol=1e-15)
    with pytest.raises(DataError, match="fitted on 2 column"):
        scaler.transform(np.zeros((4, 3)))
    with pytest.raises(DataError, match="non-finite value at row 1, column 0"):
        StandardScaler().fit(np.array([[0.0], [np.nan]]))
    with pytest.raises(DataError, match="'mean' and 'scale'"):
        StandardScaler.from_dict({"mean": [0.0]})


# ---------------------------------------------------------------------------------- windows


def test_make_windows_equals_direct_slicing(etth1):
    values = etth1[COLUMNS].to_numpy()[11520 - 96 : 14400]
    L, H, inputs, targets = 96, 48, [0, 2, 6], [6]
    X, Y = make_windows(values, L, H, inputs, targets)
    n = len(values) - L - H + 1
    assert X.shape == (n, L, 3) and Y.shape == (n, H, 1)
    assert X.dtype == np.float32 and Y.dtype == np.float32
    rng = np.random.default_rng(0)
    for i in [0, n - 1, *rng.integers(0, n, size=8)]:
        np.testing.assert_array_equal(X[i], values[i : i + L][:, inputs].astype(np.float32))
        np.testing.assert_array_equal(Y[i], values[i + L : i + L + H][:, targets].astype(np.float32))
    np.testing.assert_array_equal(Y[-1, -1], values[-1, targets].astype(np.float32))  # last row used


def test_make_windows_too_short():
    X, Y = make_windows(np.arange(10.0).reshape(5, 2), 3, 2, [0, 1], [1])
    assert X.shape == (1, 3, 2) and Y.tolist() == [[[7.0], [9.0]]]
    with pytest.raises(DataError, match=r"4 rows are too few .* needs at least 5 rows"):
        make_windows(np.zeros((4, 2)), 3, 2, [0], [1])
    with pytest.raises(ConfigError, match=r"target_cols \[7\] out of range"):
        make_windows(np.zeros((10, 2)), 3, 2, [0], [7])


# ---------------------------------------------------------------------------------- ETT rows per day


def test_ett_rows_per_day(etth1):
    assert ett_rows_per_day(etth1["date"]) == 24
    # A 15-minute series: a slice of ETTh1 resampled to quarter hours.
    quarter = etth1.set_index("date").iloc[:300].resample("15min").interpolate()
    assert len(quarter) == 4 * 299 + 1
    assert ett_rows_per_day(quarter.index) == 96
    n = 20 * 30 * 96
    assert ett_borders(n, 96, rows_per_day=ett_rows_per_day(quarter.index))[2] == (46080 - 96, 57600)


@pytest.mark.parametrize(("name", "time_col", "freq"), [("airline", "Month", "MS"), ("melbourne-temp", "Date", "D")])
def test_ett_rows_per_day_names_the_detected_spacing(name, time_col, freq):
    stamps = read_series(name, timestamp_col=time_col, missing="interpolate")[time_col]
    with pytest.raises(DataError, match=rf"ETT split needs hourly or 15-minute .* detected spacing is '{freq}'"):
        ett_rows_per_day(stamps)


def test_ett_rows_per_day_other_sub_daily_spacing(etth1):
    two_hourly = etth1["date"].iloc[::2]
    with pytest.raises(DataError, match=r"detected spacing is '2h'"):
        ett_rows_per_day(two_hourly)


def test_names_importable_from_series_are_the_windows_ones():
    from seqlab.data import series, windows

    for name in ("StandardScaler", "ett_borders", "ett_rows_per_day", "fraction_borders", "make_windows"):
        assert getattr(series, name) is getattr(windows, name)
