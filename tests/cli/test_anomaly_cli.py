"""``seqlab anomaly`` end to end with typer's CliRunner, exactly as the issue's CLI contract calls it."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from seqlab.cli.main import app
from cli_json import result_json

runner = CliRunner()
KEY = "realTraffic/speed_7578.csv"


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks on two shared cores: several times faster
    yield
    torch.set_num_threads(threads)




def test_fit_and_score_with_the_default_model(shared_data, tmp_path):
    nab = shared_data / "anomaly" / "nab"
    data, labels, out = nab / KEY, nab / "labels" / "combined_windows.json", tmp_path / "run"
    fitted = result_json(runner.invoke(app, ["anomaly", "fit", "--data", str(data), "--out", str(out), "--epochs", "8",
                                       "--json"]))
    assert fitted["selection"]["chosen"] == fitted["model"]  # --model left out: auto
    assert [c["model"] for c in fitted["selection"]["candidates"]] == ["lstm-forecast"]
    scored = result_json(runner.invoke(app, ["anomaly", "score", str(out), "--data", str(data), "--labels", str(labels),
                                       "--json"]))
    assert {"f1", "precision", "recall", "nab_score"} <= set(scored)
    assert 0 <= scored["f1"] <= 1 and -1000 < scored["nab_score"] <= 100
    assert scored["key"] == KEY and scored["windows"] == 4 and scored["probation"] == 169
    assert scored["nab_score"] == scored["nab"]["standard"]["score"] and "zscore" in scored["baselines"]
    stream = result_json(runner.invoke(app, ["anomaly", "score", str(out), "--data", str(data), "--labels", str(labels),
                                       "--streaming", "--json"]))  # the default model streams
    assert stream["streaming"] and stream["alarms"] == scored["alarms"] and stream["f1"] == scored["f1"]
    table = runner.invoke(app, ["anomaly", "score", str(out), "--data", str(data), "--labels", str(labels)])
    assert table.exit_code == 0 and "zscore" in table.stdout and "reward_low_FP_rate" in table.stdout

    forecaster = tmp_path / "forecaster"
    result_json(runner.invoke(app, ["anomaly", "fit", "--data", str(data), "--model", "lstm-forecast", "--threshold",
                              "quantile", "--epochs", "3", "--out", str(forecaster), "--json"]))
    batch = result_json(runner.invoke(app, ["anomaly", "score", str(forecaster), "--data", str(data), "--labels",
                                      str(labels), "--json"]))
    stream = result_json(runner.invoke(app, ["anomaly", "score", str(forecaster), "--data", str(data), "--labels",
                                       str(labels), "--streaming", "--json"]))
    assert stream["streaming"] and stream["alarms"] == batch["alarms"] and stream["f1"] == batch["f1"]


def test_user_errors_are_one_line_and_exit_code_2(shared_data, tmp_path):
    nab = shared_data / "anomaly" / "nab"
    missing = runner.invoke(app, ["anomaly", "fit", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "r")])
    assert missing.exit_code == 2 and "nope.csv" in missing.output
    bad_model = runner.invoke(app, ["anomaly", "fit", "--data", str(nab / KEY), "--model", "isolation-forest",
                                    "--out", str(tmp_path / "r")])
    assert bad_model.exit_code == 2 and "unknown model 'isolation-forest'" in bad_model.output
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert runner.invoke(app, ["anomaly", "fit", "--data", str(empty), "--out", str(tmp_path / "r")]).exit_code == 2
    run = tmp_path / "z"
    assert runner.invoke(app, ["anomaly", "fit", "--data", str(nab / KEY), "--model", "zscore", "--out",
                               str(run)]).exit_code == 0
    unlabelled = runner.invoke(app, ["anomaly", "score", str(run), "--data", str(nab / KEY), "--labels",
                                     str(tmp_path / "none.json")])
    assert unlabelled.exit_code == 2 and "labels file not found" in unlabelled.output
    not_a_run = runner.invoke(app, ["anomaly", "score", str(tmp_path), "--data", str(nab / KEY), "--labels",
                                    str(nab / "labels" / "combined_windows.json")])
    assert not_a_run.exit_code == 2 and "not a seqlab run directory" in not_a_run.output
