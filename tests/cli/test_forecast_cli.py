"""``seqlab forecast`` end to end with typer's CliRunner, on real series and slices of them."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from seqlab.cli.main import app
from cli_json import one_json as _json, result_json

runner = CliRunner()
AIRLINE = ["--data", "airline", "--features", "S", "--lookback", "24", "--horizon", "12", "--split", "0.6,0.2,0.2"]




@pytest.fixture(scope="module")
def etth1_raw(shared_data) -> pd.DataFrame:
    return pd.read_csv(shared_data / "ett" / "ETTh1.csv")


def test_train_evaluate_predict_json(tmp_path, shared_data):
    out = tmp_path / "run"
    trained = result_json(runner.invoke(app, ["forecast", "train", *AIRLINE, "--model", "gru", "--set", "model.hidden=16",
                                        "--epochs", "2", "--out", str(out), "--json"]))
    assert {"mse", "mae", "original", "baselines", "val", "model"} <= set(trained)
    assert trained["model"] == "gru" and trained["epochs"] == 2 and trained["run_dir"] == str(out)
    assert {"naive", "mean", "seasonal-naive"} == set(trained["baselines"])
    assert {"mse", "mae", "mape", "smape", "mase"} <= set(trained["original"])

    evaluated = result_json(runner.invoke(app, ["forecast", "evaluate", str(out), "--split", "test", "--json"]))
    assert evaluated["mse"] == trained["mse"] and evaluated["mae"] == trained["mae"]
    assert evaluated["original"] == trained["original"] and evaluated["windows"] == trained["windows"] == 17
    val = result_json(runner.invoke(app, ["forecast", "evaluate", str(out), "--split", "val", "--json"]))
    assert val["mse"] == trained["val"]["mse"]

    history = tmp_path / "history.csv"
    pd.read_csv(shared_data / "series" / "airline-passengers.csv").iloc[:120].to_csv(history, index=False)
    pred = tmp_path / "pred" / "forecast.csv"
    listed = _json(runner.invoke(app, ["forecast", "predict", str(out), "--history", str(history), "--out", str(pred),
                                       "--json"]))
    assert listed["rows"] == 12 and listed["out"] == str(pred)
    frame = pd.read_csv(pred)
    assert list(frame.columns) == ["Month", "Passengers"]
    assert list(frame["Month"]) == [f"1959-{m:02d}-01" for m in range(1, 13)]  # history ends 1958-12
    assert np.isfinite(frame["Passengers"]).all()
    assert [r["Passengers"] for r in listed["forecast"]] == pytest.approx(list(frame["Passengers"]), rel=1e-12)
    assert [p.name for p in pred.parent.iterdir()] == ["forecast.csv"]  # written atomically, no temp file left

    table = runner.invoke(app, ["forecast", "predict", str(out), "--history", str(history), "--out", str(pred), "--overwrite"])
    assert table.exit_code == 0, table.output
    assert "1959-12-01" in table.stdout and "written" in table.stdout


def test_etth1_ett_split_reports_every_test_window(tmp_path):
    """ETTh1 by the ETT protocol (M, L=96, H=24): 2785 test windows, scored against the baselines."""
    out = tmp_path / "naive"
    trained = result_json(runner.invoke(app, ["forecast", "train", "--data", "etth1", "--features", "M", "--lookback", "96",
                                        "--horizon", "24", "--model", "naive", "--split", "ett", "--out", str(out),
                                        "--json"]))
    windows = (14400 - (11520 - 96)) - 96 - 24 + 1
    assert trained["windows"] == windows and trained["mse"] == trained["baselines"]["naive"]["mse"]
    assert trained["val"]["windows"] == (11520 - (8640 - 96)) - 96 - 24 + 1
    evaluated = result_json(runner.invoke(app, ["forecast", "evaluate", str(out), "--split", "test", "--json"]))
    assert evaluated["windows"] == windows and evaluated["mse"] == trained["mse"]
    assert set(evaluated) >= {"mse", "mae", "original", "baselines"}
    table = runner.invoke(app, ["forecast", "evaluate", str(out)])
    assert table.exit_code == 0 and "naive" in table.stdout and "mse" in table.stdout


def test_auto_table_output_and_refusal_of_an_existing_run(tmp_path):
    out = tmp_path / "auto"
    result = runner.invoke(app, ["forecast", "train", *AIRLINE, "--epochs", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "auto: validation (chosen:" in result.stdout and "segrnn" in result.stdout
    assert "run directory:" in result.stdout and out.name in result.stdout
    chosen = json.loads((out / "metrics.json").read_text())["selection"]["chosen"]
    assert f"chosen: {chosen}" in result.stdout
    again = runner.invoke(app, ["forecast", "train", *AIRLINE, "--model", "naive", "--out", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output and "Traceback" not in again.output
    replaced = result_json(runner.invoke(app, ["forecast", "train", *AIRLINE, "--model", "naive", "--out", str(out),
                                         "--overwrite", "--json"]))
    assert replaced["model"] == "naive" and "selection" not in replaced


def test_backtest_json_and_table(tmp_path, etth1_raw):
    path = tmp_path / "ETTh1_head.csv"
    etth1_raw.iloc[:600].to_csv(path, index=False)
    args = ["forecast", "backtest", "--data", str(path), "--features", "S", "--lookback", "48", "--horizon", "24",
            "--model", "linear", "--epochs", "1", "--folds", "2", "--test-size", "48"]
    refit = _json(runner.invoke(app, [*args, "--json"]))
    once = _json(runner.invoke(app, [*args, "--no-refit", "--json"]))
    assert refit["refit"] is True and once["refit"] is False
    for result in (refit, once):
        assert [f["test"] for f in result["folds"]] == [[456, 552], [504, 600]]
        assert result["mean"]["mse"] == pytest.approx(np.mean([f["mse"] for f in result["folds"]]), rel=1e-12)
    assert refit["folds"][0]["mse"] == once["folds"][0]["mse"]  # same first model; later ones differ
    table = runner.invoke(app, [*args, "--sliding"])
    assert table.exit_code == 0, table.output
    assert "Backtest (linear, refit)" in table.stdout and "mean" in table.stdout


def _edit(col, row, value):
    def edit(frame):
        frame[col] = frame[col].astype(object)
        frame.loc[row, col] = value
        return frame
    return edit


# (how the file is broken, extra options, what the message must say)
BAD = {
    "timestamp": (_edit("date", 10, "2016-07-01 hh:00"), [],
                  r"cannot parse timestamp '2016-07-01 hh:00' in column 'date' at line 12"),
    "order": (lambda f: f.iloc[[*range(10), 11, 10, *range(12, len(f))]], [],
              r"at line 13 is earlier than .* at line 12"),
    "duplicate": (_edit("date", 11, "2016-07-01 10:00:00"), [], r"duplicate timestamp .* at line 13"),
    "spacing": (lambda f: f.drop(index=50), [], r"not regularly spaced: .* at line 51"),
    "nan": (_edit("OT", 20, np.nan), [], r"missing \(NaN\) value in column 'OT' at line 22"),
    "non-numeric": (_edit("HULL", 30, "n/a?"), ["--features", "M"],
                    r"non-numeric value 'n/a\?' in column 'HULL' at line 32"),
    "short": (lambda f: f.iloc[:100], ["--lookback", "96"],
              r"training split has 70 rows, not more than the lookback 96"),
    "short-val": (None, ["--lookback", "24", "--horizon", "48", "--split", "0.8,0.1,0.1"],
                  r"the val split of .*slice.csv has 54 rows, too few for one window"),
    "target": (None, ["--target", "Temp"], r"column 'Temp' not found; value columns: HUFL"),
    "split": (None, ["--split", "0.7;0.1;0.2"], r"`data.split`: .*three fractions"),
    "model": (None, ["--model", "lstmm"], r"`model`: .*unknown model 'lstmm'"),
    "model-key": (None, ["--model", "gru", "--set", "model.hiden=3"], r"^error: command line: unknown key `model.hiden`$"),
    "features": (None, ["--features", "X"], r"`data.features`: Input should be 'M', 'S' or 'MS'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_one_line(tmp_path, etth1_raw, case):
    edit, options, message = BAD[case]
    frame = etth1_raw.iloc[:300].copy()
    path = tmp_path / "slice.csv"
    (frame if edit is None else edit(frame)).to_csv(path, index=False)
    out = tmp_path / "run"
    base = {"--lookback": "24", "--horizon": "12", "--split": "0.7,0.1,0.2", "--model": "naive"}
    for key, value in zip(options[::2], options[1::2]):
        base[key] = value
    result = runner.invoke(app, ["forecast", "train", "--data", str(path), *[x for kv in base.items() for x in kv],
                                 "--out", str(out), "--json"])
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert re.search(message, lines[0]), lines[0]
    if case not in ("split", "model", "model-key", "features"):
        assert "slice.csv" in lines[0]  # names the file
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["slice.csv"]


def test_missing_policy_option_fixes_nan(tmp_path, etth1_raw):
    frame = _edit("OT", 20, np.nan)(etth1_raw.iloc[:300].copy())
    path = tmp_path / "slice.csv"
    frame.to_csv(path, index=False)
    for policy in ("ffill", "interpolate"):
        result = result_json(runner.invoke(app, ["forecast", "train", "--data", str(path), "--lookback", "24", "--horizon",
                                           "12", "--model", "naive", "--missing", policy, "--out",
                                           str(tmp_path / policy), "--json"]))
        assert np.isfinite(result["mse"])


def test_bad_run_dir_history_and_split_name(tmp_path, etth1_raw):
    result = runner.invoke(app, ["forecast", "evaluate", str(tmp_path), "--json"])
    assert result.exit_code == 2 and "not a seqlab run directory" in result.stderr
    out = tmp_path / "run"
    result_json(runner.invoke(app, ["forecast", "train", *AIRLINE, "--model", "naive", "--out", str(out), "--json"]))
    result = runner.invoke(app, ["forecast", "evaluate", str(out), "--split", "validation"])
    assert result.exit_code == 2 and "split must be one of train, val, test, got 'validation'" in result.stderr
    history = tmp_path / "ett.csv"
    etth1_raw.iloc[:50].to_csv(history, index=False)
    result = runner.invoke(app, ["forecast", "predict", str(out), "--history", str(history), "--out",
                                 str(tmp_path / "p.csv")])
    assert result.exit_code == 2 and "timestamp column 'Month' not found" in result.stderr
    assert not (tmp_path / "p.csv").exists()
