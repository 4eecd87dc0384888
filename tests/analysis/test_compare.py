"""compare: every architecture under one budget and seeds, a leaderboard with costs, saved runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

import seqlab
from seqlab.analysis.compare import compare, compare_runs, parse_compare_config
from seqlab.errors import ConfigError
from seqlab.models.zoo import ARCHITECTURES
from seqlab.tasks import runs

from tests.analysis.conftest import TINY


def test_tiny_budget_lists_every_architecture_with_seed_statistics(tiny_comparison):
    result, _ = tiny_comparison
    board = result["leaderboard"]
    assert sorted(r["model"] for r in board) == sorted(ARCHITECTURES)  # adding allows all eight
    assert [r["rank"] for r in board] == list(range(1, 9))
    means = [r["mse"]["mean"] for r in board]
    assert means == sorted(means)  # lower MSE ranks first
    for row in board:
        mine = [r["test"]["mse"] for r in result["runs"] if r["model"] == row["model"]]
        assert row["seeds"] == len(mine) == 3
        assert row["mse"]["mean"] == pytest.approx(np.mean(mine))
        assert row["mse"]["std"] == pytest.approx(np.std(mine, ddof=1))
        assert row["params"] > 0 and row["latency_ms"]["mean"] > 0 and row["peak_memory_mb"]["mean"] > 0
        assert row["epochs"]["mean"] == 1
    # seeds differ in their initial weights, so their scores do too
    assert len({r["test"]["mse"] for r in result["runs"] if r["model"] == "lstm"}) == 3
    assert result["baselines"]["predict_one"]["mse"] == pytest.approx(1 / 6, abs=0.06)


def test_the_folder_holds_a_loadable_run_per_architecture(tiny_comparison):
    result, out = tiny_comparison
    assert json.loads((out / "leaderboard.json").read_text())["leaderboard"] == json.loads(json.dumps(result["leaderboard"]))
    assert (out / "report.html").is_file()
    lstm = next(r for r in result["runs"] if r["model"] == "lstm" and r["seed"] == 0)
    again = runs.evaluate(out / "models" / "lstm")  # rebuilt data, saved weights: the same score
    assert again["test"]["mse"] == pytest.approx(lstm["test"]["mse"], rel=1e-5)


def test_memory_grows_with_the_sequence_length():
    from seqlab.analysis import measure
    import torch
    from seqlab.layers import LSTM, Dense
    from seqlab.models import Sequential

    torch.manual_seed(0)
    net = Sequential([LSTM(16), Dense(1)], input_shape=(50, 2))
    short = measure.training_memory_mb(net, torch.randn(8, 50, 2), torch.randn(8, 1), "mse", False)
    long = measure.training_memory_mb(net, torch.randn(8, 200, 2), torch.randn(8, 1), "mse", False)
    assert long > 2 * short  # activations saved for BPTT are linear in T


def test_a_real_series_task_compares_recurrent_and_convolutional_models(shared_data):
    raw = {"data": {"kind": "series", "path": str(shared_data / "ett" / "ETTh1.csv"), "target": ["OT"],
                    "lookback": 24, "horizon": 1, "split": "ett"},
           "models": ["lstm", "cnn"], "units": 16, "seeds": [0], "train": {"epochs": 3, "batch_size": 64}}
    result = compare(parse_compare_config(raw, "ett"))
    assert [r["model"] for r in result["leaderboard"]] and {r["model"] for r in result["leaderboard"]} == {"lstm", "cnn"}
    for row in result["leaderboard"]:  # predicting the training mean scores above 1 on this test split
        assert 0 < row["mse"]["mean"] < 0.1
    assert "last_value" in result["baselines"]


@pytest.mark.parametrize("change, message", [
    ({"models": ["lstm", "lstmm"]}, "unknown architecture 'lstmm'"),
    ({"models": ["lstm", "lstm"]}, "more than once"),
    ({"data": {"kind": "synthetic", "task": "copy", "length": 10}, "models": ["bilstm"]}, "'bilstm' cannot make per-step"),
    ({"seeds": []}, "seeds"),
    ({"data": {"kind": "mnist", "path": "x", "layout": "image"}}, "not a sequence"),
])
def test_bad_comparisons_are_clear_errors(change, message):
    with pytest.raises(ConfigError, match=message):
        compare(parse_compare_config({**TINY, **change}, "bad"))


def test_a_single_run_config_is_not_a_comparison():
    with pytest.raises(ConfigError, match="`model` is a single run's layer list"):
        parse_compare_config({"model": [{"lstm": {"units": 4}}]}, "run.yaml")


def _train_run(tmp_path, name, length):
    config = {"data": {"kind": "synthetic", "task": "adding", "length": length, "n_train": 64, "n_val": 32, "n_test": 32},
              "model": [{"gru": {"units": 4}}, {"dense": {"units": 1}}], "compile": {"loss": "mse"},
              "train": {"epochs": 1}}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    runs.train(path, out=tmp_path / name)
    return tmp_path / name


def test_finished_runs_compare_only_on_the_same_task(tmp_path):
    a, b, c = _train_run(tmp_path, "a", 12), _train_run(tmp_path, "b", 12), _train_run(tmp_path, "c", 15)
    result = compare_runs([a, b])
    assert {r["model"] for r in result["leaderboard"]} == {"a", "b"}
    with pytest.raises(ConfigError, match=r"different tasks \(data.length: 12 vs 15\)"):
        compare_runs([a, c])


EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "compare").glob("*.yaml"))
SMALL = {"synthetic": ["data.n_train=64", "data.n_val=32", "data.n_test=32", "data.length=30"],
         "text": ["data.limit=400"], "mnist": ["data.limit=200"], "series": ["data.lookback=24"]}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_comparison_example_runs_on_a_small_budget(example, shared_data):
    kind = yaml.safe_load(example.read_text())["data"]["kind"]
    overrides = ["seeds=[0]", "units=8", "train.epochs=1", "train.max_time_s=null", "models=[gru,cnn]", *SMALL[kind]]
    result = seqlab.compare(example, overrides=overrides)  # the public name
    assert {r["model"] for r in result["leaderboard"]} == {"gru", "cnn"}
    assert result["baselines"]


def test_runs_split_by_different_seeds_are_not_compared(shared_data, tmp_path):
    dirs = []
    for seed in (0, 1):
        config = {"data": {"kind": "text", "path": str(shared_data / "sst2" / "train.tsv"), "limit": 300, "max_len": 16},
                  "model": [{"embedding": {"input_dim": 2000, "output_dim": 4, "padding_idx": 0}}, {"gru": {"units": 4}},
                            {"dense": {"units": 2}}],
                  "compile": {"loss": "sparse_categorical_crossentropy", "from_logits": True},
                  "train": {"epochs": 1, "seed": seed}}
        path = tmp_path / f"s{seed}.yaml"
        path.write_text(yaml.safe_dump(config))
        runs.train(path, out=tmp_path / f"s{seed}")
        dirs.append(tmp_path / f"s{seed}")
    with pytest.raises(ConfigError, match="different tasks \\(the test data"):
        compare_runs(dirs)


def test_a_partial_train_section_keeps_the_other_defaults():
    config = parse_compare_config({**TINY, "train": {"epochs": 4}}, "partial")
    assert config.train.epochs == 4 and config.train.gradient_clip_val == 1.0
    assert config.train.early_stopping.patience == 3 and config.train.batch_size == 64
    assert parse_compare_config({**TINY, "train": {"early_stopping": None}}, "off").train.early_stopping is None


def test_finished_runs_get_a_report_and_early_stopping_merges_deeply(tmp_path):
    from seqlab.analysis.reports import comparison_report

    a, b = _train_run(tmp_path, "a", 12), _train_run(tmp_path, "b", 12)
    html = comparison_report(compare_runs([a, b])).html()
    assert "leaderboard" in html and "—" in html  # no training time for finished runs
    config = parse_compare_config({**TINY, "train": {"early_stopping": {"min_delta": 0.01}}}, "deep")
    assert config.train.early_stopping.patience == 3 and config.train.early_stopping.min_delta == 0.01
