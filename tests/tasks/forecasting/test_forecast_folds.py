"""Rolling-origin folds on the lengths of ETTh1 (17,420 rows) and the airline series (144 months)."""

import dataclasses
import itertools

import numpy as np
import pytest

from seqlab.data.series import make_windows, read_series
from seqlab.errors import ConfigError, DataError
from seqlab.tasks.forecasting.folds import Fold, rolling_origin


@pytest.fixture(scope="module")
def etth1() -> np.ndarray:
    df = read_series("etth1")
    return df.drop(columns="date").to_numpy()  # (17420, 7)


@pytest.fixture(scope="module")
def airline(shared_data) -> np.ndarray:
    df = read_series(shared_data / "series" / "airline-passengers.csv", timestamp_col="Month")
    return df[["Passengers"]].to_numpy()  # (144, 1)


def _check_invariants(folds, n_rows, lookback, horizon, test_size, step, min_train, expanding):
    """What every set of folds must satisfy, written out independently of the implementation."""
    assert folds[-1].test[1] == n_rows
    origins = [f.origin for f in folds]
    assert np.all(np.diff(origins) == step)
    for f in folds:
        assert f.train[1] == f.origin == f.test[0] + lookback  # no test target is a training row
        assert f.test[1] - f.origin == test_size >= horizon
        assert 0 <= f.train[0] < f.train[1] and 0 <= f.test[0]
        assert f.train[1] - f.train[0] >= min_train
    lengths = [f.train[1] - f.train[0] for f in folds]
    if expanding:
        assert all(f.train[0] == 0 for f in folds)
    else:
        assert len(set(lengths)) == 1


def test_etth1_default_is_one_forecast_per_origin(etth1):
    folds = rolling_origin(len(etth1), lookback=96, horizon=24, folds=5)
    assert [f.origin for f in folds] == [17300, 17324, 17348, 17372, 17396]
    assert folds[0] == Fold(train=(0, 17300), test=(17204, 17324))
    for f in folds:
        X, Y = make_windows(etth1[f.test[0] : f.test[1]], 96, 24, list(range(7)), list(range(7)))
        assert X.shape == (1, 96, 7) and Y.shape == (1, 24, 7)
        np.testing.assert_array_equal(X[0], etth1[f.origin - 96 : f.origin].astype(np.float32))
        np.testing.assert_array_equal(Y[0], etth1[f.origin : f.origin + 24].astype(np.float32))


def test_etth1_month_long_test_ranges_cut_the_expected_windows(etth1):
    folds = rolling_origin(len(etth1), lookback=336, horizon=96, folds=4, test_size=720)
    _check_invariants(folds, len(etth1), 336, 96, 720, 720, 336 + 96, expanding=True)
    for f in folds:
        X, Y = make_windows(etth1[f.test[0] : f.test[1]], 336, 96, [6], [6])
        assert Y.shape == (720 - 96 + 1, 96, 1)
        assert Y[0, 0, 0] == np.float32(etth1[f.origin, 6])  # the first target is the origin row
        assert Y[-1, -1, 0] == np.float32(etth1[f.test[1] - 1, 6])  # the last is the range's end
        # every training window's target ends before the origin
        _, Y_train = make_windows(etth1[f.train[0] : f.train[1]], 336, 96, [6], [6])
        assert Y_train[-1, -1, 0] == np.float32(etth1[f.origin - 1, 6])


def test_sliding_window_keeps_its_length(etth1):
    slide = rolling_origin(len(etth1), lookback=96, horizon=24, folds=3, test_size=720, expanding=False)
    grow = rolling_origin(len(etth1), lookback=96, horizon=24, folds=3, test_size=720)
    assert slide[0] == grow[0]  # the first fold is the same either way
    assert [f.train for f in slide] == [(0, 15260), (720, 15980), (1440, 16700)]
    assert [f.test for f in slide] == [f.test for f in grow]
    fixed = rolling_origin(
        len(etth1), lookback=96, horizon=24, folds=3, test_size=720, expanding=False, train_size=8640
    )
    assert [f.train for f in fixed] == [(6620, 15260), (7340, 15980), (8060, 16700)]


def test_invariants_on_the_airline_length(airline):
    n, fitted = len(airline), 0
    grid = itertools.product([12, 24], [1, 12], [1, 3, 9], [None, 24], [None, 6, 30], [None, 40], [True, False])
    for lookback, horizon, folds, test_size, step, min_train, expanding in grid:
        ts = test_size or horizon
        needed = max(min_train or lookback + horizon, lookback) + ts + (folds - 1) * (step or ts)
        kwargs = dict(test_size=test_size, step=step, min_train=min_train, expanding=expanding)
        if n < needed:  # too short only when the arithmetic says so
            with pytest.raises(DataError, match=f"= {needed} rows are needed"):
                rolling_origin(n, lookback=lookback, horizon=horizon, folds=folds, **kwargs)
            continue
        out = rolling_origin(n, lookback=lookback, horizon=horizon, folds=folds, **kwargs)
        assert len(out) == folds
        _check_invariants(out, n, lookback, horizon, ts, step or ts, min_train or lookback + horizon, expanding)
        fitted += 1
    assert 0 < fitted < 288  # the grid covers both outcomes


def test_airline_yearly_origins_and_windows(airline):
    assert airline.shape == (144, 1)
    folds = rolling_origin(len(airline), lookback=24, horizon=12, folds=3, test_size=12)
    assert [f.origin for f in folds] == [108, 120, 132]  # January of 1958, 1959 and 1960
    assert [f.test for f in folds] == [(84, 120), (96, 132), (108, 144)]
    X, Y = make_windows(airline[folds[-1].test[0] : folds[-1].test[1]], 24, 12, [0], [0])
    np.testing.assert_array_equal(Y[0, :, 0], airline[132:, 0].astype(np.float32))  # all of 1960


def test_airline_too_short_says_how_many_rows_are_needed(airline):
    # 36 rows before the first origin + 12 + 8 * 12 = 144: nine yearly folds fit exactly
    assert len(rolling_origin(144, lookback=24, horizon=12, folds=9)) == 9
    with pytest.raises(DataError, match=r"144 rows is too short for 10 fold\(s\).*= 156 rows are needed"):
        rolling_origin(len(airline), lookback=24, horizon=12, folds=10)
    with pytest.raises(DataError, match=r"120 row\(s\) before the first origin .* = 156 rows are needed"):
        rolling_origin(len(airline), lookback=24, horizon=12, folds=3, test_size=12, min_train=120)
    with pytest.raises(DataError, match="= 150 rows are needed"):
        rolling_origin(len(airline), lookback=24, horizon=12, folds=2, expanding=False, train_size=126)


def test_overlapping_and_gapped_test_ranges():
    overlap = rolling_origin(17420, lookback=96, horizon=24, folds=3, test_size=48, step=24)
    assert [f.test for f in overlap] == [(17228, 17372), (17252, 17396), (17276, 17420)]
    gaps = rolling_origin(17420, lookback=96, horizon=24, folds=2, step=100)
    assert [f.origin for f in gaps] == [17296, 17396]


def test_fold_is_frozen():
    fold = rolling_origin(144, lookback=12, horizon=12, folds=1)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fold.train = (0, 1)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lookback": 0}, "lookback must be a positive integer, got 0"),
        ({"horizon": 2.5}, "horizon must be a positive integer, got 2.5"),
        ({"folds": True}, "folds must be a positive integer, got True"),
        ({"step": -1}, "step must be a positive integer, got -1"),
        ({"test_size": 6}, "test_size 6 is shorter than the horizon 12"),
        ({"train_size": 50}, "pass expanding=False"),
        ({"train_size": 20, "expanding": False}, "train_size 20 is smaller than min_train 24"),
    ],
)
def test_config_errors_name_the_argument(kwargs, message):
    args = {"lookback": 12, "horizon": 12, "folds": 2} | kwargs
    with pytest.raises(ConfigError, match=message):
        rolling_origin(144, **args)
