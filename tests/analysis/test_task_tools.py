"""``analyze gradients`` and ``compare`` on the runs of the task commands, and the named errors
for what they cannot do."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from seqlab.analysis.gradients import analyze_gradients
from seqlab.analysis.targets import AnalysisNotApplicable
from seqlab.cli.main import app
from seqlab.tasks.forecasting.run import evaluate

from .task_runs import forecast_multivariate, ok, runner


def test_gradient_flow_of_a_forecasting_gru(forecast_run):
    result = ok(runner.invoke(app, ["analyze", "gradients", str(forecast_run), "--json"]))
    (m,) = result["models"]
    assert m["layer"] == "GRU" and len(m["trained"]["norms"]) == 96  # one norm per lookback step
    norms = np.asarray(m["trained"]["norms"])
    assert np.all(np.isfinite(norms)) and norms[-1] > norms[0]  # the loss reads the last step most
    assert result["task"]["kind"] == "forecast" and result["batch"] == 64
    assert m["spectral_radius"]["trained"][0]["weight"].startswith("weight_hh")


@pytest.mark.parametrize("fixture", ["text_run", "generate_run", "translate_run", "anomaly_run"])
def test_gradient_flow_of_recurrent_task_runs(fixture, request):
    result = analyze_gradients(request.getfixturevalue(fixture), batch=8)
    (m,) = result["models"]
    assert m["trained"]["norms"] and all(np.isfinite(m["trained"]["norms"]))
    assert m["trained"]["distance"][-1] == 0


def test_a_model_without_a_sequence_layer_is_a_named_error(forecast_m_run):
    bad = runner.invoke(app, ["analyze", "gradients", str(forecast_m_run)])  # DLinear: no step in time to trace
    assert bad.exit_code == 2 and "gradient flow needs a recurrent" in bad.output


def test_compare_ranks_forecasting_runs_by_their_test_mse(shared_data, ett_folder, forecast_m_run):
    naive = forecast_multivariate(shared_data, ett_folder, model="naive")
    result = ok(runner.invoke(app, ["compare", str(forecast_m_run), str(naive), "--json"]))
    assert result["rank_by"] == "mse" and result["higher_is_better"] is False
    mse = {r["model"]: r["mse"]["mean"] for r in result["leaderboard"]}
    assert mse == pytest.approx({run.name: evaluate(run)["mse"] for run in (forecast_m_run, naive)})
    assert [r["model"] for r in result["leaderboard"]] == sorted(mse, key=mse.get)
    assert set(result["baselines"]) == {"naive", "mean", "seasonal-naive"}
    table = runner.invoke(app, ["compare", str(forecast_m_run), str(naive)])
    assert table.exit_code == 0 and "naive" in table.stdout


def test_compare_refuses_runs_of_two_tasks(forecast_run, classify_run):
    bad = runner.invoke(app, ["compare", str(forecast_run), str(classify_run)])
    assert bad.exit_code == 2 and "`seqlab forecast train` run" in bad.output and "one task" in bad.output


def test_compare_refuses_forecasts_of_different_data(forecast_run, forecast_m_run):
    bad = runner.invoke(app, ["compare", str(forecast_run), str(forecast_m_run)])
    assert bad.exit_code == 2 and "different data (data.path" in bad.output


def test_task_configs_get_a_named_error_that_says_what_to_run(tmp_path, shared_data):
    config = tmp_path / "forecast.yaml"
    config.write_text(yaml.safe_dump({"data": {"path": str(shared_data / "series" / "monthly-sunspots.csv"),
                                               "lookback": 96, "horizon": 12}, "model": "gru"}))
    for args in (["compare", str(config)], ["analyze", "gradients", str(config)]):
        bad = runner.invoke(app, args)
        assert bad.exit_code == 2 and "a task config of `seqlab forecast train`" in bad.output, bad.output
        assert f"seqlab forecast train --config {config}" in bad.output
    with pytest.raises(AnalysisNotApplicable):
        analyze_gradients(config)


def test_compare_ranks_anomaly_runs_by_their_nab_score(shared_data, tmp_path, anomaly_run):
    from seqlab.tasks.anomaly.run import score

    from .task_runs import NAB_KEY
    from .task_runs import anomaly_run as make

    zscore = make(shared_data, tmp_path / "zscore", model="zscore")
    result = ok(runner.invoke(app, ["compare", str(anomaly_run), str(zscore), "--json"]))
    assert result["rank_by"] == "nab_score" and result["higher_is_better"] is True
    labels = shared_data / "anomaly" / "nab" / "labels" / "combined_windows.json"
    for row in result["leaderboard"]:
        run = anomaly_run if row["model"] == anomaly_run.name else zscore
        assert row["nab_score"]["mean"] == pytest.approx(score(run, shared_data / "anomaly" / "nab" / NAB_KEY,
                                                               labels)["nab_score"])
    assert {r["model"]: r["params"] for r in result["leaderboard"]}["zscore"] == 0
