"""Run directories end to end: train, evaluate, predict, resume, and refusals that change nothing."""

import json

import numpy as np
import pytest

from seqlab.data.registry import resolve
from seqlab.errors import ConfigError, DataError, RunDirError
from seqlab.tasks import runs
from seqlab.tasks.config import load_config

QUICK = ["train.epochs=1", "data.lookback=24", "model.0.lstm.units=16"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "default"
    return runs.train(None, QUICK, out=out), out


def test_default_job_writes_a_complete_run_directory(run):
    result, out = run
    for name in ("config.yaml", "preprocessing.json", "model.json", "weights.safetensors",
                 "metrics.csv", "metrics.json", "checkpoints/last.safetensors"):
        assert (out / name).is_file(), name
    assert set(result["test"]) == {"mse", "mae"} and result["baseline"]["name"] == "last_value"
    assert json.loads((out / "metrics.json").read_text())["test"] == result["test"]


def test_last_value_baseline_matches_an_independent_computation(run):
    result, out = run
    state = json.loads((out / "preprocessing.json").read_text())
    import pandas as pd
    ot = pd.read_csv(resolve("etth1"))["OT"].to_numpy()
    mean, std = ot[:8640].mean(), ot[:8640].std()
    z = (ot - mean) / std
    L = state["lookback"]
    test = z[11520 - L:14400]
    pred, actual = test[L - 1:-1], test[L:]
    assert result["baseline"]["mse"] == pytest.approx(np.mean((pred - actual) ** 2), rel=1e-5)
    assert result["baseline"]["mae"] == pytest.approx(np.mean(np.abs(pred - actual)), rel=1e-5)


def test_evaluate_reproduces_the_test_metrics(run):
    result, out = run
    again = runs.evaluate(out)
    assert again["test"]["mse"] == pytest.approx(result["test"]["mse"], rel=1e-6)


def test_predict_forecasts_in_original_units(run, tmp_path):
    _, out = run
    import pandas as pd
    frame = pd.read_csv(resolve("etth1")).iloc[:200]
    frame.to_csv(tmp_path / "tail.csv", index=False)
    records = runs.predict(out, tmp_path / "tail.csv")
    assert len(records) == 1 and records[0]["step"] == 1
    assert frame["OT"].min() - 10 < records[0]["OT"] < frame["OT"].max() + 10


def test_an_existing_run_directory_is_refused_and_left_alone(run):
    _, out = run
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    with pytest.raises(RunDirError, match="--overwrite"):
        runs.train(None, QUICK, out=out)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_resume_continues_from_the_last_checkpoint(tmp_path):
    out = tmp_path / "r"
    first = runs.train(None, QUICK, out=out)
    assert first["epochs"] == 1
    (out / "config.yaml").write_text((out / "config.yaml").read_text().replace("epochs: 1", "epochs: 2"))
    second = runs.train(None, [], out=out, resume=True)
    assert second["epochs"] == 2
    assert len(second["history"]["loss"]) == 2


@pytest.mark.parametrize("overrides, words", [
    (["train.epoch=3"], ["train.epoch", "unknown"]),
    (["train.epochs=many"], ["train.epochs"]),
    (["data.target=[XYZ]"], ["XYZ"]),
    (["model.0.lstm.unit=3"], ["model[0]", "`unit`"]),
    (["data.path=/no/such.csv"], ["/no/such.csv"]),
])
def test_bad_configs_name_the_key_and_write_nothing(tmp_path, overrides, words):
    with pytest.raises((ConfigError, DataError)) as info:
        runs.train(None, overrides, out=tmp_path / "bad")
    for word in words:
        assert word in str(info.value)
    assert not (tmp_path / "bad").exists()


def test_unknown_top_level_key_in_a_file_names_file_and_key(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model: [{dense: {units: 1}}]\noptimiser: adam\n")
    with pytest.raises(ConfigError, match=r"c.yaml: unknown key `optimiser`"):
        load_config(path)


def test_overwrite_refuses_a_folder_that_is_not_a_run(tmp_path):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "thesis.tex").write_text("precious")
    with pytest.raises(RunDirError, match="run directories only"):
        runs.train(None, QUICK, out=folder, overwrite=True)
    assert (folder / "thesis.tex").read_text() == "precious"
    (tmp_path / "afile").write_text("x")
    with pytest.raises(RunDirError, match="not a folder"):
        runs.train(None, QUICK, out=tmp_path / "afile")


def test_a_failed_run_leaves_the_disk_as_it_was(run, tmp_path):
    from seqlab.errors import ShapeError
    with pytest.raises(ShapeError, match=r"layer 'dense' \(Dense\) \(the last layer\) outputs \(3,\)"):
        runs.train(None, QUICK + ["model.1.dense.units=3"], out=tmp_path / "new")
    assert list(tmp_path.iterdir()) == []  # no run dir, no hidden temporary left behind
    _, good = run
    before = {p: p.read_bytes() for p in good.rglob("*") if p.is_file()}
    with pytest.raises(ShapeError):
        runs.train(None, QUICK + ["model.1.dense.units=3"], out=good, overwrite=True)
    assert {p: p.read_bytes() for p in good.rglob("*") if p.is_file()} == before
    assert [p.name for p in good.parent.iterdir() if p.name.startswith(".")] == []


def test_overwrite_replaces_a_finished_run(tmp_path):
    out = tmp_path / "r"
    runs.train(None, QUICK, out=out)
    (out / "marker").write_text("old run")
    result = runs.train(None, QUICK, out=out, overwrite=True)
    assert not (out / "marker").exists() and (out / "weights.safetensors").is_file()
    assert result["run_dir"] == str(out)


def test_resume_refuses_data_or_model_changes(run):
    _, out = run
    with pytest.raises(ConfigError, match="only train"):
        runs.train(None, ["data.lookback=48"], out=out, resume=True)


def test_predict_with_a_broken_preprocessing_file_names_it(run, tmp_path):
    import shutil
    _, out = run
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    (broken / "preprocessing.json").write_text('{"kind": "series"}')
    with pytest.raises(RunDirError, match=r"preprocessing.json: missing keys \['columns'"):
        runs.predict(broken, resolve("etth1"))


def test_text_run_predicts_labels_with_probabilities(tmp_path):
    from pathlib import Path
    example = Path(__file__).resolve().parents[2] / "examples" / "g_embedding_grux2_text.yaml"
    out = tmp_path / "text"
    runs.train(example, ["train.epochs=1", "data.limit=600"], out=out)
    (tmp_path / "texts.txt").write_text("a gorgeous , witty , seductive movie .\n\nthe plot is nothing but boilerplate clichés\n")
    records = runs.predict(out, tmp_path / "texts.txt")
    assert [r["text"] for r in records] == ["a gorgeous , witty , seductive movie .",
                                            "the plot is nothing but boilerplate clichés"]
    for r in records:
        assert set(r["probabilities"]) == {"0", "1"} and r["label"] in {"0", "1"}
        assert sum(r["probabilities"].values()) == pytest.approx(1.0)
        assert r["label"] == max(r["probabilities"], key=r["probabilities"].get)
