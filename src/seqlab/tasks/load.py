"""``seqlab.load(path)``: the fitted estimator of any task's run directory.

The run's ``preprocessing.json`` names its kind, which names the estimator; the estimator's
parameters come from ``estimator.json`` (written by ``save``) or, for a run written by the
command line, from the run's ``config.yaml``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from seqlab.errors import RunDirError
from seqlab.models import io
from seqlab.tasks.estimator import ESTIMATOR_FILE, Estimator
from seqlab.tasks.rundir import PREPROCESSING_FILE
from seqlab.tasks.runfiles import existing_run_dir

# preprocessing kind -> "module:class" of the estimator that fits and reads such runs
ESTIMATORS = {
    "forecast": "seqlab.tasks.forecasting.estimator:Forecaster",
    "text-classification": "seqlab.tasks.text.estimator:TextClassifier",
    "time-series-classification": "seqlab.tasks.classify.estimator:SeriesClassifier",
    "speech-recognition": "seqlab.tasks.speech.estimator:SpeechClassifier",
    "anomaly": "seqlab.tasks.anomaly.estimator:AnomalyDetector",
    "language-model": "seqlab.tasks.generate.estimator:LanguageModel",
    "translation": "seqlab.tasks.translate.estimator:Translator",
}


def estimator_class(kind: str) -> type[Estimator]:
    """The estimator class of runs of ``kind``."""
    if kind not in ESTIMATORS:
        raise RunDirError(f"no estimator reads runs of kind {kind!r}; kinds: {', '.join(ESTIMATORS)}")
    module, name = ESTIMATORS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def run_kind(run_dir: Path) -> str:
    """The kind named in a run's preprocessing.json."""
    path = run_dir / PREPROCESSING_FILE
    state = io.read_json(path) if path.is_file() else None
    if not isinstance(state, dict) or "kind" not in state:
        raise RunDirError(f"{run_dir}: {PREPROCESSING_FILE} is missing or names no kind; not a seqlab run "
                          "directory of a task (seqlab <task> train, or an estimator's save)")
    return state["kind"]


def load(path: str | Path) -> Estimator:
    """The fitted estimator saved at ``path`` (``estimator.save(path)`` or ``seqlab <task> train --out path``).

    Raises:
        RunDirError: ``path`` is no run directory, or one of a kind no estimator reads (the
            generic ``seqlab train`` runs: load those with ``seqlab.load_model``).
    """
    run_dir = existing_run_dir(path)
    kind = run_kind(run_dir)
    cls = estimator_class(kind)
    saved = run_dir / ESTIMATOR_FILE
    params = io.read_json(saved).get("params") if saved.is_file() else None
    return cls._from_run(run_dir, params)
