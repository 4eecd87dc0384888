"""Language-model runs on a real slice of Tiny Shakespeare: each family beats the unigram baseline,
a saved run scores and samples exactly as the trained model did, and bad input is refused."""

from __future__ import annotations

import math

import pytest
import torch
import yaml

from seqlab.errors import ConfigError, DataError, RunDirError
from seqlab.tasks.generate import run
from seqlab.tasks.generate.config import GenerateConfig, build_config
from seqlab.tasks.generate.data import prepare_corpus

SMALL = {"embed_dim": 16, "units": 64, "num_layers": 1, "dropout": 0.0}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models train on one thread: on two shared cores a second OpenMP thread costs more than it
    gives (the small parallel regions of each recurrent step wait for each other)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _config(path, name="lstm", level="char", epochs=6, **data) -> GenerateConfig:
    return GenerateConfig(data={"path": str(path), "level": level, "steps": 64, "epoch_tokens": None, **data},
                          model={"name": name, **SMALL}, optimizer={"lr": 0.02},
                          train={"epochs": epochs, "batch_size": 32, "max_time_s": None})


@pytest.fixture(scope="module")
def slice_file(shared_data, tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "shakespeare-40k.txt"
    path.write_text((shared_data / "text" / "tinyshakespeare.txt").read_text(encoding="utf-8")[:40_000], encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def char_runs(one_thread, slice_file, tmp_path_factory):
    """A trained char LSTM and GRU run each: (out, result)."""
    runs = {}
    for name in ("lstm", "gru"):
        out = tmp_path_factory.mktemp(name) / "run"
        runs[name] = out, run.train(_config(slice_file, name), out)
    return runs


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_char_models_beat_the_unigram_baseline_and_reload_exactly(char_runs, slice_file, name):
    out, result = char_runs[name]
    unigram = result["baselines"]["unigram"]
    assert result["val_loss_nats"] < unigram["val_loss_nats"] - 0.6, (result["val_loss_nats"], unigram)
    assert result["bpc"] == pytest.approx(result["val_loss_nats"] / math.log(2), rel=1e-9)  # one char, one token
    assert result["tokens"] == 3999 and result["data"]["train_tokens"] == 36_000
    # save -> load -> predict: the reloaded model scores the validation text exactly as the trained one
    again = run.evaluate(out)
    assert again["val_loss_nats"] == pytest.approx(result["val_loss_nats"], abs=1e-6)
    assert {p.name for p in out.iterdir()} >= {"config.yaml", "model.json", "weights.safetensors",
                                               "preprocessing.json", "metrics.csv", "metrics.json"}
    assert yaml.safe_load((out / "config.yaml").read_text())["model"]["name"] == name
    whole = run.evaluate(out, slice_file)  # --data: every token of a given file
    assert whole["tokens"] == 39_999 and whole["val_loss_nats"] < result["baselines"]["unigram"]["val_loss_nats"]


def test_word_model_beats_the_unigram_baseline_and_samples_reproducibly(slice_file, tmp_path):
    out = tmp_path / "words"
    result = run.train(_config(slice_file, level="word", epochs=8, steps=16, max_vocab=1000), out)
    unigram = result["baselines"]["unigram"]
    assert result["level"] == "word" and result["data"]["vocab_size"] == 1000
    assert result["val_loss_nats"] < unigram["val_loss_nats"] - 0.3, (result["val_loss_nats"], unigram)
    assert result["perplexity"] == pytest.approx(math.exp(result["val_loss_nats"]))
    first = run.sample(out, "KING RICHARD", length=30, temperature=0.8, top_k=50, seed=7)
    second = run.sample(out, "KING RICHARD", length=30, temperature=0.8, top_k=50, seed=7)
    other = run.sample(out, "KING RICHARD", length=30, temperature=0.8, top_k=50, seed=8)
    assert first["text"] == second["text"] and first["text"] != other["text"]
    assert first["text"].startswith("KING RICHARD") and first["tokens"] == 30
    assert "<pad>" not in first["completion"]


def test_sampling_greedy_and_empty_prompt(char_runs):
    out, _ = char_runs["lstm"]
    greedy = [run.sample(out, "ROMEO:", length=40, temperature=0.0, seed=s)["text"] for s in (0, 1)]
    assert greedy[0] == greedy[1] and len(greedy[0]) == len("ROMEO:") + 40
    nucleus = run.sample(out, "", length=20, temperature=1.0, top_p=0.9)
    assert nucleus["prompt"] == "" and len(nucleus["text"]) == 20
    unknown = run.sample(out, "ROMEO\u00e9", length=5)
    assert unknown["unknown_in_prompt"] == 1
    with pytest.raises(ConfigError, match="--top-p"):
        run.sample(out, "ROMEO:", top_p=2.0)


def test_bad_input(slice_file, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(DataError, match="the file is empty"):
        run.train(_config(empty), tmp_path / "a")
    assert not (tmp_path / "a").exists()  # nothing half-written
    with pytest.raises(ConfigError, match="train.shuffle"):
        build_config(None, ["train.shuffle=true"], data=str(slice_file))
    with pytest.raises(ConfigError, match="unknown model 'transformer'"):
        build_config(None, [], data=str(slice_file), model="transformer")
    with pytest.raises(ConfigError, match="level"):
        build_config(None, [], data=str(slice_file), level="byte")
    with pytest.raises(ConfigError, match="model.unitz"):
        build_config(None, ["model.unitz=3"], data=str(slice_file), model="lstm")
    with pytest.raises(RunDirError, match="not a seqlab run directory"):
        run.evaluate(tmp_path)
    with pytest.raises(DataError, match="fewer than one chunk"):
        prepare_corpus(slice_file, "word", 0.1, steps=20_000)
    assert build_config(None, [], data=str(slice_file), max_time_s=60, batch_size=8).train.max_time_s == 60
