"""Rolling-origin backtesting: train up to each origin (or once), forecast the rows after it, average.

Each fold's training rows are split chronologically: the last ``val_fraction`` of them (with L
rows of context) is the validation data for early stopping and ``auto``; the scaler is fitted on
the rest. With ``refit=False`` the first fold's model and scaler forecast every fold. Scores are
on each fold's standardised scale plus ``original`` units, as in :func:`run.score`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from seqlab.data.windows import StandardScaler
from seqlab.errors import DataError
from seqlab.tasks.forecasting.config import ForecastConfig
from seqlab.tasks.forecasting.data import SeriesSetup, prepare_series
from seqlab.tasks.forecasting.folds import rolling_origin


def fold_setup(base: SeriesSetup, train: tuple[int, int], test: tuple[int, int], val_fraction: float) -> SeriesSetup:
    """``base`` re-split for one fold: training, validation carved from its end, and the fold's test rows."""
    L, H = base.data.lookback, base.data.horizon
    start, origin = train
    n_val = max(H, int((origin - start) * val_fraction))
    fit_end = origin - n_val
    if fit_end - start < L + H:
        raise DataError(f"fold training rows [{start}, {origin}) leave {fit_end - start} rows after carving "
                        f"{n_val} validation rows; need at least lookback + horizon = {L + H}")
    scaler = StandardScaler().fit(base.values[start:fit_end])
    return dataclasses.replace(base, scaler=scaler, borders=[(start, fit_end), (fit_end - L, origin), test])


def backtest(config: ForecastConfig, *, folds: int = 3, refit: bool = True, test_size: int | None = None,
             step: int | None = None, expanding: bool = True, val_fraction: float = 0.2,
             progress: bool = False) -> dict:
    """Backtest ``config``'s model over ``folds`` rolling origins.

    Returns ``{"model", "refit", "folds": [{"fold", "train", "test", "mse", "mae", "rmse",
    "original", "baselines"}, ...], "mean": {"mse", "mae", "rmse", "naive_mse"}}``.
    """
    from seqlab.tasks.forecasting.run import baseline_scores, fit_model, score
    from seqlab.tasks.forecasting.select import select_model

    base = prepare_series(config.data, split=False)  # the folds split it, not data.split
    L, H = base.data.lookback, base.data.horizon
    # each fold's training rows must leave L + H rows to fit after carving at least H validation rows
    plan = rolling_origin(len(base.values), lookback=L, horizon=H, folds=folds, test_size=test_size or H,
                          step=step, expanding=expanding, min_train=L + 2 * H)
    rows, net, chosen = [], None, None
    for k, fold in enumerate(plan):
        setup = fold_setup(base, fold.train, fold.test, val_fraction)
        if net is None or refit:
            if config.model == "auto":
                net, summary, _ = select_model(config, setup, progress)
            else:
                net, summary = fit_model(config, config.model, setup, None, progress)
            chosen = setup.scaler
        else:
            setup = dataclasses.replace(setup, scaler=chosen)  # the first fold's scale, as the model learnt it
        result = score(net, setup, "test")
        naive = baseline_scores(setup, "test")["naive"]
        rows.append({"fold": k, "train": list(fold.train), "test": list(fold.test), "model": net.config.name,
                     **{key: result[key] for key in ("mse", "mae", "rmse", "original", "windows")},
                     "naive_mse": naive["mse"], "naive_mae": naive["mae"]})
    mean = {key: float(np.mean([r[key] for r in rows])) for key in ("mse", "mae", "rmse", "naive_mse", "naive_mae")}
    mean["original"] = {key: float(np.mean([r["original"][key] for r in rows])) for key in rows[0]["original"]}
    return {"model": rows[-1]["model"], "refit": refit, "expanding": expanding, "folds": rows, "mean": mean}
