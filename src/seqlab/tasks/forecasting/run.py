"""Forecasting runs: train a model into a run directory, evaluate it, forecast past a history.

A forecasting run directory holds::

    config.yaml          the resolved ForecastConfig (data path absolute, model chosen)
    preprocessing.json   columns, targets, scaler, frequency, borders
    model.json           the model config and the shape it was built for
    weights.safetensors  the weights of the best validation epoch
    metrics.csv          one row per epoch
    metrics.json         validation and test metrics beside the baselines, the auto selection
    forecast.png         the first test window's forecast against the actuals

Scores are on the standardised scale (the ETT convention) with ``"original"`` holding the same
metrics and MAPE/sMAPE/MASE in the data's own units.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from seqlab.data.series import read_series
from seqlab.data.windows import StandardScaler
from seqlab.errors import DataError
from seqlab.models import io
from seqlab.models.forecast import BASELINES, ForecasterConfig, ForecastShape, Forecaster, build_forecaster
from seqlab.tasks.results import standard_result
from seqlab.tasks.forecasting.config import ForecastConfig, load_forecast_config
from seqlab.tasks.forecasting.data import SeriesSetup, WindowDataset, history_inputs, prepare_series, unscale
from seqlab.tasks.forecasting.metrics import forecast_metrics
from seqlab.tasks.forecasting.plots import plot_forecast
from seqlab.tasks.rundir import CONFIG_FILE, PREPROCESSING_FILE, check_out, staged_run
from seqlab.tasks.runfiles import load_trained, save_model
from seqlab.training import engine

log = logging.getLogger(__name__)
METRICS_FILE, PLOT_FILE = "metrics.json", "forecast.png"
EVAL_BATCH = 512


# --------------------------------------------------------------------------------------------
# Fitting and scoring one model


def fit_model(config: ForecastConfig, model: ForecasterConfig, setup: SeriesSetup,
              run_dir: Path | None = None, progress: bool = False) -> tuple[Forecaster, dict]:
    """Build ``model`` for ``setup`` and train it (baselines need no training); returns it and a summary."""
    if config.train.seed is not None:
        torch.manual_seed(config.train.seed)  # initial weights, before the engine seeds training
    net = build_forecaster(model, setup.shape)
    started = time.perf_counter()
    epochs = 0
    if net.trainable:
        train_config = config.train.model_copy(update={"progress": progress})
        history = engine.fit(
            net, loss=config.loss, metrics=["mse", "mae"], optimizer=config.optimizer,
            train_loader=engine.make_loader(setup.dataset("train", teacher=net.needs_targets), train_config),
            val_loader=_loader(setup.dataset("val")), config=train_config, run_dir=run_dir)
        epochs = len(history.epoch)
    summary = {"model": model.name, "parameters": sum(p.numel() for p in net.parameters()),
               "epochs": epochs, "train_seconds": round(time.perf_counter() - started, 2)}
    return net, summary


def _loader(dataset: WindowDataset) -> torch.utils.data.DataLoader:
    return torch.utils.data.DataLoader(dataset, batch_size=EVAL_BATCH, shuffle=False)


def forecast_split(net: Forecaster, setup: SeriesSetup, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(predictions, targets), each (n, H, K) on the standardised scale, for every window of ``split``."""
    dataset = setup.dataset(split)
    return engine.predict(net, _loader(dataset)).numpy(), dataset.targets()


def score(net: Forecaster, setup: SeriesSetup, split: str) -> dict:
    """MSE, MAE, RMSE on the standardised scale, and every metric in the original units under ``original``."""
    y_pred, y_true = forecast_split(net, setup, split)
    return score_arrays(y_pred, y_true, setup, split)


def score_arrays(y_pred: np.ndarray, y_true: np.ndarray, setup: SeriesSetup, split: str) -> dict:
    scaled = forecast_metrics(y_true, y_pred)
    start, end = setup.rows("train")
    y_train = setup.values[start:end, list(setup.target_idx)]
    season = setup.season if setup.season and setup.season < len(y_train) else 1
    actual, forecast = setup.unscale(y_true), setup.unscale(y_pred)
    try:
        original = forecast_metrics(actual, forecast, y_train=y_train, season=season)
    except DataError as exc:  # MASE needs a training series that moves; say so and report it as NaN
        log.warning("MASE left out: %s", exc)
        original = forecast_metrics(actual, forecast)
    return {"mse": scaled["mse"], "mae": scaled["mae"], "rmse": scaled["rmse"], "original": original,
            "split": split, "windows": int(len(y_true))}


def baseline_scores(setup: SeriesSetup, split: str) -> dict[str, dict]:
    """The parameter-free baselines on ``split``: naive, mean and seasonal naive (where a season fits the lookback)."""
    scores = {}
    for name in BASELINES:
        if name == "seasonal-naive" and not (setup.season and setup.season <= setup.data.lookback):
            continue
        net = build_forecaster(ForecasterConfig(name=name), setup.shape)
        result = score(net, setup, split)
        scores[name] = {"mse": result["mse"], "mae": result["mae"], "original": result["original"]}
    return scores


# --------------------------------------------------------------------------------------------
# Run directories


def train(config: ForecastConfig, out: str | Path, *, overwrite: bool = False, base: Path | None = None,
          progress: bool = False, resume: bool = False) -> dict:
    """Train ``config`` into the run directory ``out`` and score it on validation and test.

    ``model: auto`` trains the candidates of :mod:`seqlab.tasks.forecasting.select` and keeps the
    one with the lowest validation MSE. Everything is checked before the directory is touched;
    the run trains in a hidden sibling folder that replaces ``out`` only when it has finished.

    Returns ``{"mse", "mae", "rmse", "original", "val", "baselines", "model", "parameters",
    "train_seconds", "selection"?, "run_dir"}`` with the test scores at the top level.
    """
    from seqlab.tasks.forecasting.select import select_model

    out = Path(out)
    check_out(out, overwrite, resume=resume)
    setup = prepare_series(config.data, base)
    if config.model == "auto" and (setup.mark_names or config.data.covariates):
        log.warning("auto: its candidates forecast each target from its own past; the covariates and calendar "
                    "features are used only by lstm, gru, rnn, stacked-lstm, cnn, tcn and seq2seq (--model)")
    config = config.model_copy(update={"data": setup.data})
    setup.dataset("val"), setup.dataset("test")  # too-short splits fail now, before any training
    with staged_run(out, overwrite=overwrite, resume=resume) as work:
        if config.model == "auto":
            net, summary, selection = select_model(config, setup, progress)
            config = config.model_copy(update={"model": net.config})
        else:
            net, summary = fit_model(config, config.model, setup, work, progress)
            selection = None
        result = {**score(net, setup, "test"), "val": score(net, setup, "val"),
                  "baselines": baseline_scores(setup, "test"), **summary}
        if selection is not None:
            result["selection"] = selection
        save_run(work, config, net, setup, result)
    result["run_dir"] = str(out)
    return result


def save_run(work: Path, config: ForecastConfig, net: Forecaster, setup: SeriesSetup, result: dict) -> None:
    io.atomic_write_text(work / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    io.write_json(work / PREPROCESSING_FILE, setup.state())
    save_model(work, net, {"config": net.config.model_dump(mode="json"),
                                      "shape": dataclasses.asdict(net.shape)})
    io.write_json(work / METRICS_FILE, standard_result(result))
    _plot_first_window(work / PLOT_FILE, net, setup)


def _plot_first_window(path: Path, net: Forecaster, setup: SeriesSetup) -> None:
    dataset = setup.dataset("test")
    item, y = dataset[0]
    with torch.no_grad():
        net.eval()
        y_pred = net({k: v[None] for k, v in item.items()})[0].numpy()  # (H, K)
    start = setup.rows("test")[0]
    L, H = setup.data.lookback, setup.data.horizon
    stamps = setup.timestamps[start:start + L + H] if setup.timestamps is not None else None
    context = item["x"].numpy()[:, list(setup.target_idx)]  # (L, K)
    plot_forecast(path, setup.unscale(context), setup.unscale(y.numpy()), setup.unscale(y_pred),
                  timestamps=stamps, columns=setup.targets, title=f"{net.config.name}: first test window")


def load_run(run_dir: str | Path) -> tuple[ForecastConfig, Forecaster, dict]:
    """The config, the trained model and the preprocessing state of a forecasting run."""
    run_dir, net, state = load_trained(run_dir, "forecast", "seqlab forecast train", _build_described)
    return load_forecast_config(run_dir / CONFIG_FILE), net, state


def _build_described(spec: dict) -> Forecaster:
    shape = ForecastShape(**{**spec["shape"], "target_idx": tuple(spec["shape"]["target_idx"])})
    return build_forecaster(ForecasterConfig.model_validate(spec["config"]), shape)


def evaluate(run_dir: str | Path, split: str = "test", data: str | None = None) -> dict:
    """Score a run's model on ``split`` of its own data (or of ``data``, same columns) with the baselines."""
    config, net, state = load_run(run_dir)
    data_config = config.data if data is None else config.data.model_copy(update={"path": data})
    setup = prepare_series(data_config)
    if (setup.columns, setup.targets) != (state["columns"], state["targets"]):
        raise DataError(f"{data_config.path}: columns {setup.columns} (targets {setup.targets}) differ from the "
                        f"run's {state['columns']} (targets {state['targets']})")
    setup.scaler = StandardScaler.from_dict(state["scaler"])  # the scale the model was trained on
    return {**score(net, setup, split), "baselines": baseline_scores(setup, split), "model": net.config.name,
            "run_dir": str(run_dir)}


def predict(run_dir: str | Path, history: str | Path, out: str | Path | None = None,
            plot: str | Path | None = None) -> pd.DataFrame:
    """Forecast the ``horizon`` steps after the end of ``history`` (a CSV/Parquet with the run's columns).

    Returns a frame with the future timestamps (or ``step``) and one column per target, in the
    data's own units; writes it as CSV to ``out`` (atomically) and a PNG to ``plot`` when given.
    """
    config, net, state = load_run(run_dir)
    frame = read_series(history, columns=state["columns"], timestamp_col=state["timestamp_col"],
                        missing=config.data.missing or "error")
    item, future = history_inputs(frame, state, source=str(history))
    with torch.no_grad():
        y = net(item)[0].numpy()  # (H, K) standardised
    values = unscale(y, StandardScaler.from_dict(state["scaler"]), [state["columns"].index(t) for t in state["targets"]])
    ts_col = state["timestamp_col"]
    first = {ts_col: future} if future is not None else {"step": np.arange(1, len(values) + 1)}
    result = pd.DataFrame({**first, **{t: values[:, k] for k, t in enumerate(state["targets"])}})
    if out is not None:
        io.atomic_write_text(out, result.to_csv(index=False))
    if plot is not None:
        L = state["lookback"]
        context = frame[state["targets"]].to_numpy()[-L:]
        stamps = pd.DatetimeIndex(frame[ts_col])[-L:].append(future) if future is not None else None
        plot_forecast(plot, context, None, values, timestamps=stamps, columns=state["targets"],
                      title=f"{net.config.name}: forecast")
    return result

