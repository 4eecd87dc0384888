"""``seqlab translate`` end to end with typer's CliRunner, exactly as the issue's CLI contract calls it."""

from __future__ import annotations

import json
import re

import pytest
import torch
from typer.testing import CliRunner

from seqlab.cli.main import app
from cli_json import result_json

runner = CliRunner()
PATTERN = re.compile(r"^(I'm|He's|She's|We're|You're|They're) ")


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # two OpenMP threads spin against other processes on a shared 2-core machine
    yield
    torch.set_num_threads(threads)




def _pairs(shared_data, path, n: int):
    lines = (shared_data / "translation" / "fra-eng.txt").read_text(encoding="utf-8").splitlines()[:40000]
    path.write_text("\n".join([l for l in lines if PATTERN.match(l)][:n]) + "\n", encoding="utf-8")
    return path


def test_train_evaluate_predict(shared_data, tmp_path):
    data = _pairs(shared_data, tmp_path / "pairs.tsv", 600)
    out = tmp_path / "run"
    # the contract's call (model auto), kept short with --epochs and a smaller decoder
    trained = result_json(runner.invoke(app, ["translate", "train", "--data", str(data), "--out", str(out), "--epochs", "2",
                                        "--set", "model.units=64", "--json"]))
    assert trained["model"] == "lstm+luong" and trained["beam"] in (1, 5) and "beam_selection" in trained
    evaluated = result_json(runner.invoke(app, ["translate", "evaluate", str(out), "--json"]))
    assert evaluated["bleu"] == trained["bleu"] and evaluated["sentences"] == trained["sentences"]
    text = runner.invoke(app, ["translate", "evaluate", str(out), "--beam", "1", "--heatmaps", str(tmp_path / "maps")])
    assert text.exit_code == 0 and "BLEU" in text.stdout and (tmp_path / "maps" / "attention_01.png").is_file()
    heatmap = tmp_path / "att.png"
    predicted = runner.invoke(app, ["translate", "predict", str(out), "I'm happy.", "We're late.", "--heatmap",
                                    str(heatmap), "--json"])
    assert predicted.exit_code == 0, predicted.output
    records = [json.loads(line) for line in predicted.stdout.strip().splitlines()]
    assert [r["source"] for r in records] == ["I'm happy.", "We're late."]
    assert heatmap.read_bytes()[:4] == b"\x89PNG" and (tmp_path / "att_2.png").is_file()
    plain = runner.invoke(app, ["translate", "predict", str(out), "I'm happy."])
    assert plain.exit_code == 0 and plain.stdout.strip() == records[0]["translation"]


def test_train_with_named_model_and_attention(shared_data, tmp_path):
    data = _pairs(shared_data, tmp_path / "pairs.tsv", 300)
    trained = result_json(runner.invoke(app, ["translate", "train", "--data", str(data), "--out", str(tmp_path / "run"),
                                        "--model", "gru", "--attention", "bahdanau", "--beam", "2", "--epochs", "1",
                                        "--set", "model.units=16", "--set", "model.embed_dim=8", "--json"]))
    assert trained["model"] == "gru+bahdanau" and trained["beam"] == 2 and "beam_selection" not in trained


def test_bad_input_exits_with_code_2_and_a_message(shared_data, tmp_path):
    empty = tmp_path / "empty.tsv"
    empty.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["translate", "train", "--data", str(empty), "--out", str(tmp_path / "a")])
    assert result.exit_code == 2 and "empty file" in result.output
    one_column = tmp_path / "one.tsv"
    one_column.write_text("Go.\tVa !\nRun!\n", encoding="utf-8")
    result = runner.invoke(app, ["translate", "train", "--data", str(one_column), "--out", str(tmp_path / "b")])
    assert result.exit_code == 2 and "line 2" in result.output
    result = runner.invoke(app, ["translate", "train", "--data", str(one_column), "--out", str(tmp_path / "c"),
                                 "--attention", "general"])
    assert result.exit_code == 2 and "bahdanau or luong" in result.output
    result = runner.invoke(app, ["translate", "train", "--data", str(one_column), "--out", str(tmp_path / "c"),
                                 "--model", "transformer"])
    assert result.exit_code == 2 and "unknown model 'transformer'" in result.output
    result = runner.invoke(app, ["translate", "evaluate", str(tmp_path), "--json"])
    assert result.exit_code == 2 and "not a seqlab run directory" in result.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
