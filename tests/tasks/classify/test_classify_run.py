"""Classification runs on real UCR/UEA data: train -> save -> load -> predict, unequal lengths, auto, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from seqlab.errors import ConfigError, DataError, RunDirError
from seqlab.tasks.classify import run
from seqlab.tasks.classify.config import ClassifyConfig
from seqlab.tasks.classify.data import prepare

SMALL_FCN = {"name": "fcn", "filters": [8, 16, 8]}


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models train faster on one thread than on two that spin against each other (and other jobs)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _config(path, model=SMALL_FCN, epochs=5, **data):
    return ClassifyConfig(data={"path": str(path), **data}, model=model, train={"epochs": epochs, "seed": 0})


def _lines(path, keep):
    """A copy of a .ts file with its header and the data lines whose index is in ``keep``."""
    lines = path.read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip().lower() == "@data") + 1
    data = [l for l in lines[start:] if l.strip()]
    return "\n".join(lines[:start] + [data[i] for i in keep]) + "\n"


def test_train_save_load_predict_reproduces(shared_data, tmp_path):
    """BasicMotions (6 dimensions): the saved run gives the trained model's exact probabilities."""
    folder = shared_data / "ucr" / "BasicMotions"
    result = run.train(_config(folder / "BasicMotions_TRAIN.ts", epochs=20), tmp_path / "run")
    assert result["split"] == "test" and result["series"] == 40
    assert result["data"]["normalize"] == "channel" and result["data"]["dims"] == 6
    assert result["accuracy"] > result["baselines"]["majority_class"]["accuracy"] + 0.5  # majority: 0.25
    evaluated = run.evaluate(tmp_path / "run", folder / "BasicMotions_TEST.ts")
    assert evaluated["accuracy"] == result["accuracy"] and evaluated["confusion_matrix"] == result["confusion_matrix"]
    records = run.predict(tmp_path / "run", folder / "BasicMotions_TEST.ts", out=tmp_path / "p.jsonl")
    assert [json.loads(l) for l in (tmp_path / "p.jsonl").read_text().splitlines()] == records
    # the same weights loaded twice give the same probabilities, and they match the records
    setup = prepare(_config(folder / "BasicMotions_TRAIN.ts").data)
    _, net, state = run.load_run(tmp_path / "run")
    probs = run.predict_proba(net, setup.splits["test"].series)
    _, again, _ = run.load_run(tmp_path / "run")
    np.testing.assert_array_equal(probs, run.predict_proba(again, setup.splits["test"].series))
    assert [r["label"] for r in records] == [state["labels"][i] for i in probs.argmax(1)]
    np.testing.assert_allclose([[r["probabilities"][c] for c in state["labels"]] for r in records], probs, atol=1e-6)


def test_unequal_lengths_and_auto(shared_data, tmp_path):
    """JapaneseVowels (12 dimensions, 7-29 steps) with ``auto``: FCN, trained briefly, far above the majority."""
    folder = shared_data / "ucr" / "JapaneseVowels"
    cfg = ClassifyConfig(data={"path": str(folder)}, train={"epochs": 2, "seed": 0})
    result = run.train(cfg, tmp_path / "run")
    assert result["model"] == "fcn" and result["selection"]["chosen"] == "fcn"
    assert result["parameters"] > 250_000  # Wang et al.'s 128/256/128 filters
    assert result["data"]["train_lengths"] == [7, 26] and result["series"] == 370
    assert result["accuracy"] > 0.6  # majority class: 0.24
    assert (tmp_path / "run" / "config.yaml").read_text().count("name: fcn") == 1


def test_validation_split_is_stratified(shared_data):
    cfg = _config(shared_data / "ucr" / "GunPoint", val_fraction=0.2)
    setup = prepare(cfg.data)
    assert len(setup.splits["val"].y) == 10 and len(setup.splits["train"].y) == 40
    assert sorted(np.bincount(setup.splits["val"].y).tolist()) == [5, 5]


def test_val_split_headline_without_test(shared_data, tmp_path):
    (tmp_path / "Gun_TRAIN.ts").write_text((shared_data / "ucr" / "GunPoint" / "GunPoint_TRAIN.ts").read_text())
    result = run.train(_config(tmp_path / "Gun_TRAIN.ts", model={"name": "lstm", "units": 8}, epochs=2,
                               val_fraction=0.2), tmp_path / "run")
    assert result["split"] == "val" and "test" not in result and result["series"] == 10
    with pytest.raises(DataError, match="no test file; pass --data"):
        run.evaluate(tmp_path / "run")


# ------------------------------------------------------------------------------------------
# Bad input


@pytest.fixture
def gun(shared_data, tmp_path):
    """A writable copy of GunPoint's first 10 training series."""
    src = shared_data / "ucr" / "GunPoint" / "GunPoint_TRAIN.ts"
    path = tmp_path / "Gun_TRAIN.ts"
    path.write_text(_lines(src, range(10)))
    return path


def test_unknown_label_in_the_test_file(gun, tmp_path):
    text = gun.read_text().replace("@classLabel true 1 2", "@classLabel true 1 2 3")
    lines = text.splitlines()
    lines[-1] = lines[-1].rsplit(":", 1)[0] + ":3"
    (tmp_path / "Gun_TEST.ts").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"Gun_TEST.ts:\d+: class label '3' never occurs in the training data"):
        prepare(_config(gun).data)


def test_missing_values_inside_a_series(gun):
    lines = gun.read_text().splitlines()
    values = lines[-3].split(",")
    values[5] = "?"
    lines[-3] = ",".join(values)
    gun.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"Gun_TRAIN.ts:\d+: a missing value .* at step 6, dimension 1"):
        prepare(_config(gun).data)
    setup = prepare(_config(gun, missing="interpolate").data)
    assert not any(np.isnan(s).any() for s in setup.splits["train"].series)
    # a file that declares its missing values has them filled by default (auto)
    gun.write_text(gun.read_text().replace("@missing false", "@missing true"))
    setup = prepare(_config(gun).data)
    assert not any(np.isnan(s).any() for s in setup.splits["train"].series)


def test_nan_and_inf(gun):
    original = gun.read_text().splitlines()
    for value, message in (("inf", "an infinite value at step 1"), ("NaN", "a missing value .* at step 1")):
        lines = list(original)
        lines[-1] = f"{value}," + lines[-1].split(",", 1)[1]
        gun.write_text("\n".join(lines) + "\n")
        with pytest.raises(DataError, match=message):
            prepare(_config(gun).data)


def test_one_class_and_empty_files(gun, tmp_path):
    lines = [l if not l[:1].isdigit() and not l[:1] == "-" else l.rsplit(":", 1)[0] + ":1"
             for l in gun.read_text().splitlines()]
    gun.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="every series has the label '1'"):
        prepare(_config(gun).data)
    (tmp_path / "Empty_TRAIN.ts").write_text("")
    with pytest.raises(DataError, match="Empty_TRAIN.ts: the file is empty"):
        prepare(_config(tmp_path / "Empty_TRAIN.ts").data)


def test_wrong_dimensions_at_evaluation(shared_data, tmp_path):
    folder = shared_data / "ucr" / "ItalyPowerDemand"
    run.train(_config(folder / "ItalyPowerDemand_TRAIN.ts", epochs=1), tmp_path / "run")
    with pytest.raises(DataError, match=r"BasicMotions_TEST.ts:\d+: the series has 6 dimension\(s\), the training data has 1"):
        run.evaluate(tmp_path / "run", shared_data / "ucr" / "BasicMotions" / "BasicMotions_TEST.ts")
    with pytest.raises(RunDirError, match="already exists"):
        run.train(_config(folder, epochs=1), tmp_path / "run")
    with pytest.raises(RunDirError, match="not a seqlab run directory"):
        run.evaluate(tmp_path, folder / "ItalyPowerDemand_TEST.ts")


def test_config_errors():
    with pytest.raises(ValueError, match="unknown model 'inception'"):
        ClassifyConfig(data={"path": "x"}, model="inception")
    with pytest.raises(ValueError, match="filters and kernel_sizes need one entry per conv block"):
        ClassifyConfig(data={"path": "x"}, model={"name": "fcn", "filters": [8, 8]})
    from seqlab.tasks.classify.config import build_config

    with pytest.raises(ConfigError, match="model.units"):
        build_config(None, ["model.units=0"], data="x", model="lstm")
