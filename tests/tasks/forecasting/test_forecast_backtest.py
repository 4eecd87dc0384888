"""Rolling-origin backtests on airline, with and without refitting, checked fold by fold with numpy."""

import numpy as np
import pandas as pd
import pytest
import torch

from seqlab.tasks.forecasting import run
from seqlab.tasks.forecasting.backtest import backtest
from seqlab.tasks.forecasting.config import ForecastConfig

L, H = 24, 12
CONFIG = ForecastConfig(data={"path": "airline", "lookback": L, "horizon": H}, model={"name": "linear"},
                        train={"epochs": 2})


@pytest.fixture(scope="module")
def passengers(shared_data) -> np.ndarray:
    return pd.read_csv(shared_data / "series" / "airline-passengers.csv")["Passengers"].to_numpy(dtype=np.float64)


@pytest.fixture
def fits(monkeypatch):
    """Every model ``fit_model`` trains during the test, with the training rows of its set-up."""
    trained = []
    fit_model = run.fit_model

    def spy(config, model, setup, *args, **kwargs):
        net, summary = fit_model(config, model, setup, *args, **kwargs)
        trained.append((net, setup.rows("train"), setup.rows("val")))
        return net, summary

    monkeypatch.setattr(run, "fit_model", spy)
    return trained


def _fold_scores(net, values, fit_rows, test_rows):
    """(mse, naive mse) of ``net`` on the test rows, scaled by the mean and std of ``fit_rows``."""
    mean, std = values[slice(*fit_rows)].mean(), values[slice(*fit_rows)].std()
    z = (values - mean) / std
    start, end = test_rows
    x = np.array([z[i:i + L] for i in range(start, end - L - H + 1)])  # (n, L)
    y = np.array([z[i + L:i + L + H] for i in range(start, end - L - H + 1)])  # (n, H)
    with torch.no_grad():
        net.eval()
        y_pred = net(torch.tensor(x[:, :, None], dtype=torch.float32))[:, :, 0].double().numpy()
    return np.mean((y_pred - y) ** 2), np.mean((x[:, -1:] - y) ** 2)


@pytest.mark.parametrize("refit", [True, False])
def test_backtest_folds_and_means(passengers, fits, refit):
    result = backtest(CONFIG, folds=3, refit=refit, test_size=2 * H)
    assert result["refit"] is refit and result["model"] == "linear"
    folds = result["folds"]
    assert [f["fold"] for f in folds] == [0, 1, 2]
    origins = [144 - 2 * H * (3 - k) for k in range(3)]  # 72, 96, 120
    assert [f["train"] for f in folds] == [[0, o] for o in origins]
    assert [f["test"] for f in folds] == [[o - L, o + 2 * H] for o in origins]
    assert [f["windows"] for f in folds] == [2 * H - H + 1] * 3
    # trained once without refit, at every origin with it; validation carved from the training rows' end
    assert len(fits) == (3 if refit else 1)
    for (net, fit_rows, val_rows), origin in zip(fits, origins):
        n_val = max(H, int(origin * 0.2))
        assert fit_rows == (0, origin - n_val) and val_rows == (origin - n_val - L, origin)
    for k, fold in enumerate(folds):
        net, fit_rows, _ = fits[k if refit else 0]
        mse, naive_mse = _fold_scores(net, passengers, fit_rows, fold["test"])
        assert fold["mse"] == pytest.approx(mse, rel=1e-5)
        assert fold["naive_mse"] == pytest.approx(naive_mse, rel=1e-6)
    mean = result["mean"]
    for key in ("mse", "mae", "rmse", "naive_mse", "naive_mae"):
        assert mean[key] == pytest.approx(np.mean([f[key] for f in folds]), rel=1e-12)
    for key in ("mse", "mae", "mape", "smape", "mase"):
        assert mean["original"][key] == pytest.approx(np.mean([f["original"][key] for f in folds]), rel=1e-12)


def test_no_refit_keeps_the_first_model_and_scale(fits):
    """Without refit every fold is forecast by the first fold's model, so its first fold equals the refit one's."""
    refit = backtest(CONFIG, folds=2, refit=True)
    n_refit = len(fits)
    once = backtest(CONFIG, folds=2, refit=False)
    assert n_refit == 2 and len(fits) == 3
    assert once["folds"][0]["mse"] == refit["folds"][0]["mse"]
    assert once["folds"][1]["mse"] != refit["folds"][1]["mse"]
    assert [f["test"] for f in once["folds"]] == [[96, 132], [108, 144]]


def test_sliding_window_and_auto(fits):
    result = backtest(CONFIG.model_copy(update={"model": "auto"}), folds=2, refit=False, expanding=False)
    assert result["expanding"] is False and result["model"] in {"naive", "mean", "seasonal-naive", "linear",
                                                                "dlinear", "cycle-segrnn"}
    assert [f["train"] for f in result["folds"]] == [[0, 120], [12, 132]]
    assert len({f["model"] for f in result["folds"]}) == 1


def test_backtest_ignores_the_split_of_a_short_ett_file(tmp_path, shared_data):
    """An ETT-named file is split by the ETT protocol for training; a backtest splits by folds instead."""
    raw = pd.read_csv(shared_data / "ett" / "ETTh1.csv").iloc[:600]
    path = tmp_path / "ETTh1_head.csv"
    raw.to_csv(path, index=False)
    config = ForecastConfig(data={"path": str(path), "features": "MS", "lookback": 48, "horizon": 24},
                            model="naive")
    result = backtest(config, folds=2, test_size=48)
    assert [f["train"] for f in result["folds"]] == [[0, 504], [0, 552]]
    assert [f["windows"] for f in result["folds"]] == [25, 25]
    for fold in result["folds"]:  # naive is the baseline itself
        assert fold["mse"] == fold["naive_mse"]
        ot = raw["OT"].to_numpy()
        fit_end = fold["train"][1] - max(24, int(fold["train"][1] * 0.2))
        z = (ot - ot[:fit_end].mean()) / ot[:fit_end].std()
        start, end = fold["test"]
        errors = [z[i + 48:i + 72] - z[i + 47] for i in range(start, end - 72 + 1)]
        assert fold["mse"] == pytest.approx(np.mean(np.square(errors)), rel=1e-6)
