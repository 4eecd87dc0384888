"""``--model auto``: train a few strong, cheap candidates and keep the best by validation MSE.

The candidates are cheap and strong across series (BENCHMARKS.md): cycle-segrnn (seqlab's
recommended recurrent model), NLinear and DLinear, and the parameter-free baselines, which win
on short or noisy series where a network cannot beat persistence. The test split is never
looked at.
"""

from __future__ import annotations

import logging
from seqlab.errors import DataError
from seqlab.models.forecast import Forecaster, ForecasterConfig
from seqlab.tasks.forecasting.config import ForecastConfig
from seqlab.tasks.forecasting.data import SeriesSetup

log = logging.getLogger(__name__)


def candidates(setup: SeriesSetup) -> list[ForecasterConfig]:
    """The models ``auto`` tries on this series, cheapest first."""
    L, season = setup.data.lookback, setup.season
    models = [ForecasterConfig(name="naive"), ForecasterConfig(name="mean")]
    if season and season <= L:
        models.append(ForecasterConfig(name="seasonal-naive"))
    models += [ForecasterConfig(name="linear"), ForecasterConfig(name="dlinear", moving_avg=min(25, L - (L + 1) % 2))]
    if L >= 4:  # two segments of two steps at least
        models.append(ForecasterConfig(name="cycle-segrnn"))
    return models


def select_model(config: ForecastConfig, setup: SeriesSetup,
                 progress: bool = False) -> tuple[Forecaster, dict, dict]:
    """Train every candidate, score each on the validation split, keep the best.

    Returns the chosen model, its training summary and ``{"chosen": name, "candidates":
    [{"model", "val_mse", "val_mae", "parameters", "train_seconds"}, ...]}``.
    """
    from seqlab.tasks.forecasting.run import fit_model, score

    best, rows, skipped = None, [], []
    for model in candidates(setup):
        try:  # no run directory: the best epoch is kept in memory, the checkpoints would be the losers' too
            net, summary = fit_model(config, model, setup, None, progress)
        except DataError as exc:  # a candidate that cannot run on this series is skipped, and said so
            log.warning("auto: skipping %s: %s", model.name, exc)
            skipped.append(f"{model.name}: {exc}")
            continue
        val = score(net, setup, "val")
        rows.append({**summary, "val_mse": val["mse"], "val_mae": val["mae"]})
        log.info("auto: %s val_mse=%.4f", model.name, val["mse"])
        if best is None or val["mse"] < best[0]:
            best = (val["mse"], net, summary)
    if best is None:
        raise DataError("auto: no candidate could run on this series; " + "; ".join(skipped))
    _, net, summary = best
    return net, summary, {"chosen": net.config.name, "candidates": rows}
