"""Training each model family on real pairs: it beats the trivial baselines, and a saved run translates
exactly as the trained network did."""

from __future__ import annotations

import json

import pytest
import torch

from seqlab.errors import ConfigError, DataError, RunDirError
from seqlab.tasks.translate import run
from seqlab.tasks.translate.config import TranslateConfig, build_config


def _config(path, name: str, attention: str) -> TranslateConfig:
    return TranslateConfig(data={"path": str(path), "val_fraction": 0.1, "test_fraction": 0.1, "min_freq": 1},
                           model={"name": name, "attention": attention, "units": 64, "embed_dim": 64,
                                  "attention_units": 64, "dropout": 0.1},
                           optimizer={"lr": 0.01}, decode={"beam": 5},
                           train={"epochs": 16, "batch_size": 32, "max_time_s": None, "early_stopping": None})


@pytest.fixture(scope="module", params=[("gru", "bahdanau"), ("lstm", "luong")], ids=["gru-bahdanau", "lstm-luong"])
def trained(request, simple_pairs, tmp_path_factory):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("runs") / "_".join(request.param)
    return run.train(_config(simple_pairs, *request.param), out), out


def test_each_family_beats_copying_and_the_most_frequent_sentence(trained):
    result, _ = trained
    base = result["baselines"]
    assert result["sentences"] == result["data"]["test_pairs"] > 100
    assert result["bleu"] > 4 * max(base["copy_source"], base["most_frequent_target"]["bleu"])
    assert result["bleu"] == result["bleu_beam"]["5"] and result["beam"] == 5


def test_saved_run_translates_exactly_as_trained(trained):
    result, out = trained
    assert {"config.yaml", "model.json", "weights.safetensors", "preprocessing.json", "test.tsv", "metrics.json",
            "attention.png"} <= {p.name for p in out.iterdir()}
    assert json.loads((out / "metrics.json").read_text())["metrics"]["bleu"] == result["bleu"]
    again = run.evaluate(out)
    assert again["bleu"] == result["bleu"] and again["sentences"] == result["sentences"]
    records = run.predict(out, [e["source"] for e in result["examples"]])
    assert [r["translation"] for r in records] == [e["translation"] for e in result["examples"]]
    unseen = run.predict(out, ["I'm zorglubbed by Xyzzy."])[0]["translation"]  # unknown words: <unk> in, never out
    assert unseen and "unk" not in unseen


def test_evaluate_draws_heatmaps_and_takes_other_pairs(trained, tmp_path):
    _, out = trained
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text((out / "test.tsv").read_text(encoding="utf-8").splitlines()[0] + "\textra column\n",
                     encoding="utf-8")
    result = run.evaluate(out, pairs, beam=1, heatmaps=tmp_path / "maps")
    assert result["sentences"] == 1 and result["beam"] == 1
    assert [p.split("/")[-1] for p in result["heatmaps"]] == ["attention_01.png"]
    assert (tmp_path / "maps" / "attention_01.png").read_bytes()[:4] == b"\x89PNG"


def test_bad_requests_get_clear_errors(trained, tmp_path, simple_pairs):
    _, out = trained
    with pytest.raises(RunDirError, match="already exists"):
        run.train(_config(simple_pairs, "gru", "luong"), out)
    with pytest.raises(RunDirError, match="not a seqlab run directory"):
        run.evaluate(tmp_path)
    with pytest.raises(DataError, match="non-empty sentences"):
        run.predict(out, ["I'm tired.", "  "])
    with pytest.raises(ConfigError, match="ending in .png"):
        run.predict(out, ["I'm tired."], heatmap=tmp_path / "map.jpg")
    with pytest.raises(ConfigError, match="at least 1"):
        run.predict(out, ["I'm tired."], beam=0)
    with pytest.raises(ConfigError, match="--attention"):
        build_config(None, [], data="x.tsv", attention="general")
    with pytest.raises(ConfigError, match="unknown key `model.unit`"):
        build_config(None, ["model.unit=3"], data="x.tsv", model="gru")
    cfg = build_config(None, [], data="x.tsv", attention="bahdanau", beam=3)
    assert cfg.model.attention == "bahdanau" and cfg.decode.beam == 3
