"""Text-classification runs on real SST-2 slices: every family learns, runs save and load exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqlab.models.text import MODEL_NAMES
from seqlab.tasks.text import run
from seqlab.tasks.text.config import TextConfig
from seqlab.tasks.text.data import prepare_text

RUN_FILES = {"config.yaml", "preprocessing.json", "model.json", "weights.safetensors", "metrics.json", "confusion.png"}
SMALL = {"embed_dim": 32, "units": 32, "filters": 32}


@pytest.fixture(scope="module")
def sst2_slice(shared_data, tmp_path_factory):
    """4,000 SST-2 training phrases and the 872 dev sentences, as files."""
    folder = tmp_path_factory.mktemp("sst2")
    lines = (shared_data / "sst2" / "train.tsv").read_text(encoding="utf-8").splitlines()
    (folder / "train.tsv").write_text("\n".join(lines[:4001]) + "\n", encoding="utf-8")
    return folder / "train.tsv", shared_data / "sst2" / "dev.tsv"


def _config(train, dev, name, **model) -> TextConfig:
    return TextConfig(data={"path": str(train), "test_path": str(dev)}, model={"name": name, **SMALL, **model},
                      train={"epochs": 3})


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_family_learns_sst2_above_the_majority_class(sst2_slice, tmp_path, name):
    train, dev = sst2_slice
    result = run.train(_config(train, dev, name), tmp_path / "run")
    majority = result["baselines"]["majority_class"]["accuracy"]
    assert result["split"] == "test" and result["texts"] == 872
    assert result["accuracy"] > majority + 0.08, (name, result["accuracy"], majority)
    assert result["macro_f1"] > 0.55


@pytest.fixture(scope="module")
def bilstm_run(sst2_slice, tmp_path_factory):
    train, dev = sst2_slice
    out = tmp_path_factory.mktemp("bilstm") / "run"
    return out, run.train(_config(train, dev, "bilstm", pooling="attention"), out)


def test_run_directory_is_complete_and_reloads_to_the_same_predictions(bilstm_run, sst2_slice):
    out, result = bilstm_run
    assert {p.name for p in out.iterdir()} >= RUN_FILES
    assert [p.name for p in out.parent.iterdir()] == ["run"]  # no temporary folder left beside it
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["accuracy"] == result["accuracy"] and metrics["val"]["accuracy"] == result["val"]["accuracy"]
    evaluated = run.evaluate(out, str(sst2_slice[1]))
    assert evaluated["accuracy"] == result["accuracy"]
    assert evaluated["confusion_matrix"] == result["confusion_matrix"]
    assert sum(map(sum, evaluated["confusion_matrix"])) == 872


def test_a_text_gets_the_same_prediction_alone_and_in_a_batch(bilstm_run, shared_data):
    out, _ = bilstm_run
    texts = (shared_data / "sst2" / "dev.tsv").read_text(encoding="utf-8").splitlines()[1:41]
    texts = [t.split("\t")[0] for t in texts]
    together = run.predict_texts(out, texts)
    for text, joint in zip(texts[:8], together):
        alone = run.predict_texts(out, [text])[0]
        assert alone["label"] == joint["label"]
        np.testing.assert_allclose(list(alone["probabilities"].values()), list(joint["probabilities"].values()),
                                   atol=1e-5)


def test_validation_is_carved_from_train_and_the_tokenizer_sees_train_only(sst2_slice):
    train, dev = sst2_slice
    setup = prepare_text(TextConfig(data={"path": str(train), "test_path": str(dev)}).data)
    n = setup.info["train_texts"] + setup.info["val_texts"] + setup.info["dropped_inside_val"]
    assert n == 4000 and setup.info["test_texts"] == 872
    vocab = set(setup.encoder.token_list())
    train_words = {w for t in setup.splits["train"].texts for w in setup.encoder.tokens(t)}
    assert vocab - {"<pad>", "<unk>"} == train_words


def test_auto_tries_its_candidates_and_keeps_the_best_on_validation(sst2_slice, tmp_path, monkeypatch):
    from seqlab.models.text import ClassifierConfig
    from seqlab.tasks.text import select

    small = [ClassifierConfig(name="bilstm", **SMALL), ClassifierConfig(name="cnn", **SMALL)]
    monkeypatch.setattr(select, "candidates", lambda setup: small)
    train, dev = sst2_slice
    result = run.train(TextConfig(data={"path": str(train), "test_path": str(dev)}, train={"epochs": 2}),
                       tmp_path / "run")
    sel = result["selection"]
    assert [r["model"] for r in sel["candidates"]] == ["bilstm", "cnn"]
    best_single = max(r["val_accuracy"] for r in sel["candidates"])
    assert sel["ensemble_val_accuracy"] >= best_single
    assert result["model"] == "+".join(sel["chosen"])
    again = run.evaluate(tmp_path / "run", str(dev))  # an ensemble saves and loads too
    assert again["accuracy"] == result["accuracy"]
