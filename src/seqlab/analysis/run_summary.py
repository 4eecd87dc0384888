"""A run's scores and training curves as the report shows them, whatever task wrote them.

Each task's ``metrics.json`` has its own shape today: the test scores at the top level with
``baselines`` beside them (the task commands), ``{"test", "baseline"}`` (``seqlab train``), or the
converged ``{"metrics": {...}, "baselines": {name: {...}}, "model", "run_dir"}``. :func:`run_metrics`
reads any of them into one shape; :func:`training_curves` reads ``metrics.csv`` (one row per
epoch), or the history ``metrics.json`` keeps.
"""

from __future__ import annotations

import csv
import math
import numbers
from pathlib import Path

#: Counts, sizes and times: facts about the run, shown apart from its scores.
DETAILS = ("model", "level", "split", "parameters", "epochs", "batch_size", "train_seconds", "seconds_per_epoch",
           "final_train_loss", "best_train_loss", "windows", "texts", "series", "files", "sentences", "tokens",
           "beam", "n", "rows", "scored_rows", "probation", "alarms", "train_tokens_seen", "tokens_per_second", "seed")
#: Nested sections that are not the headline scores (other splits, tables, selections, examples).
SECTIONS = ("val", "test", "train", "per_class", "confusion_matrix", "examples", "history", "selection", "data",
            "beam_selection", "baselines", "baseline", "run_dir", "source", "key", "heatmaps", "streaming")


def _number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def flat_numbers(scores: dict, skip: tuple = ()) -> dict[str, float]:
    """The numbers of ``scores``, those of nested sections as ``section.key`` (one level deep).

    Example:
        >>> flat_numbers({"mse": 0.5, "original": {"mape": 3.0, "name": "x"}, "label": "a", "ok": True})
        {'mse': 0.5, 'original.mape': 3.0}
    """
    out = {}
    for key, value in scores.items():
        if key in skip:
            continue
        if _number(value):
            out[key] = value
        elif isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items() if _number(v)})
    return out


def run_metrics(raw: dict) -> dict:
    """``{"metrics": {name: number}, "baselines": {name: {metric: number}}, "details": {name: value},
    "model": name or None}`` from any shape of ``metrics.json`` (see the module docstring).

    A baseline given as one number (translation's ``copy_source``) is a score in the run's
    headline metric, the first one.

    Example:
        >>> s = run_metrics({"bleu": 30.1, "beam": 5, "baselines": {"copy_source": 2.0}, "model": "lstm"})
        >>> s["metrics"], s["baselines"], s["details"]
        ({'bleu': 30.1}, {'copy_source': {'bleu': 2.0}}, {'model': 'lstm', 'beam': 5})
    """
    if isinstance(raw.get("metrics"), dict):  # the converged shape
        metrics, baselines = flat_numbers(raw["metrics"]), raw.get("baselines") or {}
        details = {k: v for k, v in raw.items() if k not in ("metrics", "baselines", "run_dir")
                   and (_number(v) or isinstance(v, str))}
    elif isinstance(raw.get("test"), dict) and "baseline" in raw:  # seqlab train CONFIG
        metrics = flat_numbers(raw["test"])
        baselines = _by_name(raw.get("baseline") or {})
        details = {k: raw[k] for k in ("epochs", "seed") if k in raw}
    else:  # a task command's: the headline split's scores at the top level
        metrics = flat_numbers(raw, skip=DETAILS + SECTIONS)
        baselines = raw.get("baselines") or {}
        details = {k: raw[k] for k in DETAILS if k in raw and (_number(raw[k]) or isinstance(raw[k], str))}
    head = next(iter(metrics), "score")
    baselines = {name: flat_numbers(v) if isinstance(v, dict) else {head: v}
                 for name, v in baselines.items() if isinstance(v, dict) or _number(v)}
    return {"metrics": metrics, "baselines": baselines, "details": details, "model": raw.get("model")}


def _by_name(baselines: dict) -> dict:
    """``seqlab train`` puts a single baseline at the top level, with its ``name``."""
    if "name" in baselines:
        return {baselines["name"]: {k: v for k, v in baselines.items() if k != "name"}}
    return baselines


def training_curves(run_dir: Path, raw: dict | None = None) -> dict[str, list[float]]:
    """Per-epoch values by column (``loss``, ``val_loss``, metrics; not ``epoch`` or ``lr``), from
    ``metrics.csv`` or else ``raw["history"]``; empty when the run kept neither (no training)."""
    path = Path(run_dir) / "metrics.csv"
    if path.is_file():
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        columns = [c for c in (rows[0] if rows else {}) if c not in ("epoch", "lr", "step")]
        curves = {c: [_float(r.get(c)) for r in rows] for c in columns}
    else:
        history = (raw or {}).get("history") or {}
        curves = {k: [_float(v) for v in values] for k, values in history.items() if isinstance(values, list)}
    return {k: v for k, v in curves.items() if any(math.isfinite(x) for x in v)}


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
