"""Regular spacing and the ``missing`` policies of read_series, on the real Melbourne, airline and
ETTh1 files, against pandas' own reindex / ffill / time interpolation."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqlab.data.series import read_series
from seqlab.errors import ConfigError, DataError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
MELBOURNE = DATA / "series" / "daily-min-temperatures.csv"
AIRLINE = DATA / "series" / "airline-passengers.csv"
ETTH1 = DATA / "ett" / "ETTh1.csv"


def _lines(path: Path) -> list[str]:
    """The file as text lines; file line k is lines[k - 1] (line 1 is the header)."""
    return path.read_text().splitlines()


def _write(tmp_path: Path, lines: list[str], name: str = "series.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _reference(path: Path, time_col: str) -> pd.Series:
    """An independent read of the first value column, indexed by time."""
    df = pd.read_csv(path)
    return pd.Series(df.iloc[:, 1].to_numpy(dtype=float), index=pd.DatetimeIndex(pd.to_datetime(df[time_col])))


# ---------------------------------------------------------------------------------- Melbourne


def test_melbourne_gaps_are_an_error_by_default():
    lines = _lines(MELBOURNE)
    assert lines[1460].startswith('"1984-12-30"') and lines[1461].startswith('"1985-01-01"')  # lines 1461, 1462
    with pytest.raises(DataError) as err:
        read_series("melbourne-temp", timestamp_col="Date")
    msg = str(err.value)
    assert "daily-min-temperatures.csv.gz" in msg
    assert "1984-12-30 00:00:00 at line 1461 is followed by 1985-01-01 00:00:00 at line 1462" in msg
    assert "a gap of 2 days 00:00:00 where the step is 'D' (expected 1984-12-31 00:00:00 next)" in msg
    assert "2 timestamp(s) of the 'D' grid are missing in all: 1984-12-31 00:00:00, 1988-12-31 00:00:00" in msg
    assert "missing='interpolate'" in msg
    with pytest.raises(DataError, match=r"daily-min-temperatures\.csv: .* at line 1461 "):
        read_series(MELBOURNE, timestamp_col="Date")  # the shared, uncompressed copy says the same


@pytest.mark.parametrize("policy", ["interpolate", "ffill"])
def test_melbourne_policies_match_pandas(policy):
    df = read_series("melbourne-temp", timestamp_col="Date", missing=policy)
    grid = pd.date_range("1981-01-01", "1990-12-31", freq="D")
    assert df.shape == (3652, 2) and len(grid) == 3652
    np.testing.assert_array_equal(df["Date"].to_numpy(), grid.to_numpy())
    raw = _reference(MELBOURNE, "Date").reindex(grid)
    expected = raw.interpolate(method="time") if policy == "interpolate" else raw.ffill()
    np.testing.assert_allclose(df["Temp"].to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)
    filled = df.set_index("Date")["Temp"]
    if policy == "interpolate":  # equal spacing: the midpoint of the two neighbours
        assert filled["1984-12-31"] == pytest.approx((16.4 + 13.3) / 2)
        assert filled["1988-12-31"] == pytest.approx((14.1 + 14.3) / 2)
    else:
        assert filled["1984-12-31"] == 16.4 and filled["1988-12-31"] == 14.1


@pytest.mark.parametrize("policy", ["error", "ffill", "interpolate"])
def test_regular_series_are_unchanged_by_any_policy(policy):
    df = read_series("airline", timestamp_col="Month", missing=policy)  # months of 28..31 days
    assert df.shape == (144, 2)
    np.testing.assert_array_equal(df["Passengers"].to_numpy(), _reference(AIRLINE, "Month").to_numpy())


# ---------------------------------------------------------------------------------- missing values


def _melbourne_head(cells: dict[int, str]) -> list[str]:
    """The first 60 data lines of Melbourne, with the value at some file lines replaced."""
    lines = _lines(MELBOURNE)[:61]
    for line_no, value in cells.items():
        lines[line_no - 1] = lines[line_no - 1].split(",")[0] + "," + value
    return lines


def test_nan_is_an_error_naming_column_and_line(tmp_path):
    path = _write(tmp_path, _melbourne_head({10: ""}))
    with pytest.raises(DataError, match=r"missing \(NaN\) value in column 'Temp' at line 10 .*missing='ffill'") as err:
        read_series(path, timestamp_col="Date")
    assert str(path) in str(err.value)


def test_nan_policies_inside_and_at_the_ends(tmp_path):
    lines = _melbourne_head({})
    values = [float(line.split(",")[1]) for line in lines[1:]]  # values[k] is file line k + 2
    path = _write(tmp_path, _melbourne_head({10: "", 11: "nan", 61: ""}))
    ffill = read_series(path, timestamp_col="Date", missing="ffill")["Temp"].to_numpy()
    assert ffill[8] == ffill[9] == values[7] and ffill[59] == values[58]  # lines 10, 11, 61 <- 9, 60
    interp = read_series(path, timestamp_col="Date", missing="interpolate")["Temp"].to_numpy()
    assert interp[8] == pytest.approx(values[7] + (values[10] - values[7]) / 3)
    assert interp[9] == pytest.approx(values[7] + 2 * (values[10] - values[7]) / 3)
    assert interp[59] == values[58]  # trailing: the nearest value
    np.testing.assert_array_equal(np.delete(interp, [8, 9, 59]), np.delete(values, [8, 9, 59]))


def test_nan_in_the_first_row(tmp_path):
    lines = _melbourne_head({})
    path = _write(tmp_path, _melbourne_head({2: ""}))
    with pytest.raises(DataError, match=r"column 'Temp' at line 2 cannot be forward-filled: it is in the first row"):
        read_series(path, timestamp_col="Date", missing="ffill")
    interp = read_series(path, timestamp_col="Date", missing="interpolate")["Temp"]
    assert interp.iloc[0] == float(lines[2].split(",")[1])  # leading: the nearest value (line 3)


def test_all_missing_column_and_infinity(tmp_path):
    lines = _melbourne_head({k: "" for k in range(2, 62)})
    with pytest.raises(DataError, match=r"column 'Temp' has no values at all"):
        read_series(_write(tmp_path, lines), timestamp_col="Date", missing="interpolate")
    with pytest.raises(DataError, match=r"infinite value \(inf\) in column 'Temp' at line 7 "):
        read_series(_write(tmp_path, _melbourne_head({7: "inf"})), timestamp_col="Date", missing="ffill")


def test_no_timestamp_column_interpolates_by_row(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("a,b\n1,10\n,\n3,\n")
    df = read_series(path, timestamp_col=None, missing="interpolate")
    assert df.to_numpy().tolist() == [[1.0, 10.0], [2.0, 10.0], [3.0, 10.0]]


def test_unknown_policy():
    with pytest.raises(ConfigError, match=r"missing must be one of 'error', 'ffill', 'interpolate', got 'drop'"):
        read_series("airline", timestamp_col="Month", missing="drop")


# ---------------------------------------------------------------------------------- gaps


def test_monthly_gap_is_interpolated_linearly_in_time(tmp_path):
    lines = _lines(AIRLINE)
    assert lines[19].startswith('"1950-07"')  # file line 20
    path = _write(tmp_path, lines[:19] + lines[20:])
    expected = r"1950-06-01 00:00:00 at line 19 is followed by 1950-08-01 00:00:00 at line 20, a gap of 61 days"
    with pytest.raises(DataError, match=expected + r".* step is 'MS' \(expected 1950-07-01 00:00:00 next\)"):
        read_series(path, timestamp_col="Month")
    df = read_series(path, timestamp_col="Month", missing="interpolate")
    assert df.shape == (144, 2)
    raw = _reference(path, "Month").reindex(pd.date_range("1949-01-01", periods=144, freq="MS"))
    np.testing.assert_allclose(df["Passengers"].to_numpy(), raw.interpolate(method="time").to_numpy())
    june, aug = raw["1950-06-01"], raw["1950-08-01"]
    assert df["Passengers"].iloc[18] == pytest.approx(june + (aug - june) * 30 / 61)  # June has 30 days


def test_gap_and_nan_together_follow_time(tmp_path):
    lines = _lines(ETTH1)[:200]
    lines[12] = ",".join(lines[12].split(",")[:-1] + [""])  # line 13: OT missing
    path = _write(tmp_path, lines[:11] + lines[12:])  # line 12 (2016-07-01 10:00) removed
    df = read_series(path, columns=["OT"], missing="interpolate")
    assert df.shape == (199, 2)
    ot = pd.read_csv(ETTH1, nrows=199)["OT"].to_numpy()  # an independent read of the whole rows
    assert df["date"].iloc[10] == pd.Timestamp("2016-07-01 10:00:00")  # the inserted row
    assert df["OT"].iloc[10] == pytest.approx(ot[9] + (ot[12] - ot[9]) / 3)  # rows 10:00 and 11:00
    assert df["OT"].iloc[11] == pytest.approx(ot[9] + 2 * (ot[12] - ot[9]) / 3)
    np.testing.assert_array_equal(np.delete(df["OT"].to_numpy(), [10, 11]), np.delete(ot, [10, 11]))


def test_off_grid_timestamp(tmp_path):
    lines = _lines(ETTH1)[:200]
    assert lines[49].startswith("2016-07-03 00:00:00")  # file line 50
    lines[49] = "2016-07-03 00:30:00" + lines[49][len("2016-07-03 00:00:00") :]
    path = _write(tmp_path, lines)
    with pytest.raises(DataError) as err:
        read_series(path)
    msg = str(err.value)
    assert str(path) in msg and "2016-07-02 23:00:00 at line 49 is followed by 2016-07-03 00:30:00 at line 50" in msg
    assert "a gap of 0 days 01:30:00 where the step is 'h'" in msg and "not on the 'h' grid" in msg
    expected = r"timestamp 2016-07-03 00:30:00 in column 'date' at line 50 is not on the regular 'h' grid"
    with pytest.raises(DataError, match=expected):
        read_series(path, missing="interpolate")


def test_a_gap_too_large_to_fill(tmp_path):
    lines = _lines(ETTH1)[:21]
    lines[20] = "2017" + lines[20][4:]  # the last row jumps a year ahead
    with pytest.raises(DataError, match=r"line 20 to 2017-07-01 19:00:00 at line 21\); resample"):
        read_series(_write(tmp_path, lines), missing="ffill")
