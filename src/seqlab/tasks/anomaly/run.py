"""Anomaly runs: fit a detector on the early part of a series into a run directory, score a series.

``fit`` reads a ``timestamp,value`` CSV, keeps its early part (NAB's probationary period unless
``data.fit_fraction`` says otherwise; labels are never read), standardises it with the statistics
of its training rows, trains the detector on them, and sets the alarm threshold on the scores of
the held-out tail. The rolling z-score baseline gets its own threshold the same way, so every
``score`` reports it beside the model.

``score`` scores every row of a series (a batch pass, or ``streaming=True``: one row at a time,
carrying the state), raises an alarm where the score is above the threshold, and compares the
alarms with the series' NAB windows over the rows after NAB's probationary period: point-wise and
window-wise precision, recall and F1 (:mod:`.metrics`) and the NAB score of three profiles
(:mod:`.nab`).

A run directory holds::

    config.yaml          the resolved AnomalyConfig (model chosen)
    preprocessing.json   kind, the scaler, the split, the thresholds of the model and the baseline
    model.json           the detector config
    weights.safetensors  its weights (none for the z-score)
    metrics.json         the fit summary: epochs, validation loss and skill, threshold, selection
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from seqlab.data import memory
from seqlab.data.nab import (NabSeries, probation_length, read_label_windows, read_nab_series, window_bounds)
from seqlab.data.windows import StandardScaler
from seqlab.errors import DataError
from seqlab.models import io
from seqlab.models.anomaly import DetectorConfig, build_detector
from seqlab.tasks.results import standard_result
from seqlab.tasks.anomaly import detectors
from seqlab.tasks.anomaly.config import AnomalyConfig, load_anomaly_config
from seqlab.tasks.anomaly.metrics import point_scores, window_scores
from seqlab.tasks.anomaly.nab import nab_scores
from seqlab.tasks.anomaly.thresholds import fit_threshold
from seqlab.tasks.rundir import CONFIG_FILE, PREPROCESSING_FILE, check_out, staged_run
from seqlab.tasks.runfiles import load_trained, save_model

log = logging.getLogger(__name__)
KIND = "anomaly"
METRICS_FILE = "metrics.json"
BASELINE = DetectorConfig(name="zscore")
MIN_VAL_ROWS = 10


# --------------------------------------------------------------------------------------------
# The split


def read_input(spec: str | Path, base: Path | None = None) -> NabSeries:
    """The series of ``spec``: a ``timestamp,value`` CSV (relative to ``base`` when given), or one lent in memory."""
    lent = memory.lookup(spec)
    if lent is not None:
        return lent
    path = Path(spec)
    return read_nab_series(base / path if base is not None and not path.is_absolute() else path)


def split_rows(n: int, config: AnomalyConfig) -> tuple[int, int]:
    """``(n_fit, n_train)``: the rows fitted on (a prefix) and, of those, the rows trained on."""
    d = config.data
    n_fit = probation_length(n) if d.fit_fraction is None else int(d.fit_fraction * n)
    n_train = int(round(n_fit * (1 - d.val_fraction)))
    return n_fit, n_train


def _check_split(series: NabSeries, config: AnomalyConfig, model: DetectorConfig, n_fit: int, n_train: int) -> None:
    need = detectors.min_rows(model.name, model.window)
    part = ("NAB's probationary period, 15 % of the rows" if config.data.fit_fraction is None
            else f"data.fit_fraction={config.data.fit_fraction}")
    if n_train < need or n_fit - n_train < MIN_VAL_ROWS:
        raise DataError(
            f"{series.path}: {len(series)} rows; the part fitted on ({part}) has {n_fit}, {n_train} to train and "
            f"{n_fit - n_train} to validate, but {model.name} with window {model.window} needs {need} training and "
            f"{MIN_VAL_ROWS} validation rows; use a longer series, a larger data.fit_fraction or a smaller "
            "model.window (--set key=value)")


# --------------------------------------------------------------------------------------------
# Fitting one detector


def fit_detector(config: AnomalyConfig, model: DetectorConfig, z: np.ndarray, n_train: int,
                 progress: bool = False) -> tuple[torch.nn.Module, dict]:
    """Train ``model`` on ``z[:n_train]``, validate on the rest of ``z``; returns the network and a
    summary with its threshold (set on the validation scores) and validation skill."""
    if config.train.seed is not None:
        torch.manual_seed(config.train.seed)  # initial weights, before the engine seeds training
    net = build_detector(model)
    W = model.window
    val_start = n_train if model.name in ("lstm-forecast", "zscore") else n_train - W + 1
    started = time.perf_counter()
    trained = detectors.train_detector(net, z[:n_train], z[val_start:], config.optimizer,
                                       config.train.model_copy(update={"progress": progress}))
    s = detectors.scores(net, z)
    threshold = fit_threshold(s[n_train:], config.threshold.method, q=config.threshold.q,
                              risk=config.threshold.risk, init_quantile=config.threshold.init_quantile)
    summary = {"model": model.name, "parameters": sum(p.numel() for p in net.parameters()), **trained,
               "val_skill": detectors.validation_skill(net, z, n_train),
               "val_alarm_rate": float((s[n_train:] > threshold["threshold"]).mean()),
               "threshold": threshold, "train_seconds": round(time.perf_counter() - started, 2)}
    return net, summary


def fit(config: AnomalyConfig, out: str | Path, *, overwrite: bool = False, base: Path | None = None,
        progress: bool = False, resume: bool = False) -> dict:
    """Fit ``config`` into the run directory ``out``; returns the fit summary (also ``metrics.json``).

    ``model: auto`` trains the candidates of :mod:`seqlab.tasks.anomaly.select` and keeps the one
    with the best validation skill. Everything is checked before the directory is touched.
    """
    from seqlab.tasks.anomaly.select import candidates, select_detector

    out = Path(out)
    check_out(out, overwrite, resume=resume)
    series = read_input(config.data.path, base)
    n_fit, n_train = split_rows(len(series), config)
    for model in ([config.model] if config.model != "auto" else candidates()) + [BASELINE]:
        _check_split(series, config, model, n_fit, n_train)
    scaler = StandardScaler().fit(series.values[:n_train, None])
    z = scaler.transform(series.values[:n_fit, None])[:, 0]
    with staged_run(out, overwrite=overwrite, resume=resume) as work:
        if config.model == "auto":
            net, summary, selection = select_detector(config, z, n_train, progress)
            config = config.model_copy(update={"model": net.config})
        else:
            net, summary = fit_detector(config, config.model, z, n_train, progress)
            selection = None
        _, baseline = fit_detector(config, BASELINE, z, n_train)
        result = {**summary, "baselines": {"zscore": baseline},
                  "data": {"path": str(series.path), "rows": len(series), "fit_rows": n_fit, "train_rows": n_train}}
        if selection is not None:
            result["selection"] = selection
        save_run(work, config, net, scaler, result)
    result["run_dir"] = str(out)
    return result


def save_run(work: Path, config: AnomalyConfig, net: torch.nn.Module, scaler: StandardScaler, result: dict) -> None:
    io.atomic_write_text(work / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    io.write_json(work / PREPROCESSING_FILE, {
        "kind": KIND, "scaler": scaler.to_dict(), "split": result["data"],
        "threshold": result["threshold"], "baseline": {"config": BASELINE.model_dump(mode="json"),
                                                       "threshold": result["baselines"]["zscore"]["threshold"]}})
    save_model(work, net, {"config": net.config.model_dump(mode="json")})
    io.write_json(work / METRICS_FILE, standard_result(result))


def _build(spec: dict) -> torch.nn.Module:
    return build_detector(DetectorConfig.model_validate(spec["config"]))


def load_run(run_dir: str | Path) -> tuple[AnomalyConfig, torch.nn.Module, dict]:
    """The config, the trained detector (eval mode) and the preprocessing state of an anomaly run."""
    run_dir, net, state = load_trained(run_dir, KIND, "seqlab anomaly fit", _build)
    return load_anomaly_config(run_dir / CONFIG_FILE), net, state


# --------------------------------------------------------------------------------------------
# Scoring


def standardise(series: NabSeries, state: dict) -> np.ndarray:
    """The series in the run's standardised units."""
    return StandardScaler.from_dict(state["scaler"]).transform(series.values[:, None])[:, 0]


def series_scores(net: torch.nn.Module, z: np.ndarray, streaming: bool = False) -> np.ndarray:
    """(N,) scores of ``z``: one batch pass, or one row at a time through a StreamScorer."""
    if not streaming:
        return detectors.scores(net, z)
    scorer = detectors.StreamScorer(net)
    return np.array([scorer.update(v) for v in z])


def predict(run_dir: str | Path, data: str | Path, streaming: bool = False) -> dict:
    """Scores and alarms of every row of ``data``: ``{"timestamps", "scores", "alarms", "threshold"}``."""
    _, net, state = load_run(run_dir)
    series = read_input(data)
    s = series_scores(net, standardise(series, state), streaming)
    threshold = state["threshold"]["threshold"]
    return {"timestamps": series.timestamps, "scores": s, "alarms": s > threshold, "threshold": threshold}


def evaluate_alarms(alarms: np.ndarray, bounds: list[tuple[int, int]], probation: int) -> dict:
    """Point-wise P/R/F1 at the top level, ``point``, ``window`` and ``nab`` (three profiles),
    ``nab_score`` the standard profile's."""
    point = point_scores(alarms, bounds, probation)
    nab = nab_scores(alarms, bounds, probation)
    return {"f1": point["f1"], "precision": point["precision"], "recall": point["recall"],
            "nab_score": nab["standard"]["score"], "point": point, "window": window_scores(alarms, bounds, probation),
            "nab": nab, "alarms": int(alarms[probation:].sum())}


def score(run_dir: str | Path, data: str | Path, labels: str | Path, streaming: bool = False) -> dict:
    """Score a run's detector on the labelled series ``data`` (labels: NAB's combined_windows.json).

    Returns the model's scores (see :func:`evaluate_alarms`; ``f1``, ``precision`` and ``recall``
    are point-wise, ``nab_score`` is NAB's standard profile), ``baselines.zscore`` (the rolling
    z-score with its own fitted threshold), and ``model``, ``threshold``, ``rows``, ``scored_rows``,
    ``probation``, ``windows``, ``key``, ``streaming``, ``run_dir``.

    Raises:
        DataError: an unreadable series or labels file, or no labels entry for the series.
        RunDirError: ``run_dir`` is not a complete anomaly run.
    """
    _, net, state = load_run(run_dir)
    series = read_input(data)
    lent = memory.lookup(labels)  # (start, end) windows given in memory, or NAB's labels file
    bounds = window_bounds(series.timestamps, lent if lent is not None else read_label_windows(labels, series.key))
    z = standardise(series, state)
    probation = probation_length(len(series))
    s = series_scores(net, z, streaming)
    result = evaluate_alarms(s > state["threshold"]["threshold"], bounds, probation)
    base = build_detector(DetectorConfig.model_validate(state["baseline"]["config"]))
    b = evaluate_alarms(detectors.scores(base, z) > state["baseline"]["threshold"]["threshold"], bounds, probation)
    result["baselines"] = {"zscore": {k: b[k] for k in ("f1", "precision", "recall", "nab_score", "alarms")}
                           | {"window_f1": b["window"]["f1"], "nab": {p: v["score"] for p, v in b["nab"].items()}}}
    result.update({"model": net.config.name, "threshold": state["threshold"]["threshold"], "rows": len(series),
                   "scored_rows": len(series) - probation, "probation": probation, "windows": len(bounds),
                   "key": series.key, "streaming": streaming, "run_dir": str(Path(run_dir))})
    if result["nab_score"] is None:
        log.warning("%s: no labelled window after the probationary period, so the NAB score is undefined", series.key)
    return result

