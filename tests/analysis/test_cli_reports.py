"""The analysis commands end to end: one JSON object with --json, reports that render in Chromium."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from seqlab.cli.main import app

from .chromium import Dom, render

runner = CliRunner()


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _rendered(report, tmp_path) -> Dom:
    dom = Dom()
    dom.feed(render(report, tmp_path))
    n = int(dom.body.get("data-images", "0"))
    assert dom.body.get("data-images-ok") == str(n), "a plot did not decode"
    return dom


def test_compare_report_renders_its_leaderboard(tiny_comparison, tmp_path):
    result, out = tiny_comparison
    dom = _rendered(out / "report.html", tmp_path)
    rows = dom.tables["leaderboard"]
    assert rows[0][:3] == ["rank", "model", "mse"]
    assert [r[1] for r in rows[1:]] == [r["model"] for r in result["leaderboard"]]


def test_compare_command_prints_one_json_object(tmp_path):
    config = {"data": {"kind": "synthetic", "task": "copy", "length": 8, "n_train": 64, "n_val": 32, "n_test": 32},
              "models": ["gru", "tcn"], "units": 8, "seeds": [0, 1], "train": {"epochs": 1}}
    path = tmp_path / "copy.yaml"
    path.write_text(yaml.safe_dump(config))
    result = _json(runner.invoke(app, ["compare", str(path), "--json"]))
    assert {r["model"] for r in result["leaderboard"]} == {"gru", "tcn"} and result["rank_by"] == "loss"
    assert all("recall_accuracy" in r for r in result["leaderboard"])
    bad = runner.invoke(app, ["compare", str(path), "--set", "models=[gru,bilstm]"])
    assert bad.exit_code == 2 and "'bilstm' cannot make per-step" in bad.output


def test_gradients_command_and_report(tmp_path):
    config = {"data": {"kind": "synthetic", "task": "adding", "length": 30, "n_train": 64, "n_val": 32, "n_test": 32},
              "models": ["rnn", "lstm"], "units": 8, "seeds": [0], "train": {"epochs": 1}}
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump(config))
    result = _json(runner.invoke(app, ["analyze", "gradients", str(path), "--out", str(tmp_path / "g"), "--json"]))
    assert [m["model"] for m in result["models"]] == ["rnn", "lstm"]
    saved = json.loads((tmp_path / "g" / "gradients.json").read_text())
    assert saved["models"][0]["at_init"]["norms"] == result["models"][0]["at_init"]["norms"]
    dom = _rendered(tmp_path / "g" / "report.html", tmp_path)
    assert int(dom.body["data-images"]) == 5  # flow at init, after training, during training (2), norm histories


def test_receptive_field_command(tmp_path):
    result = _json(runner.invoke(app, ["analyze", "receptive-field", "examples/b_conv1d_series.yaml", "--json"]))
    assert result["receptive_field"] == 4 and result["agrees"] is True
    lstm = tmp_path / "lstm.yaml"
    lstm.write_text(yaml.safe_dump({"model": [{"lstm": {"units": 4}}, {"dense": {"units": 1}}]}))
    bad = runner.invoke(app, ["analyze", "receptive-field", str(lstm)])
    assert bad.exit_code == 2 and "no convolution, pooling or TCN layer before model[0] lstm" in bad.output


def test_explain_and_curves_commands_write_reports(tiny_comparison, tmp_path):
    _, out = tiny_comparison
    result = _json(runner.invoke(app, ["explain", str(out / "models" / "lstm-attention"), "test", "--examples", "2",
                                       "--out", str(tmp_path / "why"), "--json"]))
    assert len(result["examples"]) == 2 and result["surrogate"]["fidelity"]["metric"] == "r2"
    dom = _rendered(tmp_path / "why" / "report.html", tmp_path)
    assert int(dom.body["data-images"]) == 4  # a heatmap and the attention of each example
    config = {"data": {"kind": "synthetic", "task": "adding", "length": 15, "n_train": 80, "n_val": 32, "n_test": 32},
              "models": ["gru"], "units": 4, "seeds": [0], "train": {"epochs": 1}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    curves = _json(runner.invoke(app, ["analyze", "curves", str(path), "--out", str(tmp_path / "curves"), "--json"]))
    assert [p["fraction"] for p in curves["models"][0]["learning_curve"]] == [0.05, 0.1, 0.25, 0.5, 1.0]
    assert set(curves["models"][0]["robustness"]) == {"noise", "drop"}
    _rendered(tmp_path / "curves" / "report.html", tmp_path)


def test_a_run_report_renders_metrics_curves_flow_and_tokens(shared_data, tmp_path):
    config = {"data": {"kind": "text", "path": str(shared_data / "sst2" / "train.tsv"),
                       "test_path": str(shared_data / "sst2" / "dev.tsv"), "max_len": 24, "max_vocab": 2000,
                       "limit": 1500},
              "model": [{"embedding": {"input_dim": 2000, "output_dim": 16, "padding_idx": 0}},
                        {"gru": {"units": 16}}, {"dense": {"units": 2}}],
              "compile": {"loss": "sparse_categorical_crossentropy", "from_logits": True, "metrics": ["accuracy"]},
              "train": {"epochs": 2, "batch_size": 64}}
    path = tmp_path / "text.yaml"
    path.write_text(yaml.safe_dump(config))
    assert runner.invoke(app, ["train", str(path), "--out", str(tmp_path / "run"), "--json"]).exit_code == 0
    result = _json(runner.invoke(app, ["report", str(tmp_path / "run"), "--json"]))
    assert result["report"] == str(tmp_path / "run" / "report.html")
    dom = _rendered(tmp_path / "run" / "report.html", tmp_path)
    assert [row[0] for row in dom.tables["leaderboard"][1:]] == ["model", "majority_class"]
    assert int(dom.body["data-images"]) == 3  # training curves (loss; accuracy), gradient flow of the trained model
    assert len(dom.tokens) > 10  # three test sentences, highlighted
