"""UCR/UEA readers on the real archive files: .ts as shipped, .tsv and .arff written from them, and bad files."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.data.ucr import interpolate_missing, read_series, resolve_pair
from seqlab.errors import DataError


@pytest.fixture(scope="module")
def ucr(shared_data):
    return shared_data / "ucr"


def _data_lines(path):
    lines = path.read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip().lower() == "@data")
    return [l for l in lines[start + 1:] if l.strip()]


def test_ts_univariate_and_multivariate_sizes(ucr):
    gun = read_series(ucr / "GunPoint" / "GunPoint_TRAIN.ts")
    assert (len(gun), gun.dims, set(gun.lengths)) == (50, 1, {150})
    assert gun.class_labels == ["1", "2"] and sorted(set(gun.labels)) == ["1", "2"]
    first = _data_lines(ucr / "GunPoint" / "GunPoint_TRAIN.ts")[0]
    np.testing.assert_array_equal(gun.series[0][:, 0], np.array(first.rsplit(":", 1)[0].split(","), dtype=float))
    assert gun.labels[0] == first.rsplit(":", 1)[1]
    motions = read_series(ucr / "BasicMotions" / "BasicMotions_TEST.ts")
    assert (len(motions), motions.dims, set(motions.lengths)) == (40, 6, {100})
    assert motions.class_labels == ["Standing", "Running", "Walking", "Badminton"]
    line = _data_lines(ucr / "BasicMotions" / "BasicMotions_TEST.ts")[3].split(":")
    np.testing.assert_array_equal(motions.series[3][:, 5], np.array(line[5].split(","), dtype=float))


def test_ts_unequal_lengths(ucr):
    vowels = read_series(ucr / "JapaneseVowels" / "JapaneseVowels_TRAIN.ts")
    assert (len(vowels), vowels.dims, vowels.equal_length) == (270, 12, False)
    assert (min(vowels.lengths), max(vowels.lengths)) == (7, 26)
    raw = _data_lines(ucr / "JapaneseVowels" / "JapaneseVowels_TRAIN.ts")
    assert [len(l.split(":")[0].split(",")) for l in raw] == vowels.lengths
    assert not any(np.isnan(s).any() for s in vowels.series)


def test_tsv_with_nan_padding_equals_ts(ucr, tmp_path):
    vowels = read_series(ucr / "JapaneseVowels" / "JapaneseVowels_TRAIN.ts")
    width = max(vowels.lengths)
    path = tmp_path / "Vowel0_TRAIN.tsv"
    rows = [f"{float(label):.7e}\t" + "\t".join([repr(float(v)) for v in s[:, 0]] + ["NaN"] * (width - len(s)))
            for s, label in zip(vowels.series, vowels.labels)]
    path.write_text("\n".join(rows) + "\n")
    tsv = read_series(path)
    assert tsv.labels == vowels.labels and tsv.lengths == vowels.lengths and tsv.dims == 1
    for a, b in zip(tsv.series, vowels.series):
        np.testing.assert_array_equal(a[:, 0], b[:, 0])


def test_arff_univariate_and_relational_equal_ts(ucr, tmp_path):
    power = read_series(ucr / "ItalyPowerDemand" / "ItalyPowerDemand_TRAIN.ts")
    T = power.lengths[0]
    text = ["@relation ItalyPowerDemand", *[f"@attribute att{t} numeric" for t in range(T)],
            "@attribute target {1,2}", "@data"]
    text += [",".join(repr(float(v)) for v in s[:, 0]) + f",{label}" for s, label in zip(power.series, power.labels)]
    (tmp_path / "Power_TRAIN.arff").write_text("\n".join(text) + "\n")
    arff = read_series(tmp_path / "Power_TRAIN.arff")
    assert arff.labels == power.labels and arff.class_labels == ["1", "2"]
    np.testing.assert_array_equal(np.stack(arff.series), np.stack(power.series))

    motions = read_series(ucr / "BasicMotions" / "BasicMotions_TRAIN.ts")
    T = motions.lengths[0]
    text = ["@relation BasicMotions", "@attribute relationalAtt relational",
            *[f"@attribute t{t} numeric" for t in range(T)], "@end relationalAtt",
            "@attribute activity {Standing,Running,Walking,Badminton}", "@data"]
    for s, label in list(zip(motions.series, motions.labels))[:6]:
        dims = "\\n".join(",".join(repr(float(v)) for v in s[:, d]) for d in range(s.shape[1]))
        text.append(f"'{dims}',{label}")
    (tmp_path / "Motions_TRAIN.arff").write_text("\n".join(text) + "\n")
    rel = read_series(tmp_path / "Motions_TRAIN.arff")
    assert rel.dims == 6 and rel.labels == motions.labels[:6]
    np.testing.assert_array_equal(np.stack(rel.series), np.stack(motions.series[:6]))


def test_missing_values_are_nan_and_interpolate(tmp_path):
    path = tmp_path / "Toy_TRAIN.ts"
    path.write_text("@problemName Toy\n@missing true\n@classLabel true a b\n@data\n1,?,3,?,?:a\n4,5,6,7,8:b\n")
    s = read_series(path)
    assert s.lengths == [3, 5]  # the trailing '?' are the first series' padding
    assert np.isnan(s.series[0][1, 0])
    assert interpolate_missing(s.series[0])[:, 0].tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("body, message", [
    ("", "the file is empty"),
    ("@problemName X\n@classLabel true a b\n@data\n", "no series after the header"),
    ("@classLabel true a b\n@data\n1,2,3:a\n1,2,3:1,2,3:b\n", ":4: 2 dimension(s), but earlier series have 1"),
    ("@classLabel true a b\n@data\n1,2,3:a\n1,2,3:c\n", ":4: class label 'c' is not among the declared labels"),
    ("@classLabel true a b\n@data\n1,x,3:a\n", ":3: 'x' is not a number"),
    ("@targetLabel true\n@data\n1,2,3:0.5\n", "a regression file"),
    ("@dimensions 2\n@classLabel true a\n@data\n1,2:a\n", "the header says @dimensions 2, the data has 1"),
    ("@equalLength true\n@seriesLength 3\n@classLabel true a\n@data\n1,2,3:a\n1,2:a\n", ":6: 2 values"),
    ("1,2,3\n", "expected a header line"),
])
def test_bad_ts_files_name_file_and_line(tmp_path, body, message):
    path = tmp_path / "Bad_TRAIN.ts"
    path.write_text(body)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        read_series(path)
    assert str(path) in str(err.value)


def test_bad_paths(tmp_path, ucr):
    with pytest.raises(DataError, match="no such file"):
        read_series(tmp_path / "nope.ts")
    (tmp_path / "x.csv").write_text("1,2\n")
    with pytest.raises(DataError, match="unknown format '.csv'"):
        read_series(tmp_path / "x.csv")
    with pytest.raises(DataError, match="no \\*_TRAIN.ts"):
        resolve_pair(tmp_path)
    train, test = resolve_pair(ucr / "OSULeaf")
    assert (train.name, test.name) == ("OSULeaf_TRAIN.ts", "OSULeaf_TEST.ts")
    assert resolve_pair(ucr / "OSULeaf" / "OSULeaf_TRAIN.ts") == (train, test)


def test_header_flags_in_any_case_and_time_stamped_values(tmp_path):
    plain = tmp_path / "plain.ts"
    plain.write_text("@problemName Toy\n@classLabel True a b\n@data\n1,2,3:a\n4,5,6:b\n")
    stamped = tmp_path / "stamped.ts"
    stamped.write_text("@problemName Toy\n@timeStamps true\n@classLabel true a b\n@data\n"
                       "(2007-01-01 00:00:00,1),(2007-01-01 01:00:00,2),(2007-01-01 02:00:00,3):a\n"
                       "(2007-01-01 00:00:00,4),(2007-01-01 01:00:00,5),(2007-01-01 02:00:00,6):b\n")
    for path in (plain, stamped):
        s = read_series(path)
        assert s.labels == ["a", "b"], path
        assert [x[:, 0].tolist() for x in s.series] == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], path
