"""Tiny runs of every task command, trained through the CLI on slices of the real data.

Each is a few seconds of training: enough for a network whose attributions, scores and reports
are real, not enough to be good. Torch runs on one thread (two shared cores).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch
from typer.testing import CliRunner

from seqlab.cli.main import app

runner = CliRunner()
NAB_KEY = "realTraffic/speed_7578.csv"
PAIRS = re.compile(r"^(I'm|He's|She's|We're|You're|They're) ")


def ok(result) -> dict:
    """The one JSON object a --json command printed; the output (and exception) when it failed."""
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


def train(args: list[str]) -> dict:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return ok(runner.invoke(app, [*args, "--json"]))
    finally:
        torch.set_num_threads(threads)


def forecast_univariate(data: Path, out: Path) -> Path:
    """Monthly sunspots, one feature, a 96-step lookback: the case whose heatmap overprinted."""
    train(["forecast", "train", "--data", str(data / "series" / "monthly-sunspots.csv"), "--lookback", "96",
           "--horizon", "12", "--model", "gru", "--set", "model.hidden=8", "--epochs", "1", "--out", str(out)])
    return out


def forecast_multivariate(data: Path, folder: Path, model: str = "dlinear") -> Path:
    """The first 1,500 hourly rows of ETTh1, all seven columns in and out."""
    csv = folder / "etth1-head.csv"
    if not csv.is_file():
        lines = (data / "ett" / "ETTh1.csv").read_text(encoding="utf-8").splitlines()[:1501]
        csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = folder / model
    train(["forecast", "train", "--data", str(csv), "--features", "M", "--lookback", "48", "--horizon", "12",
           "--split", "0.6,0.2,0.2", "--model", model, "--epochs", "1", "--out", str(out)])
    return out


def text_run(data: Path, folder: Path) -> Path:
    rows = (data / "sst2" / "train.tsv").read_text(encoding="utf-8").splitlines()
    train_file, test_file = folder / "train.tsv", folder / "test.tsv"
    train_file.write_text("\n".join(rows[:2001]) + "\n", encoding="utf-8")
    test_file.write_text("\n".join(rows[:1] + rows[-200:]) + "\n", encoding="utf-8")
    out = folder / "run"
    train(["text", "train", "--data", str(train_file), "--test-path", str(test_file), "--model", "gru",
           "--set", "model.embed_dim=16", "--set", "model.units=16", "--epochs", "2", "--out", str(out)])
    return out


def classify_run(data: Path, out: Path) -> Path:
    folder = data / "ucr" / "ItalyPowerDemand"
    train(["classify", "train", "--train", str(folder / "ItalyPowerDemand_TRAIN.ts"), "--model", "fcn",
           "--epochs", "10", "--set", "model.filters=[8,16,8]", "--out", str(out)])
    return out


def speech_run(data: Path, folder: Path) -> Path:
    """2 speakers x digits 0-3 x indices 0-9: 40 test files (index 0-4), 40 for training."""
    source, recordings = data / "speech" / "fsdd" / "recordings", folder / "recordings"
    recordings.mkdir(parents=True, exist_ok=True)
    for name in (f"{d}_{s}_{i}.wav" for s in ("jackson", "theo") for d in range(4) for i in range(10)):
        if not (recordings / name).exists():
            (recordings / name).symlink_to(source / name)
    out = folder / "run"
    train(["speech", "train", "--data", str(recordings), "--model", "conv1d", "--epochs", "2",
           "--set", "train.batch_size=16", "--out", str(out)])
    return out


def anomaly_run(data: Path, out: Path, model: str = "lstm-ae") -> Path:
    train(["anomaly", "fit", "--data", str(data / "anomaly" / "nab" / NAB_KEY), "--model", model, "--epochs", "2",
           "--set", "model.window=16", "--out", str(out)])
    return out


def generate_run(data: Path, folder: Path) -> Path:
    text = folder / "shakespeare.txt"
    text.write_text((data / "text" / "tinyshakespeare.txt").read_text(encoding="utf-8")[:20_000], encoding="utf-8")
    out = folder / "run"
    train(["generate", "train", "--data", str(text), "--model", "gru", "--epochs", "1", "--steps", "32",
           "--batch-size", "16", "--set", "model.units=32", "--set", "model.num_layers=1", "--out", str(out)])
    return out


def translate_run(data: Path, folder: Path) -> Path:
    lines = (data / "translation" / "fra-eng.txt").read_text(encoding="utf-8").splitlines()[:40000]
    pairs = folder / "pairs.tsv"
    pairs.write_text("\n".join([line for line in lines if PAIRS.match(line)][:600]) + "\n", encoding="utf-8")
    out = folder / "run"
    train(["translate", "train", "--data", str(pairs), "--epochs", "1", "--set", "model.units=32",
           "--set", "model.embed_dim=32", "--set", "decode.beam=1", "--out", str(out)])
    return out
