"""Forecasting run directories on real series: train, save, load, evaluate and predict agree."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from seqlab.errors import DataError, RunDirError
from seqlab.tasks.forecasting import run
from seqlab.tasks.forecasting.config import ForecastConfig
from seqlab.tasks.forecasting.data import prepare_series

L, H = 24, 12
RUN_FILES = {"config.yaml", "preprocessing.json", "model.json", "weights.safetensors", "metrics.json",
             "forecast.png"}


def _airline_config(**model) -> ForecastConfig:
    return ForecastConfig(data={"path": "airline", "lookback": L, "horizon": H, "split": "0.6,0.2,0.2"},
                          model={"name": "gru", "hidden": 16, **model}, train={"epochs": 2})


@pytest.fixture(scope="module")
def airline(shared_data) -> pd.DataFrame:
    return pd.read_csv(shared_data / "series" / "airline-passengers.csv", parse_dates=["Month"])


@pytest.fixture(scope="module")
def gru_run(tmp_path_factory):
    """A small GRU trained on airline: (run directory, train's result)."""
    folder = tmp_path_factory.mktemp("gru")
    result = run.train(_airline_config(), folder / "run")
    return folder / "run", result


def _windows(values: np.ndarray, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (n, L), targets (n, H)) of every window of rows [start, end), by plain loops."""
    xs, ys = [], []
    for i in range(start, end - L - H + 1):
        xs.append(values[i:i + L])
        ys.append(values[i + L:i + L + H])
    return np.array(xs), np.array(ys)


def test_train_writes_a_complete_run_atomically(gru_run):
    out, result = gru_run
    assert {p.name for p in out.iterdir()} >= RUN_FILES
    assert [p.name for p in out.parent.iterdir()] == ["run"]  # no hidden temp folder beside it
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp") or p.name.startswith(".")]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["metrics"]["mse"] == result["mse"] and metrics["val"]["mse"] == result["val"]["mse"]
    assert metrics["model"] == "gru" and metrics["epochs"] == 2 and metrics["windows"] == 144 - 92 - L - H + 1
    assert set(metrics["baselines"]) == {"naive", "mean", "seasonal-naive"}
    assert result["run_dir"] == str(out)
    # the config on disk is the resolved one: data path, target and split filled in
    config = run.load_forecast_config(out / "config.yaml")
    assert config.data.target == "Passengers" and config.data.split == [0.6, 0.2, 0.2]
    assert config.data.timestamp_col == "Month" and config.data.missing == "error"
    assert config.model.name == "gru" and config.model.hidden == 16
    model = json.loads((out / "model.json").read_text())
    assert model["config"]["layers"] == 1 and model["config"]["hidden"] == 16  # the defaults filled in
    assert model["shape"] == {"lookback": L, "horizon": H, "n_inputs": 1, "target_idx": [0], "n_marks": 0,
                              "season": 12}
    state = json.loads((out / "preprocessing.json").read_text())
    assert state["borders"] == [[0, 86], [62, 116], [92, 144]] and state["freq"] == "MS"


def test_scores_match_an_independent_computation(gru_run, airline):
    """Test MSE, original-unit MSE and the naive baseline, recomputed from the CSV with numpy."""
    out, result = gru_run
    _, net, state = run.load_run(out)
    values = airline["Passengers"].to_numpy(dtype=np.float64)
    mean, std = values[:86].mean(), values[:86].std()
    assert state["scaler"]["mean"] == [pytest.approx(mean, rel=1e-12)]
    assert state["scaler"]["scale"] == [pytest.approx(std, rel=1e-12)]
    x, y = _windows((values - mean) / std, 92, 144)  # (n, L), (n, H)
    assert len(x) == result["windows"] == 144 - 92 - L - H + 1
    with torch.no_grad():
        y_pred = net(torch.tensor(x[:, :, None], dtype=torch.float32))[:, :, 0].double().numpy()
    assert result["mse"] == pytest.approx(np.mean((y_pred - y) ** 2), rel=1e-5)
    assert result["mae"] == pytest.approx(np.mean(np.abs(y_pred - y)), rel=1e-5)
    assert result["original"]["mse"] == pytest.approx(np.mean((y_pred * std - y * std) ** 2), rel=1e-5)
    naive = np.repeat(x[:, -1:], H, axis=1)
    assert result["baselines"]["naive"]["mse"] == pytest.approx(np.mean((naive - y) ** 2), rel=1e-6)
    seasonal = x[:, -12:]  # airline's season is 12 months = H: last year's months
    assert result["baselines"]["seasonal-naive"]["mse"] == pytest.approx(np.mean((seasonal - y) ** 2), rel=1e-6)
    x_val, y_val = _windows((values - mean) / std, 62, 116)
    with torch.no_grad():
        y_val_pred = net(torch.tensor(x_val[:, :, None], dtype=torch.float32))[:, :, 0].double().numpy()
    assert result["val"]["mse"] == pytest.approx(np.mean((y_val_pred - y_val) ** 2), rel=1e-5)


def test_load_and_evaluate_reproduce_training_scores_exactly(gru_run):
    out, result = gru_run
    test = run.evaluate(out, "test")
    assert test["mse"] == result["mse"] and test["mae"] == result["mae"]
    assert test["original"] == result["original"] and test["windows"] == result["windows"]
    assert test["baselines"] == result["baselines"]
    val = run.evaluate(out, "val")
    assert val["mse"] == result["val"]["mse"] and val["windows"] == result["val"]["windows"]
    # loaded weights forecast the test split exactly as the in-memory model did
    config, net, state = run.load_run(out)
    setup = prepare_series(config.data)
    y_pred, y_true = run.forecast_split(net, setup, "test")
    assert run.score_arrays(y_pred, y_true, setup, "test")["mse"] == result["mse"]
    assert not net.training


def test_evaluate_on_another_file_with_the_same_columns(gru_run, airline, tmp_path):
    out, result = gru_run
    copy = tmp_path / "passengers.csv"
    airline.to_csv(copy, index=False, date_format="%Y-%m")
    assert run.evaluate(out, "test", data=str(copy))["mse"] == result["mse"]
    # another year's level: scored on the run's own scale, not one refitted to the new file
    shifted = tmp_path / "shifted.csv"
    airline.assign(Passengers=airline["Passengers"] + 100).to_csv(shifted, index=False, date_format="%Y-%m")
    _, net, state = run.load_run(out)
    mean, std = state["scaler"]["mean"][0], state["scaler"]["scale"][0]
    x, y = _windows((airline["Passengers"].to_numpy() + 100 - mean) / std, 92, 144)
    with torch.no_grad():
        y_pred = net(torch.tensor(x[:, :, None], dtype=torch.float32))[:, :, 0].double().numpy()
    other = run.evaluate(out, "test", data=str(shifted))
    assert other["mse"] == pytest.approx(np.mean((y_pred - y) ** 2), rel=1e-5)
    assert other["mse"] != pytest.approx(result["mse"], rel=1e-3)
    renamed = tmp_path / "renamed.csv"
    airline.rename(columns={"Passengers": "Riders"}).to_csv(renamed, index=False, date_format="%Y-%m")
    with pytest.raises(DataError, match="column 'Passengers' not found"):
        run.evaluate(out, "test", data=str(renamed))


def test_predict_writes_future_timestamps_and_finite_values(gru_run, airline, tmp_path):
    out, _ = gru_run
    history = tmp_path / "history.csv"
    airline.iloc[:100].to_csv(history, index=False, date_format="%Y-%m")
    preds = tmp_path / "preds"
    preds.mkdir()
    frame = run.predict(out, history, out=preds / "forecast.csv", plot=preds / "forecast.png")
    assert sorted(p.name for p in preds.iterdir()) == ["forecast.csv", "forecast.png"]  # no temp files left
    written = pd.read_csv(preds / "forecast.csv", parse_dates=["Month"])
    assert list(written.columns) == ["Month", "Passengers"] and len(written) == H
    last = airline["Month"].iloc[99]
    assert list(written["Month"]) == list(pd.date_range(last, periods=H + 1, freq="MS")[1:])
    assert written["Month"].iloc[0] == airline["Month"].iloc[100]  # the next month
    assert np.isfinite(written["Passengers"]).all()
    np.testing.assert_allclose(written["Passengers"], frame["Passengers"], rtol=1e-9)
    # the same numbers by hand: scale the last L rows, run the net, scale back
    _, net, state = run.load_run(out)
    mean, std = state["scaler"]["mean"][0], state["scaler"]["scale"][0]
    x = (airline["Passengers"].to_numpy()[100 - L:100] - mean) / std
    with torch.no_grad():
        y = net(torch.tensor(x[None, :, None], dtype=torch.float32))[0, :, 0].double().numpy()
    np.testing.assert_allclose(frame["Passengers"], y * std + mean, rtol=1e-5)
    with pytest.raises(DataError, match="lookback = 24"):
        airline.iloc[:20].to_csv(tmp_path / "short.csv", index=False, date_format="%Y-%m")
        run.predict(out, tmp_path / "short.csv")


def test_refuses_existing_dir_and_leaves_nothing_on_failure(gru_run, tmp_path, monkeypatch):
    out, _ = gru_run
    with pytest.raises(RunDirError, match="already exists"):
        run.train(_airline_config(), out)
    with pytest.raises(RunDirError, match="not a seqlab run directory"):
        run.load_run(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(run, "save_run", broken)
    target = tmp_path / "failed"
    with pytest.raises(RuntimeError, match="disk full"):
        run.train(_airline_config(), target)
    assert list(tmp_path.iterdir()) == []  # neither the run nor its temp folder


def test_overwrite_replaces_a_run_with_a_new_model(tmp_path):
    out = tmp_path / "run"
    first = run.train(_airline_config(), out)
    second = run.train(ForecastConfig(data={"path": "airline", "lookback": L, "horizon": H, "split": "0.6,0.2,0.2"},
                                      model="naive"), out, overwrite=True)
    assert second["model"] == "naive" and second["epochs"] == 0 and second["parameters"] == 0
    assert second["mse"] == first["baselines"]["naive"]["mse"]
    assert run.evaluate(out)["model"] == "naive"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_calendar_marks_reach_the_model_in_train_and_predict(tmp_path, shared_data):
    """An RNN with calendar marks on an ETTh1 slice (MS): marks saved, rebuilt for the future steps."""
    raw = pd.read_csv(shared_data / "ett" / "ETTh1.csv").iloc[:600]
    path = tmp_path / "slice.csv"
    raw.to_csv(path, index=False)
    config = ForecastConfig(data={"path": str(path), "features": "MS", "lookback": 48, "horizon": 24,
                                  "calendar": True}, model={"name": "lstm", "hidden": 8}, train={"epochs": 1})
    result = run.train(config, tmp_path / "run")
    _, net, state = run.load_run(tmp_path / "run")
    assert net.uses_marks and state["mark_names"] and net.shape.n_marks == len(state["mark_names"])
    assert run.evaluate(tmp_path / "run")["mse"] == result["mse"]
    frame = run.predict(tmp_path / "run", path)
    assert list(frame.columns) == ["date", "OT"]
    assert list(frame["date"]) == list(pd.date_range("2016-07-26 00:00", periods=24, freq="h"))
    assert np.isfinite(frame["OT"]).all()
