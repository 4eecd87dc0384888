"""``seqlab generate`` end to end with typer's CliRunner, exactly as the issue's CLI contract calls it."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from seqlab.cli.main import app
from cli_json import result_json

runner = CliRunner()


@pytest.fixture(autouse=True)
def one_thread():
    """A tiny model trains faster on one thread of two shared cores (see tests/tasks/generate/conftest.py)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)




def test_train_evaluate_sample(shared_data, tmp_path):
    data = tmp_path / "shakespeare.txt"
    data.write_text((shared_data / "text" / "tinyshakespeare.txt").read_text(encoding="utf-8")[:20_000], encoding="utf-8")
    out = tmp_path / "run"
    trained = result_json(runner.invoke(app, ["generate", "train", "--data", str(data), "--out", str(out), "--model", "gru",
                                        "--epochs", "2", "--steps", "32", "--batch-size", "16", "--max-time", "120",
                                        "--set", "model.units=32", "--set", "model.num_layers=1", "--json"]))
    assert trained["model"] == "gru" and trained["level"] == "char" and trained["epochs"] == 2
    evaluated = result_json(runner.invoke(app, ["generate", "evaluate", str(out), "--json"]))
    assert set(evaluated) >= {"val_loss_nats", "bpc"}
    assert abs(evaluated["val_loss_nats"] - trained["val_loss_nats"]) < 1e-6
    assert evaluated["val_loss_nats"] < trained["baselines"]["unigram"]["val_loss_nats"]
    sampled = runner.invoke(app, ["generate", "sample", str(out), "--prompt", "ROMEO:", "--length", "50",
                                  "--temperature", "0.8", "--top-k", "10", "--top-p", "0.95", "--seed", "3"])
    assert sampled.exit_code == 0, sampled.output
    assert sampled.stdout.startswith("ROMEO:") and len(sampled.stdout.rstrip("\n")) >= len("ROMEO:") + 40
    again = runner.invoke(app, ["generate", "sample", str(out), "--prompt", "ROMEO:", "--length", "50",
                                "--temperature", "0.8", "--top-k", "10", "--top-p", "0.95", "--seed", "3"])
    assert again.stdout == sampled.stdout
    table = runner.invoke(app, ["generate", "evaluate", str(out)])
    assert table.exit_code == 0 and "bits/char" in table.stdout


def test_bad_input_exits_2(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = runner.invoke(app, ["generate", "train", "--data", str(empty), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "the file is empty" in result.output
    result = runner.invoke(app, ["generate", "train", "--data", str(empty), "--out", str(tmp_path / "run"),
                                 "--level", "bytes"])
    assert result.exit_code == 2 and "level" in result.output
    result = runner.invoke(app, ["generate", "evaluate", str(tmp_path), "--json"])
    assert result.exit_code == 2 and "not a seqlab run directory" in result.output
    result = runner.invoke(app, ["generate", "sample", str(tmp_path), "--top-p", "0"])
    assert result.exit_code == 2 and "--top-p must be in (0, 1]" in result.output
    result = runner.invoke(app, ["generate", "train", "--data", str(empty), "--out", str(tmp_path / "run"),
                                 "--max-time", "-5"])
    assert result.exit_code == 2 and "--max-time must be a positive number" in result.output
