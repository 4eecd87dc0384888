"""Run directories that never lose work: manifests, locks, unique names, staging that survives a kill,
--resume from any task, and output files that are never overwritten by surprise."""

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
import yaml
from typer.testing import CliRunner

from seqlab.cli.main import app
from seqlab.errors import RunDirError
from seqlab.tasks import rundir, runs
from seqlab.tasks.forecasting import run as forecast_run
from seqlab.tasks.forecasting.config import ForecastConfig
from seqlab.training import engine

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()
QUICK = ["train.epochs=1", "data.lookback=24", "model.0.lstm.units=16"]
# an LSTM on ETTh1 at about a second an epoch on one thread: slow enough to be stopped mid-run
SLOW = ["forecast", "train", "--data", "etth1", "--model", "lstm", "--lookback", "24", "--horizon", "12",
        "--epochs", "4", "--set", "train.early_stopping=null", "--set", "model.hidden=32", "--json"]


def _slow_config() -> ForecastConfig:
    return ForecastConfig(data={"path": "etth1", "lookback": 24, "horizon": 12},
                          model={"name": "lstm", "hidden": 32}, train={"epochs": 4, "early_stopping": None})


def _cli(*args: str, cwd: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "seqlab.cli.main", *args], cwd=cwd or REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _checkpoint_epoch(folder: Path) -> int | None:
    try:
        return json.loads((folder / "checkpoints" / "last.json").read_text())["epoch"]
    except (OSError, ValueError, KeyError):
        return None


def _wait_for_epoch(proc: subprocess.Popen, folder: Path, epoch: int, limit: float = 180.0) -> int:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        found = _checkpoint_epoch(folder)
        if found is not None and found >= epoch:
            return found
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before epoch {epoch}: {proc.communicate()[1][-2000:]}")
        time.sleep(0.05)
    raise AssertionError(f"no checkpoint of epoch {epoch} after {limit} s")


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


# --------------------------------------------------------------------------------------------
# Manifests: --overwrite replaces only what seqlab wrote


def test_overwrite_refuses_a_folder_with_a_config_but_no_manifest(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "config.yaml").write_text("my: notes\n")
    (folder / "thesis.tex").write_text("precious")
    with pytest.raises(RunDirError, match="seqlab-run.json"):
        runs.train(None, QUICK, out=folder, overwrite=True)
    with pytest.raises(RunDirError, match="run directories only"):
        forecast_run.train(ForecastConfig(data={"path": "airline", "lookback": 24, "horizon": 12,
                                                "split": "0.6,0.2,0.2"}, model="naive"), folder, overwrite=True)
    assert (folder / "thesis.tex").read_text() == "precious"
    assert _leftovers(tmp_path) == []


def test_a_finished_run_carries_a_manifest_and_can_be_overwritten(tmp_path):
    out = tmp_path / "r"
    runs.train(None, QUICK, out=out)
    manifest = json.loads((out / rundir.MANIFEST_FILE).read_text())
    assert manifest["format"] == "seqlab.run/2" and manifest["status"] == "complete"
    assert manifest["pid"] == os.getpid()
    assert rundir.is_seqlab_dir(out)
    runs.train(None, QUICK, out=out, overwrite=True)
    assert _leftovers(tmp_path) == []  # no lock, no staging folder, no replaced run left beside it


# --------------------------------------------------------------------------------------------
# Locks and names


def test_a_second_writer_fails_fast_naming_the_holder(tmp_path):
    out = tmp_path / "r"
    with rundir.staged_run(out, overwrite=False, resume=False) as work:
        assert work == rundir.staging_dir(out) and (work / rundir.MANIFEST_FILE).is_file()
        for attempt in (lambda: rundir.check_out(out, False), lambda: rundir.staged_run(out).__enter__()):
            with pytest.raises(RunDirError, match=rf"process {os.getpid()} is writing this run directory"):
                attempt()
        (work / "x.txt").write_text("done")
    assert (out / "x.txt").read_text() == "done" and _leftovers(tmp_path) == []
    with pytest.raises(RunDirError, match="already exists"):
        rundir.check_out(out, False)


def test_a_lock_held_by_another_process_is_named_and_released_when_it_dies(tmp_path):
    out = tmp_path / "r"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from seqlab.fileio import FileLock; lock = FileLock(sys.argv[1]); "
        "assert lock.acquire(); print('held', flush=True); time.sleep(60)"), str(rundir.lock_file(out))],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunDirError, match=rf"process {holder.pid} is writing"):
            rundir.check_out(out, False)
    finally:
        holder.kill()
        holder.wait()
    rundir.check_out(out, False)  # kill -9 released it: the kernel drops a dead process's flock
    with rundir.staged_run(out, overwrite=False, resume=False) as work:
        (work / "a").write_text("1")
    assert (out / "a").is_file()


def test_two_trainings_racing_into_one_out(tmp_path):
    out = tmp_path / "race"
    procs = [_cli(*SLOW[:11], "2", *SLOW[12:], "--out", str(out)) for _ in range(2)]
    results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
    codes = sorted(r[2] for r in results)
    assert codes == [0, 2], [r[1][-1500:] for r in results]
    loser = next(r for r in results if r[2] == 2)
    assert "is writing this run directory" in loser[1] or "already exists" in loser[1]
    assert "Traceback" not in loser[1]
    winner = json.loads(next(r for r in results if r[2] == 0)[0])
    assert json.loads((out / "metrics.json").read_text())["metrics"]["mse"] == winner["metrics"]["mse"]
    assert _leftovers(tmp_path) == []


def test_default_run_names_are_unique_within_a_second(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = rundir.default_run_dir()
    assert first.parent == Path("runs") and first.name.endswith(f"-{os.getpid()}")
    first.mkdir(parents=True)
    second = rundir.default_run_dir()
    assert second != first and not second.exists()


# --------------------------------------------------------------------------------------------
# --out that cannot be a run directory


def test_out_dot_and_out_below_a_file_are_refused_without_a_trace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    for out, words in ((".", "current folder"), ("..", "current folder or one above it"),
                       ("notes.txt/run", "is a file")):
        result = runner.invoke(app, ["forecast", "train", "--data", "airline", "--model", "naive", "--out", out])
        assert result.exit_code == 2, result.output
        assert words in result.stderr and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


# --------------------------------------------------------------------------------------------
# Output files: predictions and reports


def test_output_files_need_overwrite_and_are_never_folders(tmp_path, shared_data):
    out = tmp_path / "run"
    naive = ["forecast", "train", "--data", "airline", "--lookback", "24", "--horizon", "12", "--model", "naive",
             "--split", "0.6,0.2,0.2", "--out", str(out), "--json"]
    assert runner.invoke(app, naive).exit_code == 0
    history = shared_data / "series" / "airline-passengers.csv"
    predict = ["forecast", "predict", str(out), "--history", str(history)]

    result = runner.invoke(app, [*predict, "--out", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.stderr
    existing = tmp_path / "old.csv"
    existing.write_text("keep me")
    result = runner.invoke(app, [*predict, "--out", str(existing)])
    assert result.exit_code == 2 and "--overwrite" in result.stderr and existing.read_text() == "keep me"
    result = runner.invoke(app, [*predict, "--out", str(tmp_path / "new.csv"), "--plot", str(tmp_path / "x.txt")])
    assert result.exit_code == 2 and "PNG" in result.stderr
    assert not (tmp_path / "new.csv").exists()  # the plot's name is refused before the CSV is written
    assert runner.invoke(app, [*predict, "--out", str(existing), "--overwrite"]).exit_code == 0
    assert existing.read_text().startswith("Month")

    text = runner.invoke(app, ["text", "predict", str(out), "-", "--out", str(tmp_path)], input="a film\n")
    assert text.exit_code == 2 and "is a folder" in text.stderr
    text = runner.invoke(app, ["text", "predict", str(out), "-", "--out", str(existing)], input="a film\n")
    assert text.exit_code == 2 and "--overwrite" in text.stderr and existing.read_text().startswith("Month")

    for target, words in ((tmp_path, "is a folder"), (existing, "--overwrite")):
        report = runner.invoke(app, ["report", str(out), "--out", str(target)])
        assert report.exit_code == 2 and words in report.stderr and "Traceback" not in report.output


# --------------------------------------------------------------------------------------------
# kill -9 in a first training, then --resume from the task API


def test_a_killed_first_training_resumes_from_its_last_epoch(tmp_path, monkeypatch):
    out = tmp_path / "run"
    partial = rundir.staging_dir(out)
    proc = _cli(*SLOW, "--out", str(out))
    _wait_for_epoch(proc, partial, 1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kept = _checkpoint_epoch(partial)
    assert kept is not None and kept >= 1 and not out.exists()
    with pytest.raises(RunDirError, match="interrupted run of it is kept .* --resume"):
        forecast_run.train(_slow_config(), out)

    loaded = []
    real = engine.load_last

    def spy(run_dir, net):
        last = real(run_dir, net)
        loaded.append(last.epochs_completed)
        return last

    monkeypatch.setattr(engine, "load_last", spy)
    result = forecast_run.train(_slow_config(), out, resume=True)
    assert loaded == [kept + 1]  # continued after the last finished epoch: none lost
    assert result["epochs"] == 4
    with open(out / "metrics.csv", newline="") as fh:
        assert [int(r["epoch"]) for r in csv.DictReader(fh)] == [0, 1, 2, 3]
    assert json.loads((out / rundir.MANIFEST_FILE).read_text())["status"] == "complete"
    assert _leftovers(tmp_path) == []


# --------------------------------------------------------------------------------------------
# --resume keeps what config.yaml says about the epochs that ran


def test_resume_with_fewer_epochs_keeps_the_config_truthful(tmp_path):
    out = tmp_path / "r"
    runs.train(None, ["train.epochs=2", *QUICK[1:]], out=out)
    result = runs.train(None, ["train.epochs=1"], out=out, resume=True)
    assert result["epochs"] == 2  # nothing more was trained
    assert yaml.safe_load((out / "config.yaml").read_text())["train"]["epochs"] == 2
    result = runs.train(None, ["train.epochs=3"], out=out, resume=True)
    assert result["epochs"] == 3
    assert yaml.safe_load((out / "config.yaml").read_text())["train"]["epochs"] == 3
    assert _leftovers(tmp_path) == []
