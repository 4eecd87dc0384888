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


def _config(train, dev, name, epochs: int = 3, **model) -> TextConfig:
    return TextConfig(data={"path": str(train), "test_path": str(dev)}, model={"name": name, **SMALL, **model},
                      train={"epochs": epochs})


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_family_learns_sst2_above_the_majority_class(sst2_slice, tmp_path, name):
    train, dev = sst2_slice
    result = run.train(_config(train, dev, name, epochs=6 if name == "rnn" else 3), tmp_path / "run")  # Elman is slow to learn
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
    assert metrics["metrics"]["accuracy"] == result["accuracy"] and metrics["val"]["accuracy"] == result["val"]["accuracy"]
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
    assert result["model"] == "+".join(sel["chosen"])
    assert result["val"]["accuracy"] == pytest.approx(sel["ensemble_val_accuracy"])  # the chosen model's own score
    _, net, _ = run.load_run(tmp_path / "run")  # an ensemble saves and loads too
    setup = prepare_text(TextConfig(data={"path": str(train), "test_path": str(dev)}).data)
    assert run.score(net, setup, "val")["accuracy"] == pytest.approx(sel["ensemble_val_accuracy"])
    again = run.evaluate(tmp_path / "run", str(dev))
    assert again["accuracy"] == result["accuracy"]


def test_auto_candidates_follow_the_corpus_size(sst2_slice, monkeypatch):
    from seqlab.tasks.text import select

    train, dev = sst2_slice
    setup = prepare_text(TextConfig(data={"path": str(train)}).data)
    assert [(c.name, c.pooling) for c in select.candidates(setup)] == select.RECURRENT
    monkeypatch.setattr(select, "SMALL_CORPUS", 100)
    assert len(select.candidates(setup)) == 2
    monkeypatch.setattr(select, "LARGE_CORPUS", 1000)
    assert [c.name for c in select.candidates(setup)] == ["cnn"]


def test_subword_run_reloads_to_identical_predictions(sst2_slice, tmp_path):
    train, dev = sst2_slice
    config = TextConfig(data={"path": str(train), "tokenizer": "bpe", "vocab_size": 2000},
                        model={"name": "gru", **SMALL}, train={"epochs": 1})
    result = run.train(config, tmp_path / "run")
    texts = ["an unflinchingly bleak film", "charming and often affecting"]
    setup = prepare_text(config.data)
    _, net, state = run.load_run(tmp_path / "run")
    assert state["encoder"]["kind"] == "bpe"
    assert run.score(net, setup, "val")["accuracy"] == pytest.approx(result["accuracy"])
    assert run.predict_texts(tmp_path / "run", texts) == run.predict_texts(tmp_path / "run", texts)


def test_pretrained_vectors_start_the_embedding(bilstm_run, sst2_slice, tmp_path):
    """Vectors written from one run's trained embedding (GloVe text format) start another run's."""
    out, _ = bilstm_run
    _, net, state = run.load_run(out)
    from seqlab.data.encoders import encoder_from_dict

    tokens = encoder_from_dict(state["encoder"]).token_list()
    weights = net.embedding.weight.detach().numpy()
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("".join(f"{t} " + " ".join(f"{v:.6f}" for v in weights[i]) + "\n"
                               for i, t in enumerate(tokens) if i > 1), encoding="utf-8")
    train, dev = sst2_slice
    config = TextConfig(data={"path": str(train), "vectors": str(vectors)}, model={"name": "gru", "units": 8},
                        train={"epochs": 1})
    setup = prepare_text(config.data)
    assert setup.info["vectors_found"] == len(tokens) - 2
    new, _ = run.fit_model(config.model_copy(update={"train": config.train.model_copy(update={"epochs": 1})}),
                           config.model, setup)
    assert new.embedding.weight.shape[1] == weights.shape[1] == 32  # embed_dim follows the vectors
    word = setup.encoder.token_list().index("film")
    before = setup.vectors[word]
    assert np.allclose(before, weights[tokens.index("film")], atol=1e-6)


def test_folder_per_label_layout(shared_data, tmp_path):
    lines = (shared_data / "sst2" / "dev.tsv").read_text(encoding="utf-8").splitlines()[1:]
    for i, line in enumerate(lines):
        text, label = line.rsplit("\t", 1)
        folder = tmp_path / "reviews" / ("pos" if label == "1" else "neg")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i}.txt").write_text(text, encoding="utf-8")
    result = run.train(TextConfig(data={"path": str(tmp_path / "reviews")}, model={"name": "cnn", **SMALL},
                                  train={"epochs": 2}), tmp_path / "run")
    assert set(result["per_class"]) == {"neg", "pos"} and result["split"] == "val"
    scored = run.evaluate(tmp_path / "run", str(tmp_path / "reviews"), confusion=tmp_path / "cm.png")
    assert scored["texts"] == 872 and (tmp_path / "cm.png").read_bytes()[:4] == b"\x89PNG"
