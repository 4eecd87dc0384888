"""``model: auto`` on real series: the lowest validation MSE wins, the test rows are never read."""

import dataclasses
import json

import numpy as np
import pytest

from seqlab.tasks.forecasting import run, select
from seqlab.tasks.forecasting.config import ForecastConfig, ForecastData
from seqlab.tasks.forecasting.data import prepare_series

AIRLINE = {"path": "airline", "lookback": 24, "horizon": 12, "split": "0.6,0.2,0.2"}


def test_candidates_fit_the_series():
    airline = prepare_series(ForecastData(**AIRLINE))
    models = {m.name: m for m in select.candidates(airline)}
    assert list(models) == ["naive", "mean", "seasonal-naive", "linear", "dlinear", "cycle-segrnn"]
    assert models["dlinear"].moving_avg == 23  # odd, within L = 24
    assert models["cycle-segrnn"].resolved(airline.shape).seg_len == 12  # two segments of L = 24
    etth1 = prepare_series(ForecastData(path="etth1", lookback=96, horizon=24))
    models = {m.name: m for m in select.candidates(etth1)}
    assert models["cycle-segrnn"].resolved(etth1.shape).seg_len == 24 and models["dlinear"].moving_avg == 25
    short = prepare_series(ForecastData(path="etth1", lookback=12, horizon=24))  # a day does not fit in L
    assert "seasonal-naive" not in [m.name for m in select.candidates(short)]


def test_auto_keeps_the_lowest_validation_mse_and_records_it(tmp_path, monkeypatch):
    config = ForecastConfig(data=AIRLINE, model="auto", train={"epochs": 1})
    scored = []
    score = run.score

    def spy(net, setup, split):
        scored.append((net.config.name, split))
        return score(net, setup, split)

    monkeypatch.setattr(run, "score", spy)
    result = run.train(config, tmp_path / "run")
    selection = result["selection"]
    names = [c["model"] for c in selection["candidates"]]
    assert names == ["naive", "mean", "seasonal-naive", "linear", "dlinear", "cycle-segrnn"]
    val = {c["model"]: c["val_mse"] for c in selection["candidates"]}
    chosen = min(val, key=val.get)
    assert selection["chosen"] == chosen == result["model"]
    assert result["val"]["mse"] == val[chosen]
    # while choosing, every candidate was scored on validation and none on test
    assert scored[:len(names)] == [(name, "val") for name in names]
    assert scored[len(names):len(names) + 2] == [(chosen, "test"), (chosen, "val")]  # then the report
    # the selection is on disk, and the run is the chosen model
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["selection"] == selection and metrics["model"] == chosen
    saved = run.load_forecast_config(tmp_path / "run" / "config.yaml")
    assert saved.model.name == chosen
    assert run.evaluate(tmp_path / "run")["mse"] == result["mse"]


def test_auto_ignores_the_test_rows():
    """Scrambling every row after the validation split changes no candidate's validation score."""
    config = ForecastConfig(data=AIRLINE, model="auto", train={"epochs": 1})
    setup = prepare_series(config.data)
    val_end = setup.rows("val")[1]
    scrambled = setup.values.copy()
    scrambled[val_end:] = np.random.default_rng(0).normal(1000, 500, size=scrambled[val_end:].shape)
    _, _, plain = select.select_model(config, setup)
    _, _, other = select.select_model(config, dataclasses.replace(setup, values=scrambled))
    assert [c["val_mse"] for c in plain["candidates"]] == [c["val_mse"] for c in other["candidates"]]
    assert plain["chosen"] == other["chosen"]
    with pytest.raises(AssertionError):  # the scrambling did reach the test windows
        np.testing.assert_array_equal(setup.dataset("test").targets(),
                                      dataclasses.replace(setup, values=scrambled).dataset("test").targets())
