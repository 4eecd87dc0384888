"""Speech runs on a real FSDD slice: every family learns, runs save and load exactly, splits are honest."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqlab.models.speech import MODEL_NAMES
from seqlab.tasks.speech import run
from seqlab.tasks.speech.config import SpeechConfig
from seqlab.tasks.speech.data import prepare_speech

RUN_FILES = {"config.yaml", "preprocessing.json", "model.json", "weights.safetensors", "metrics.json", "confusion.png"}
SMALL = {"units": 24, "filters": 24}
EPOCHS = {"lstm": 6, "gru": 5, "bilstm": 5, "bigru": 4, "conv1d": 6, "cnn-rnn": 5}
LR = {"conv1d": 5e-3, "cnn-rnn": 5e-3}  # the recurrent models take 1e-2


def _config(path, name, epochs: int, **data) -> SpeechConfig:
    return SpeechConfig(data={"path": str(path), **data}, model={"name": name, **SMALL},
                        train={"epochs": epochs, "batch_size": 16, "early_stopping": None},
                        optimizer={"lr": LR.get(name, 1e-2)})


@pytest.fixture(scope="module")
def cache():
    return {}


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_family_learns_digits_well_above_the_majority_class(fsdd_slice, tmp_path, cache, name):
    result = run.train(_config(fsdd_slice, name, EPOCHS[name]), tmp_path / "run", cache=cache)
    majority = result["baselines"]["majority_class"]["accuracy"]
    assert result["split"] == "test" and result["files"] == 90
    assert majority == pytest.approx(1 / 6)
    assert result["accuracy"] > majority + 0.4, (name, result["accuracy"])


@pytest.fixture(scope="module")
def conv_run(fsdd_slice, tmp_path_factory, cache):
    out = tmp_path_factory.mktemp("conv") / "run"
    return out, run.train(_config(fsdd_slice, "conv1d", 4, features="mfcc", deltas=True), out, cache=cache)


def test_run_directory_is_complete_and_reloads_to_the_same_predictions(conv_run, fsdd_slice):
    out, result = conv_run
    assert {p.name for p in out.iterdir()} >= RUN_FILES
    assert [p.name for p in out.parent.iterdir()] == ["run"]  # no temporary folder left beside it
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["metrics"]["accuracy"] == result["accuracy"] and metrics["data"]["feature_dim"] == 40
    evaluated = run.evaluate(out)  # the run's own test files
    assert evaluated["accuracy"] == result["accuracy"]
    assert evaluated["confusion_matrix"] == result["confusion_matrix"]
    test_files = sorted(fsdd_slice.glob("*_[0-4].wav"))
    predicted = run.predict_files(out, test_files)
    hits = [p["label"] == f.name.split("_")[0] for p, f in zip(predicted, test_files)]
    assert np.mean(hits) == pytest.approx(result["accuracy"])
    again = run.predict_files(out, test_files[:5])  # alone in a smaller batch: the same probabilities
    for a, b in zip(again, predicted[:5]):
        np.testing.assert_allclose(list(a["probabilities"].values()), list(b["probabilities"].values()), atol=1e-5)


def test_noise_lowers_accuracy_reproducibly(conv_run):
    out, result = conv_run
    noisy = run.evaluate(out, snr_db=0.0, seed=3)
    assert noisy["snr_db"] == 0.0 and noisy["accuracy"] < result["accuracy"]
    assert run.evaluate(out, snr_db=0.0, seed=3)["accuracy"] == noisy["accuracy"]


def test_validation_is_carved_from_training_files_per_label(fsdd_slice):
    setup = prepare_speech(_config(fsdd_slice, "gru", 1).data)
    val, train, test = (setup.splits[k].rec for k in ("val", "train", "test"))
    assert len(val) == 18 and len(train) == 162 and len(test) == 90
    assert all(i >= 5 for i in val.indices + train.indices) and all(i <= 4 for i in test.indices)
    assert not set(val.files) & set(train.files)
    assert sorted(np.bincount(setup.splits["val"].y).tolist()) == [3] * 6
    assert setup.info["sample_rate"] == 8000


def test_a_speaker_held_out_split_tests_on_that_speaker_only(fsdd_slice):
    setup = prepare_speech(_config(fsdd_slice, "gru", 1, test_speakers=["theo"]).data)
    assert set(setup.splits["test"].rec.speakers) == {"theo"} and len(setup.splits["test"].rec) == 90
    assert "theo" not in set(setup.splits["train"].rec.speakers) | set(setup.splits["val"].rec.speakers)


def test_auto_keeps_the_ensemble_or_the_best_candidate_by_validation(fsdd_slice, tmp_path, cache):
    config = SpeechConfig(data={"path": str(fsdd_slice)}, train={"epochs": 5, "batch_size": 16}, optimizer={"lr": 5e-3})
    result = run.train(config, tmp_path / "auto", cache=cache)
    selection = result["selection"]
    assert [c["model"] for c in selection["candidates"]] == ["conv1d", "cnn-rnn"]
    best = max(c["val_accuracy"] for c in selection["candidates"])
    assert selection["ensemble_val_accuracy"] >= best
    assert result["accuracy"] > 0.5
    assert run.evaluate(tmp_path / "auto")["accuracy"] == result["accuracy"]  # the ensemble saves and loads


def test_the_cli_options_build_a_config_whose_model_defaults_to_auto(fsdd_slice):
    from seqlab.errors import ConfigError
    from seqlab.tasks.speech.config import build_config

    cfg = build_config(None, ["data.deltas=true"], data=str(fsdd_slice), model=None, epochs=None, features="logmel",
                       sample_rate=16000)
    assert cfg.model == "auto" and cfg.data.features == "logmel" and cfg.data.sample_rate == 16000 and cfg.data.deltas
    with pytest.raises(ConfigError, match="features"):
        build_config(None, [], data=str(fsdd_slice), features="spectrogram")
