"""Forecast data set-up on real series: ETT borders, train-only scaling, windows, M/S/MS, bad inputs."""

import numpy as np
import pandas as pd
import pytest
import torch

from seqlab.errors import ConfigError, DataError
from seqlab.tasks.forecasting.config import ForecastData, build_config
from seqlab.tasks.forecasting.data import history_inputs, prepare_series

COLUMNS = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]


@pytest.fixture(scope="module")
def etth1_raw(shared_data) -> pd.DataFrame:
    return pd.read_csv(shared_data / "ett" / "ETTh1.csv", parse_dates=["date"])


@pytest.fixture
def head_csv(tmp_path, etth1_raw):
    """Write the first ``n`` rows of ETTh1, after ``edit(frame)``, to a CSV in tmp_path; returns its path."""

    def write(edit=None, n=300, name="head.csv"):
        frame = etth1_raw.iloc[:n].copy()
        frame["date"] = frame["date"].dt.strftime("%Y-%m-%d %H:%M:%S").astype(object)
        if edit is not None:
            frame = edit(frame)
        path = tmp_path / name
        frame.to_csv(path, index=False)
        return path

    return write


# --------------------------------------------------------------------------------------------
# ETT borders and the scaler


@pytest.mark.parametrize("lookback", [96, 336])
def test_etth1_borders_and_train_only_scaler(etth1_raw, lookback):
    setup = prepare_series(ForecastData(path="etth1", features="M", lookback=lookback, horizon=24))
    assert setup.data.split == "ett"
    assert setup.borders == [(0, 8640), (8640 - lookback, 11520), (11520 - lookback, 14400)]
    assert setup.columns == COLUMNS and setup.targets == COLUMNS
    raw = etth1_raw[COLUMNS].to_numpy()
    np.testing.assert_allclose(setup.values, raw)
    train_mean = etth1_raw[COLUMNS].iloc[:8640].mean().to_numpy()
    train_std = etth1_raw[COLUMNS].iloc[:8640].std(ddof=0).to_numpy()
    np.testing.assert_allclose(setup.scaler.mean_, train_mean, rtol=1e-12)
    np.testing.assert_allclose(setup.scaler.scale_, train_std, rtol=1e-12)
    full_mean = etth1_raw[COLUMNS].mean().to_numpy()
    assert np.all(np.abs(setup.scaler.mean_ - full_mean) > 1e-3)  # not fitted on the whole series
    # the training rows are standardised, the later rows are not (OT drifts down over the series)
    z = setup.scaled
    np.testing.assert_allclose(z[:8640].mean(axis=0), 0, atol=1e-5)
    assert abs(z[11520:14400, COLUMNS.index("OT")].mean()) > 0.3


def test_15_minute_ett_file_gets_4x_borders(tmp_path, etth1_raw):
    """ETTh1's OT upsampled to 15 minutes (linear between the hours) has ETTm-sized borders."""
    hourly = etth1_raw.set_index("date")["OT"]
    quarter = hourly.resample("15min").interpolate()  # 4 * 17419 + 1 rows
    assert len(quarter) >= 57600
    path = tmp_path / "ETTm_from_h1.csv"
    quarter.reset_index().to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    L = 96
    setup = prepare_series(ForecastData(path=str(path), lookback=L, horizon=96))
    assert setup.data.split == "ett" and setup.freq == "15min" and setup.season == 96
    assert setup.borders == [(0, 34560), (34560 - L, 46080), (46080 - L, 57600)]
    np.testing.assert_allclose(setup.scaler.mean_, [quarter.iloc[:34560].mean()], rtol=1e-12)
    # the same file with split "ett" spelled out, and a daily file that has no ETT borders
    spelled = prepare_series(ForecastData(path=str(path), lookback=L, horizon=96, split="ett"))
    assert spelled.borders == setup.borders
    with pytest.raises(DataError, match="hourly or 15-minute"):
        prepare_series(ForecastData(path="melbourne-temp", lookback=30, horizon=7, split="ett"))


def test_fraction_and_count_splits_on_airline():
    setup = prepare_series(ForecastData(path="airline", lookback=24, horizon=12, split=[0.6, 0.2, 0.2]))
    n_train, n_test = int(144 * 0.6), int(144 * 0.2)
    val_end = 144 - n_test
    assert setup.borders == [(0, n_train), (n_train - 24, val_end), (val_end - 24, 144)]
    default = prepare_series(ForecastData(path="airline", lookback=24, horizon=12))
    assert default.data.split == [0.7, 0.1, 0.2]
    counts = prepare_series(ForecastData(path="airline", lookback=12, horizon=6, split="96,24,24"))
    assert counts.borders == [(0, 96), (84, 120), (108, 144)]
    with pytest.raises(DataError, match="needs 150 rows"):
        prepare_series(ForecastData(path="airline", lookback=12, horizon=6, split="100,25,25"))


# --------------------------------------------------------------------------------------------
# Windows


@pytest.mark.parametrize("lookback,horizon", [(96, 24), (48, 336)])
def test_test_split_windows_none_dropped(etth1_raw, lookback, horizon):
    L, H = lookback, horizon
    setup = prepare_series(ForecastData(path="etth1", features="M", lookback=L, horizon=H))
    test = setup.dataset("test")
    assert len(test) == (14400 - (11520 - L)) - L - H + 1
    assert setup.rows("test") == (11520 - L, 14400)
    raw = etth1_raw[COLUMNS]
    z = ((raw - raw.iloc[:8640].mean()) / raw.iloc[:8640].std(ddof=0)).to_numpy()  # independent scaling
    # the last window: its target ends at row 14400 - 1, its lookback just before its first target row
    x, y = test[len(test) - 1]
    np.testing.assert_allclose(y.numpy(), z[14400 - H:14400], atol=1e-5)
    np.testing.assert_allclose(x["x"].numpy(), z[14400 - H - L:14400 - H], atol=1e-5)
    # the first window's lookback is the end of the validation rows, its target the first test row on
    x0, y0 = test[0]
    np.testing.assert_allclose(x0["x"].numpy(), z[11520 - L:11520], atol=1e-5)
    np.testing.assert_allclose(y0.numpy(), z[11520:11520 + H], atol=1e-5)
    # targets() and inputs() agree with item-by-item access
    targets, inputs = test.targets(), test.inputs()
    assert targets.shape == (len(test), H, 7) and inputs.shape == (len(test), L, 7)
    for i in (0, 17, len(test) - 1):
        np.testing.assert_array_equal(targets[i], test[i][1].numpy())
        np.testing.assert_array_equal(inputs[i], test[i][0]["x"].numpy())


# --------------------------------------------------------------------------------------------
# M / S / MS, covariates, calendar marks


def test_feature_settings_choose_inputs_and_targets():
    L, H = 48, 24
    m = prepare_series(ForecastData(path="etth1", features="M", lookback=L, horizon=H))
    s = prepare_series(ForecastData(path="etth1", features="S", lookback=L, horizon=H))
    ms = prepare_series(ForecastData(path="etth1", features="MS", lookback=L, horizon=H))
    s_hufl = prepare_series(ForecastData(path="etth1", features="S", target="HUFL", lookback=L, horizon=H))
    assert (m.columns, m.targets) == (COLUMNS, COLUMNS)
    assert (s.columns, s.targets) == (["OT"], ["OT"])  # the built-in's target
    assert (ms.columns, ms.targets) == (COLUMNS, ["OT"])
    assert (s_hufl.columns, s_hufl.targets) == (["HUFL"], ["HUFL"])
    for setup, c, k in ((m, 7, 7), (s, 1, 1), (ms, 7, 1), (s_hufl, 1, 1)):
        x, y = setup.dataset("val")[0]
        assert tuple(x["x"].shape) == (L, c) and tuple(y.shape) == (H, k)
        assert "marks" not in x
        assert (setup.shape.n_inputs, setup.shape.n_targets) == (c, k)
    # MS: the target is the OT column of the same rows the inputs come from
    x, y = ms.dataset("train")[5]
    np.testing.assert_array_equal(y.numpy()[:, 0], ms.scaled[5 + L:5 + L + H, 6])
    # a CSV's default target is its last column
    other = prepare_series(ForecastData(path="airline", lookback=12, horizon=6))
    assert other.targets == ["Passengers"]


def test_covariates_are_inputs_only_and_calendar_adds_marks():
    L, H = 48, 24
    cov = prepare_series(ForecastData(path="etth1", features="S", covariates=["HUFL", "MUFL"], lookback=L,
                                      horizon=H, calendar=True))
    assert cov.columns == ["OT", "HUFL", "MUFL"] and cov.targets == ["OT"]
    assert cov.mark_names and cov.marks.shape == (17420, len(cov.mark_names))
    x, y = cov.dataset("test")[3]
    assert tuple(x["x"].shape) == (L, 3) and tuple(y.shape) == (H, 1)
    assert tuple(x["marks"].shape) == (L + H, len(cov.mark_names))  # the future steps' marks too
    start = cov.rows("test")[0]
    np.testing.assert_array_equal(x["marks"].numpy(), cov.marks[start + 3:start + 3 + L + H])
    # M with covariates: the covariates are read, never forecast
    m = prepare_series(ForecastData(path="etth1", features="M", covariates=["HUFL"], lookback=L, horizon=H))
    assert m.columns == COLUMNS and m.targets == [c for c in COLUMNS if c != "HUFL"]
    assert m.shape.target_idx == tuple(range(1, 7))
    with pytest.raises(ConfigError, match="both the target and a covariate"):
        prepare_series(ForecastData(path="etth1", features="S", target="OT", covariates=["OT"], lookback=L,
                                    horizon=H))
    # the hour of day and weekday marks follow the timestamps
    stamps = cov.timestamps
    assert stamps[0] == pd.Timestamp("2016-07-01 00:00:00")
    changes = np.diff(cov.marks, axis=0)
    assert np.count_nonzero(np.abs(changes).sum(axis=1)) == len(changes)  # every hour differs


def test_history_inputs_standardise_the_last_lookback_rows(etth1_raw):
    setup = prepare_series(ForecastData(path="etth1", features="MS", lookback=48, horizon=24, calendar=True))
    state = setup.state()
    frame = etth1_raw.iloc[:1000]
    item, future = history_inputs(frame, state)
    expected = setup.scaler.transform(frame[COLUMNS].to_numpy()[-48:])
    np.testing.assert_allclose(item["x"][0].numpy(), expected, rtol=1e-6)
    assert list(future) == list(pd.date_range(frame["date"].iloc[-1], periods=25, freq="h")[1:])
    assert tuple(item["marks"].shape) == (1, 72, len(setup.mark_names))
    np.testing.assert_allclose(item["marks"][0].numpy(), setup.marks[1000 - 48:1000 + 24], atol=1e-6)
    assert item["x"].dtype == torch.float32
    with pytest.raises(DataError, match="lookback = 48"):
        history_inputs(frame.iloc[:40], state)


# --------------------------------------------------------------------------------------------
# Bad input: each a DataError or ConfigError that names the file, row or column


def _set(col, row, value):
    def edit(frame):
        frame[col] = frame[col].astype(object)
        frame.loc[row, col] = value
        return frame
    return edit


BAD_FILES = {
    "unparseable timestamp": (_set("date", 10, "2016-07-01 hh:00"), r"cannot parse timestamp.*'date' at line 12"),
    "non-monotonic": (lambda f: f.iloc[[*range(10), 11, 10, *range(12, len(f))]],
                      r"earlier than .* at line 12; rows must be sorted"),
    "duplicated": (_set("date", 11, "2016-07-01 10:00:00"), r"duplicate timestamp 2016-07-01 10:00:00 .* line 13"),
    "irregular spacing": (lambda f: f.drop(index=50), r"not regularly spaced.*line 51.*2016-07-03 02:00:00"),
    "nan": (_set("OT", 20, np.nan), r"missing \(NaN\) value in column 'OT' at line 22"),
    "non-numeric": (_set("HUFL", 30, "five"), r"non-numeric value 'five' in column 'HUFL' at line 32"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_a_data_error_naming_file_and_line(head_csv, case):
    edit, message = BAD_FILES[case]
    path = head_csv(edit)
    with pytest.raises(DataError, match=message) as info:
        prepare_series(ForecastData(path=str(path), features="M", lookback=24, horizon=12))
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_policies_fill_nan_and_gaps(head_csv, etth1_raw):
    ot = etth1_raw["OT"].to_numpy()
    path = head_csv(_set("OT", 20, np.nan))
    filled = prepare_series(ForecastData(path=str(path), lookback=24, horizon=12, missing="ffill"))
    assert filled.values[20, 0] == ot[19]
    interp = prepare_series(ForecastData(path=str(path), lookback=24, horizon=12, missing="interpolate"))
    assert interp.values[20, 0] == pytest.approx((ot[19] + ot[21]) / 2)
    np.testing.assert_array_equal(np.delete(interp.values[:, 0], 20), np.delete(ot[:300], 20))
    gap = head_csv(lambda f: f.drop(index=[50, 51]), name="gap.csv")
    grid = prepare_series(ForecastData(path=str(gap), features="M", lookback=24, horizon=12, missing="interpolate"))
    assert len(grid.values) == 300 and grid.freq == "h"
    np.testing.assert_allclose(grid.values[51, 6], ot[49] + 2 * (ot[52] - ot[49]) / 3)


def test_short_series_unknown_target_and_bad_splits(head_csv):
    path = str(head_csv())
    with pytest.raises(DataError, match="short.csv: the training split has 70 rows, not more than the lookback 96"):
        prepare_series(ForecastData(path=str(head_csv(n=100, name="short.csv")), lookback=96, horizon=24))
    setup = prepare_series(ForecastData(path=path, lookback=24, horizon=48, split=[0.8, 0.1, 0.1]))
    with pytest.raises(DataError, match=r"val split of .*head.csv has 54 rows, too few for one window of lookback 24"):
        setup.dataset("val")
    with pytest.raises(DataError, match="column 'Temp' not found; value columns: HUFL, HULL"):
        prepare_series(ForecastData(path=path, target="Temp", lookback=24, horizon=12))
    with pytest.raises(DataError, match="column 'load' not found"):
        prepare_series(ForecastData(path=path, covariates=["load"], lookback=24, horizon=12))
    for split, message in (("0.7,abc,0.2", "three fractions"), ("0.7,0.3", "three positive numbers"),
                           ("0.7,0.3,0.2", "sum to at most 1"), ("0.7,-0.1,0.2", "three positive numbers"),
                           ("ETT", "split must be 'ett'")):
        with pytest.raises(ConfigError, match=message) as info:
            build_config(None, [], data=path, split=split)
        assert "data.split" in str(info.value)
    with pytest.raises(ConfigError, match="`model`: .*unknown model 'lstmm'; choose one of lstm, gru") as info:
        build_config(None, [], data=path, model="lstmm")
    assert "literal" not in str(info.value) and "function-after" not in str(info.value)
    with pytest.raises(ConfigError, match=r"^command line: unknown key `model.hiden`$"):
        build_config(None, ["model.hiden=16"], data=path, model="gru")
    assert build_config(None, ["model.hidden=16"], data=path, model="gru").model.hidden == 16
    with pytest.raises(ConfigError, match="model 'auto' chooses its candidates' settings itself"):
        build_config(None, ["model.hidden=16"], data=path, model="auto")
    with pytest.raises(ConfigError, match="train, val, test"):
        setup.dataset("validation")


# --------------------------------------------------------------------------------------------
# The step index a learned cycle reads its phase from


def test_every_split_gives_each_window_its_absolute_step_index(head_csv, etth1_raw):
    """A file that starts at 07:00, split by fractions: the phase of every window is its hour of day."""
    path = head_csv(edit=lambda f: f.iloc[7:].reset_index(drop=True), n=707)  # starts 2016-07-01 07:00
    setup = prepare_series(ForecastData(path=str(path), lookback=24, horizon=12, split=[0.7, 0.1, 0.2]))
    for split in ("train", "val", "test"):
        start = setup.rows(split)[0]
        dataset = setup.dataset(split)
        for i in (0, 5, len(dataset) - 1):
            tau = int(dataset[i][0]["tau"])
            assert tau % 24 == setup.timestamps[start + i].hour, (split, i)
    frame = etth1_raw.iloc[7:707].reset_index(drop=True)
    state = setup.state()
    item, _ = history_inputs(frame, state)
    assert int(item["tau"][0]) % 24 == frame["date"].iloc[-24].hour  # predict reads the same phase


@pytest.mark.parametrize("freq, season", [("h", 24), ("15min", 96), ("D", 7), ("B", 5), ("W-SUN", 52),
                                          ("MS", 12), ("QS-JAN", 4), ("YS", None)])
def test_season_of_each_frequency(freq, season):
    from seqlab.tasks.forecasting.data import season_of

    assert season_of(freq) == season


def test_business_days_count_business_days():
    from seqlab.tasks.forecasting.data import step_index

    days = pd.bdate_range("2024-01-05", periods=4)  # Fri, Mon, Tue, Wed
    steps = step_index(days, "B", 4)
    assert np.diff(steps).tolist() == [1, 1, 1]
    assert step_index(pd.date_range("2024-01-01", periods=3, freq="h", tz="Europe/Paris"), "h", 3).tolist() == \
        step_index(pd.date_range("2023-12-31 23:00", periods=3, freq="h"), "h", 3).tolist()  # tz-aware: UTC steps
