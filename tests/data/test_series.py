"""Reading and validating ETTh1: every error names the file, the line and the column."""

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqlab.data.series import read_series
from seqlab.errors import DataError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ETTH1 = DATA / "ett" / "ETTh1.csv"
COLUMNS = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]


@pytest.fixture(scope="module")
def etth1() -> pd.DataFrame:
    return read_series("etth1")


@pytest.fixture(scope="module")
def lines() -> list[str]:
    """ETTh1.csv as text lines; lines[0] is the header, i.e. file line k is lines[k - 1]."""
    return ETTH1.read_text().splitlines()


def _write(tmp_path: Path, lines: list[str], name: str = "bad.csv") -> Path:
    path = tmp_path / name
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def _set_cell(lines: list[str], line_no: int, column: str, value: str) -> list[str]:
    out = list(lines)
    header = out[0].split(",")
    fields = out[line_no - 1].split(",")
    fields[header.index(column)] = value
    out[line_no - 1] = ",".join(fields)
    return out


# ---------------------------------------------------------------------------------- reading


def test_etth1_reads_whole(etth1):
    assert etth1.shape == (17420, 8)
    assert list(etth1.columns) == ["date", *COLUMNS]
    assert (etth1[COLUMNS].dtypes == np.float64).all()
    assert pd.api.types.is_datetime64_dtype(etth1["date"])
    assert etth1["date"].iloc[0] == pd.Timestamp("2016-07-01 00:00:00")
    assert etth1["date"].iloc[-1] == pd.Timestamp("2018-06-26 19:00:00")
    assert etth1["date"].is_monotonic_increasing and etth1["date"].is_unique
    assert (etth1["date"].diff().iloc[1:] == pd.Timedelta(hours=1)).all()
    reference = pd.read_csv(ETTH1)  # independent read of the shared, uncompressed copy
    np.testing.assert_array_equal(etth1[COLUMNS].to_numpy(), reference[COLUMNS].to_numpy())


def test_packaged_and_shared_copies_read_the_same(etth1):
    pd.testing.assert_frame_equal(read_series(ETTH1), etth1)


def test_column_subset_keeps_requested_order(etth1):
    df = read_series("etth1", columns=["OT", "HUFL"])
    assert list(df.columns) == ["date", "OT", "HUFL"]
    df = df[["OT", "HUFL"]]
    np.testing.assert_array_equal(df.to_numpy(), etth1[["OT", "HUFL"]].to_numpy())


def test_missing_column_lists_available():
    with pytest.raises(DataError, match=r"column 'XYZ' not found; available columns: HUFL, HULL, .*, OT") as err:
        read_series("etth1", columns=["OT", "XYZ"])
    assert "ETTh1.csv.gz" in str(err.value)
    with pytest.raises(DataError, match=r"timestamp column 'time' not found; available columns: date, HUFL"):
        read_series("etth1", timestamp_col="time")


@pytest.mark.parametrize(
    ("cell", "pattern"),
    [("", r"missing \(NaN\) value"), ("nan", r"missing \(NaN\) value"), ("inf", r"infinite value \(inf\)")],
)
def test_non_finite_cell_names_column_and_line(tmp_path, lines, cell, pattern):
    path = _write(tmp_path, _set_cell(lines, 101, "OT", cell))
    with pytest.raises(DataError, match=rf"{pattern} in column 'OT' at line 101 ") as err:
        read_series(path)
    assert str(path) in str(err.value)


def test_text_cell_names_column_and_line(tmp_path, lines):
    bad = _set_cell(_set_cell(lines, 2345, "HULL", "abc"), 9000, "HULL", "x1")
    path = _write(tmp_path, bad)
    with pytest.raises(DataError, match=r"non-numeric value 'abc' in column 'HULL' at line 2345 \(2 such"):
        read_series(path)
    # A column not asked for is not checked.
    assert read_series(path, columns=["OT"]).shape == (17420, 2)


def test_gzipped_copy_reports_the_same_line(tmp_path, lines):
    path = _write(tmp_path, _set_cell(lines, 17421, "LULL", "?"), name="bad.csv.gz")
    with pytest.raises(DataError, match=r"non-numeric value '\?' in column 'LULL' at line 17421"):
        read_series(path)


def test_duplicated_timestamp(tmp_path, lines):
    bad = list(lines)
    bad[499] = bad[498].split(",")[0] + "," + bad[499].split(",", 1)[1]  # line 500 repeats line 499's date
    expected = r"duplicate timestamp 2016-07-21 17:00:00 in column 'date' at line 500 \(same as line 499\)"
    with pytest.raises(DataError, match=expected):
        read_series(_write(tmp_path, bad))


def test_non_monotonic_timestamp(tmp_path, lines):
    bad = list(lines)
    bad[699], bad[700] = bad[700], bad[699]  # swap file lines 700 and 701
    expected = (
        r"timestamp 2016-07-30 02:00:00 in column 'date' at line 701 "
        r"is earlier than 2016-07-30 03:00:00 at line 700"
    )
    with pytest.raises(DataError, match=expected):
        read_series(_write(tmp_path, bad))


def test_unparseable_and_missing_timestamps(tmp_path, lines):
    with pytest.raises(DataError, match=r"cannot parse timestamp 'yesterday' in column 'date' at line 42"):
        read_series(_write(tmp_path, _set_cell(lines, 42, "date", "yesterday")))
    with pytest.raises(DataError, match=r"missing timestamp in column 'date' at line 43"):
        read_series(_write(tmp_path, _set_cell(lines, 43, "date", "")))


def test_blank_lines(tmp_path, lines):
    head = lines[:201]
    assert read_series(_write(tmp_path, head + ["", ""])).shape == (200, 8)  # trailing: ignored
    with pytest.raises(DataError, match=r"at line 101"):
        read_series(_write(tmp_path, head[:100] + [""] + head[100:]))  # inside: reported


def test_empty_and_header_only(tmp_path, lines):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.csv: empty file"):
        read_series(empty)
    with pytest.raises(DataError, match=r"no data rows"):
        read_series(_write(tmp_path, lines[:1]))


def test_no_timestamp_column(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("a,b\n1,2\n3,4.5\n")
    df = read_series(path, timestamp_col=None)
    assert list(df.index) == [0, 1] and df.to_numpy().tolist() == [[1.0, 2.0], [3.0, 4.5]]


def test_parquet(tmp_path, etth1):
    path = tmp_path / "etth1.parquet"
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        path.write_bytes(b"PAR1 not really")
        with pytest.raises(DataError, match=r"etth1\.parquet: reading Parquet needs pyarrow"):
            read_series(path)
        return
    etth1.to_parquet(path)
    pd.testing.assert_frame_equal(read_series(path), etth1)
