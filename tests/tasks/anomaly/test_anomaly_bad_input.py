"""Bad input gets a clear error naming the file, line, key or size, before anything is written."""

from __future__ import annotations

import json
import shutil

import pytest

from seqlab.data.nab import read_label_windows, read_nab_series
from seqlab.errors import ConfigError, DataError, RunDirError
from seqlab.tasks.anomaly import run
from seqlab.tasks.anomaly.config import AnomalyConfig, build_config

SPEED = "realTraffic/speed_7578.csv"


@pytest.fixture
def nab(shared_data):
    return shared_data / "anomaly" / "nab"


def _lines(nab, n=None):
    return (nab / SPEED).read_text(encoding="utf-8").splitlines()[:n]


def test_bad_series_files(nab, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="empty.csv: empty file"):
        read_nab_series(empty)
    header = tmp_path / "header.csv"
    header.write_text("timestamp,value\n")
    with pytest.raises(DataError, match="no data rows"):
        read_nab_series(header)
    lines = _lines(nab, 50)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("\n".join(["time,value"] + lines[1:]))
    with pytest.raises(DataError, match="column 'timestamp' not found.*found: time, value"):
        read_nab_series(wrong)
    nan = tmp_path / "nan.csv"
    nan.write_text("\n".join(lines[:10] + [lines[10].split(",")[0] + ",nan"] + lines[11:]))
    with pytest.raises(DataError, match=r"nan.csv: missing \(NaN\) value in column 'value' at line 11"):
        read_nab_series(nan)
    text = tmp_path / "text.csv"
    text.write_text("\n".join(lines[:5] + [lines[5].split(",")[0] + ",fast"] + lines[6:]))
    with pytest.raises(DataError, match="non-numeric value 'fast'.*line 6"):
        read_nab_series(text)
    back = tmp_path / "back.csv"
    back.write_text("\n".join(lines[:5] + [lines[2]] + lines[5:]))
    with pytest.raises(DataError, match="line 6 is earlier than"):
        read_nab_series(back)
    with pytest.raises(DataError, match="not a file"):
        read_nab_series(tmp_path / "missing.csv")


def test_bad_labels(nab, tmp_path):
    labels = nab / "labels" / "combined_windows.json"
    # a copy outside its folder is found by its file name when one entry has it
    assert read_label_windows(labels, "elsewhere/speed_7578.csv") == read_label_windows(labels, SPEED)
    twice = tmp_path / "twice.json"
    twice.write_text(json.dumps({"a/x.csv": [], "b/x.csv": []}))
    with pytest.raises(DataError, match="no entry for 'c/x.csv'.*a/x.csv, b/x.csv"):
        read_label_windows(twice, "c/x.csv")
    with pytest.raises(DataError, match="no entry for 'c/nothing.csv'"):
        read_label_windows(labels, "c/nothing.csv")
    bad = tmp_path / "labels.json"
    bad.write_text(json.dumps({SPEED: [["2015-09-11 17:54:00", "2015-09-11 15:34:00"]]}))
    with pytest.raises(DataError, match="window 1: starts at 2015-09-11 17:54:00, after its end"):
        read_label_windows(bad, SPEED)
    bad.write_text(json.dumps({SPEED: [["2015-09-11 15:34:00"]]}))
    with pytest.raises(DataError, match=r"must be a \[start, end\] pair"):
        read_label_windows(bad, SPEED)
    bad.write_text("[1, 2")
    with pytest.raises(DataError, match="not valid JSON"):
        read_label_windows(bad, SPEED)
    bad.write_text(json.dumps({SPEED: [["soon", "later"]]}))
    with pytest.raises(DataError, match="unreadable timestamp"):
        read_label_windows(bad, SPEED)


def test_bad_configs_and_short_series(nab, tmp_path):
    with pytest.raises(ConfigError, match="unknown model 'transformer'"):
        build_config(None, [], data="x.csv", model="transformer")
    with pytest.raises(ConfigError, match="unknown key `threshold.level`"):
        build_config(None, ["threshold.level=3"], data="x.csv")
    short = tmp_path / "short.csv"
    short.write_text("\n".join(_lines(nab, 301)))  # 300 rows: a probationary period of 45
    with pytest.raises(DataError, match=r"short.csv: 300 rows.*has 45, 31 to train.*needs 65 training"):
        run.fit(AnomalyConfig(data={"path": str(short)}, model="lstm-forecast"), tmp_path / "run")
    assert not (tmp_path / "run").exists()
    with pytest.raises(ConfigError, match="multiple of 4"):
        run.fit(AnomalyConfig(data={"path": str(nab / SPEED), "fit_fraction": 0.5},
                              model={"name": "conv-ae", "window": 30}), tmp_path / "run")
    with pytest.raises(RunDirError, match="not a seqlab run directory"):
        run.score(tmp_path, nab / SPEED, nab / "labels" / "combined_windows.json")


def test_a_series_without_labels_and_an_existing_run(nab, tmp_path):
    out = tmp_path / "run"
    run.fit(AnomalyConfig(data={"path": str(nab / SPEED)}, model={"name": "zscore"}), out)
    copied = tmp_path / "elsewhere" / "speed_7578.csv"  # found by its file name, scored the same
    copied.parent.mkdir()
    shutil.copy(nab / SPEED, copied)
    labels = nab / "labels" / "combined_windows.json"
    assert run.score(out, copied, labels)["f1"] == run.score(out, nab / SPEED, labels)["f1"]
    renamed = tmp_path / "elsewhere" / "speed_unlabelled.csv"
    shutil.copy(nab / SPEED, renamed)
    with pytest.raises(DataError, match="no entry for 'elsewhere/speed_unlabelled.csv'"):
        run.score(out, renamed, labels)
    with pytest.raises(RunDirError, match="already exists"):
        run.fit(AnomalyConfig(data={"path": str(nab / SPEED)}, model="zscore"), out)
