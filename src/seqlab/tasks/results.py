"""One result shape for every task: ``{"metrics": {...}, "baselines": {name: {...}}, "model": ..., "run_dir": ...}``.

Each task scores in its own terms (MSE and MAE, accuracy and macro-F1, BLEU, bits per character,
F1 and the NAB score); what ``train`` and ``evaluate`` return is put in one shape here, for the
estimators' ``evaluate`` and every command's ``--json``. Whatever a task reports besides its
scores (the split scored, the validation scores, the ``auto`` selection, sizes, training time)
keeps its key beside the four.

Example:
    >>> r = standard_result({"mse": 0.1, "mae": 0.2, "split": "test", "model": "naive",
    ...                      "baselines": {"mean": {"mse": 1.0}}, "run_dir": "runs/x"})
    >>> r["metrics"], r["baselines"], r["model"], r["split"]
    ({'mse': 0.1, 'mae': 0.2}, {'mean': {'mse': 1.0}}, 'naive', 'test')
"""

from __future__ import annotations

# What a task reports besides its scores: kept beside the four keys, never among the metrics.
INFO_KEYS = ("split", "source", "val", "test", "train", "selection", "data", "parameters", "epochs", "train_seconds",
             "history", "windows", "sentences", "level", "beam", "snr_db", "noise_seed", "series", "streaming", "examples",
             "beam_selection", "key", "rows", "scored_rows", "probation")


def standard_result(result: dict) -> dict:
    """``result`` of any task's ``train``/``evaluate`` in the one shape (see the module docstring).

    A result already in that shape is returned as it is.
    """
    if isinstance(result.get("metrics"), dict):
        return result
    baselines = result.get("baselines", {})
    if "baseline" in result:  # a single baseline, written as {"name": ..., **scores}
        single = dict(result["baseline"])
        baselines = {single.pop("name", "baseline"): single}
    metrics = {k: v for k, v in result.items()
               if k not in INFO_KEYS and k not in ("baselines", "baseline", "model", "run_dir")}
    if not metrics and isinstance(result.get("test"), dict):  # `seqlab train` scores its test split under "test"
        metrics = result["test"]
    info = {k: result[k] for k in INFO_KEYS if k in result}
    return {"metrics": metrics, "baselines": baselines, "model": result.get("model"),
            "run_dir": result.get("run_dir"), **info}
