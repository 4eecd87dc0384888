"""SIGTERM and Ctrl-C stop a training with a message and exit 143 / 130, keep the last checkpoint,
and --resume finishes the run."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqlab.cli.main import app
from seqlab.tasks import rundir

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()
# about a second an epoch on one thread: the signal arrives mid-run
SLOW = ["forecast", "train", "--data", "etth1", "--model", "lstm", "--lookback", "24", "--horizon", "12",
        "--epochs", "4", "--set", "train.early_stopping=null", "--set", "model.hidden=32", "--json"]


def _start(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_checkpoint(proc: subprocess.Popen, folder: Path, limit: float = 180.0) -> None:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if (folder / "checkpoints" / "last.json").is_file():
            return
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before its first checkpoint: {proc.communicate()[1][-2000:]}")
        time.sleep(0.05)
    raise AssertionError(f"no checkpoint after {limit} s")


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_training_says_so_and_keeps_the_checkpoint(tmp_path, signum, code):
    out = tmp_path / "run"
    partial = rundir.staging_dir(out)
    proc = _start([sys.executable, "-m", "seqlab.cli.main", *SLOW, "--out", str(out)])
    _wait_for_checkpoint(proc, partial)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stderr[-2000:]
    assert signal.Signals(signum).name in stderr and "--resume" in stderr
    assert "Traceback" not in stderr and stdout == ""
    assert (partial / "checkpoints" / "last.json").is_file() and not out.exists()
    assert not rundir.lock_file(out).exists()

    if signum == signal.SIGTERM:  # the run goes on from there
        kept = json.loads((partial / "checkpoints" / "last.json").read_text())["epoch"]
        refused = runner.invoke(app, [*SLOW, "--out", str(out)])
        assert refused.exit_code == 2 and "--resume" in refused.stderr
        resumed = runner.invoke(app, [*SLOW, "--out", str(out), "--resume"])
        assert resumed.exit_code == 0, resumed.output
        assert json.loads(resumed.stdout)["epochs"] == 4
        with open(out / "metrics.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3] and kept < 3
        assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


SCRIPT = """
import sys
from seqlab.tasks.forecasting import run
from seqlab.tasks.forecasting.config import ForecastConfig
config = ForecastConfig(data={"path": "etth1", "lookback": 24, "horizon": 12},
                        model={"name": "lstm", "hidden": 32}, train={"epochs": 4, "early_stopping": None})
run.train(config, sys.argv[1])
"""


def test_sigterm_in_the_python_api_is_not_a_success(tmp_path):
    """Without the CLI, Lightning's own SIGTERM handling would exit 0; the engine makes it 143."""
    out = tmp_path / "run"
    proc = _start([sys.executable, "-c", SCRIPT, str(out)])
    _wait_for_checkpoint(proc, rundir.staging_dir(out))
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143, stderr[-2000:]
    assert "SIGTERM" in stderr and "--resume" in stderr
    assert (rundir.staging_dir(out) / "checkpoints" / "last.json").is_file()
