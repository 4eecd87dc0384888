"""The command line end to end in a temporary directory (typer's CliRunner)."""

import json

from typer.testing import CliRunner

from seqlab.cli.main import app
from cli_json import result_json

runner = CliRunner()
QUICK = ["--set", "train.epochs=1", "--set", "data.lookback=24", "--set", "model.0.lstm.units=16"]


def test_train_evaluate_predict_json(tmp_path):
    out = tmp_path / "run"
    trained = result_json(runner.invoke(app, ["train", *QUICK, "--out", str(out), "--json"]))
    (baseline,) = trained["baselines"].values()  # the last value, as the one baseline
    assert set(trained["test"]) == {"mse", "mae"} and {"mse", "mae"} <= set(baseline)
    assert trained["mse"] == trained["test"]["mse"] and trained["run_dir"] == str(out)

    evaluated = result_json(runner.invoke(app, ["evaluate", str(out), "--json"]))
    assert abs(evaluated["mse"] - trained["mse"]) < 1e-6

    import pandas as pd
    from seqlab.data.registry import resolve
    pd.read_csv(resolve("etth1")).iloc[-100:].to_csv(tmp_path / "tail.csv", index=False)
    result = runner.invoke(app, ["predict", str(out), str(tmp_path / "tail.csv")])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.strip().splitlines()[0])
    assert record["step"] == 1 and isinstance(record["OT"], float)


def test_train_table_output_and_refusal_of_existing_dir(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["train", *QUICK, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "last_value" in result.stdout and "mse" in result.stdout
    result = runner.invoke(app, ["train", *QUICK, "--out", str(out)])
    assert result.exit_code == 2
    assert "already exists" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["train", *QUICK, "--out", str(out), "--overwrite", "--json"])
    assert result.exit_code == 0, result.output


def test_bad_key_is_a_one_line_error(tmp_path):
    result = runner.invoke(app, ["train", "--set", "train.epochz=1", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "train.epochz" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


def test_info_json_lists_versions_and_layers():
    result = runner.invoke(app, ["info", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["torch"] and "lstm" in info["layers"] and "conv1d" in info["layers"]


def test_ddp_through_the_cli_reports_once_and_writes_one_run(tmp_path):
    """Lightning's DDP launcher re-runs the command for rank 1: it must train, not refuse or write."""
    import subprocess
    import sys
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "seqlab.cli.main", "train", *QUICK, "--set", "train.devices=2",
           "--set", "train.strategy=ddp", "--set", "train.accelerator=cpu", "--out", str(out), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and json.loads(lines[0])["run_dir"] == str(out)
    assert (out / "weights.safetensors").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp"]
