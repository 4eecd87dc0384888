"""Time-series classification runs: train a model into a run directory, evaluate it, label new series.

A classify run directory holds::

    config.yaml          the resolved ClassifyConfig (model chosen)
    preprocessing.json   classes, dimensions, the fitted normaliser, the missing-value policy
    model.json           the TSCConfig and the shape it was built for
    weights.safetensors  the weights of the kept epoch (lowest training loss, or the early-stopping monitor)
    metrics.csv          one row per epoch
    metrics.json         test (or validation) scores beside the majority-class baseline
    confusion.png        the confusion matrix of the headline split
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import torch
import yaml

from seqlab.data.ucr import resolve_pair
from seqlab.errors import DataError
from seqlab.jsonsafe import json_safe
from seqlab.models import io
from seqlab.models.tsc import TSCConfig, TSCShape, build_tsc
from seqlab.tasks.results import standard_result
from seqlab.tasks.classification import classification_scores, plot_confusion
from seqlab.tasks.classifying import (build_from_description, fit_classifier, majority_class, model_description,
                                      train_result)
from seqlab.tasks.classify.config import ClassifyConfig, load_classify_config
from seqlab.tasks.classify.data import (ClassifySetup, SeriesDataset, absolute_paths, label_ids, make_loader,
                                        prepare, series_for_run)
from seqlab.tasks.rundir import CONFIG_FILE, PREPROCESSING_FILE, check_out, staged_run
from seqlab.tasks.runfiles import load_trained, save_model
from seqlab.training import engine

log = logging.getLogger(__name__)
KIND = "time-series-classification"
METRICS_FILE, CONFUSION_FILE = "metrics.json", "confusion.png"
EVAL_BATCH = 256


def batch_size_for(n: int, batch_size: int) -> int:
    """Fawaz et al.'s min(16, n/10), with the config's batch size in place of 16.

    Example:
        >>> batch_size_for(50, 16), batch_size_for(1000, 16), batch_size_for(5, 16)
        (5, 16, 1)
    """
    return max(1, min(batch_size, n // 10))


def fit_model(config: ClassifyConfig, model: TSCConfig, setup: ClassifySetup,
              run_dir: Path | None = None, progress: bool = False) -> tuple[torch.nn.Module, dict]:
    """Build ``model`` for ``setup`` and train it with the engine; returns it and a summary."""
    if config.train.seed is not None:
        torch.manual_seed(config.train.seed)  # initial weights, before the engine seeds training
    net = build_tsc(model, TSCShape(setup.dims, len(setup.labels)))
    n = len(setup.splits["train"].y)
    batch = batch_size_for(n, config.train.batch_size)
    train_config = config.train.model_copy(update={"progress": progress, "batch_size": batch})
    val_loader = make_loader(setup.dataset("val"), EVAL_BATCH) if "val" in setup.splits else None
    history, seconds = fit_classifier(net, config, train_config, make_loader(setup.dataset("train"), batch, train=True),
                                      val_loader, run_dir)
    summary = {"model": net.config.name, "parameters": sum(p.numel() for p in net.parameters()),
               "epochs": len(history.epoch), "batch_size": batch, "train_seconds": round(seconds, 2),
               "seconds_per_epoch": round(seconds / max(len(history.epoch), 1), 4),
               "final_train_loss": float(history.history["loss"][-1]),
               "best_train_loss": float(min(history.history["loss"]))}
    return net, summary


def predict_proba(net: torch.nn.Module, series: list[np.ndarray]) -> np.ndarray:
    """(n, K) class probabilities, in the order of ``series``."""
    logits = engine.predict(net, make_loader(SeriesDataset(series), EVAL_BATCH))  # (n, K)
    return torch.softmax(logits.double(), dim=-1).numpy()


def scores(y: np.ndarray, probs: np.ndarray, labels: list[str]) -> dict:
    s = classification_scores(y, probs.argmax(axis=1), labels)
    s["series"] = s.pop("texts")
    return s


def majority_baseline(setup: ClassifySetup, split: str) -> dict:
    """Always answering the most frequent training class."""
    return majority_class(setup.splits["train"].y, setup.splits[split].y, setup.labels)


def train(config: ClassifyConfig, out: str | Path, *, overwrite: bool = False, base: Path | None = None,
          progress: bool = False, resume: bool = False) -> dict:
    """Train ``config`` into the run directory ``out``; score the test file (if any) and validation (if any).

    Everything is checked before the directory is touched; the run trains in a hidden sibling
    folder that replaces ``out`` only when it has finished.

    Returns the headline split's scores at the top level (``test`` if there is a test file, else
    ``val``, else ``train``), the scores of every split, ``baselines``, ``model``, ``parameters``,
    ``epochs``, ``train_seconds``, ``data`` (sizes), ``selection`` (auto) and ``run_dir``.
    """
    from seqlab.tasks.classify.select import select_model

    out = Path(out)
    check_out(out, overwrite, resume=resume)
    config = config.model_copy(update={"data": absolute_paths(config.data, base)})
    setup = prepare(config.data, None, seed=config.train.seed or 0)
    selection = None
    if config.model == "auto":
        model, selection = select_model(setup)
        config = config.model_copy(update={"model": model})
    else:
        config = config.model_copy(update={"model": config.model.resolved()})
    with staged_run(out, overwrite=overwrite, resume=resume) as work:
        net, summary = fit_model(config, config.model, setup, work, progress)
        head = "test" if "test" in setup.splits else "val" if "val" in setup.splits else "train"
        split_scores = {name: scores(part.y, predict_proba(net, part.series), setup.labels)
                        for name, part in setup.splits.items()}
        result = train_result(split_scores, head, majority_baseline(setup, head), summary, setup.info, selection)
        save_run(work, config, net, setup, result, head)
    result["run_dir"] = str(out)
    return result


def save_run(work: Path, config: ClassifyConfig, net: torch.nn.Module, setup: ClassifySetup, result: dict,
             head: str) -> None:
    io.atomic_write_text(work / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    io.write_json(work / PREPROCESSING_FILE, {"kind": KIND, **setup.preprocessing()})
    save_model(work, net, model_description(net))
    io.write_json(work / METRICS_FILE, standard_result(result))
    if len(setup.labels) <= 100:
        plot_confusion(result["confusion_matrix"], setup.labels, work / CONFUSION_FILE,
                       title=f"{net.config.name} on {head} ({result['series']} series)")


def build_described(spec: dict) -> torch.nn.Module:
    """The network model.json describes, with fresh weights."""
    return build_from_description(spec, TSCShape, TSCConfig, build_tsc)


def load_run(run_dir: str | Path) -> tuple[ClassifyConfig, torch.nn.Module, dict]:
    """The config, the trained model and the preprocessing state of a classify run."""
    run_dir, net, state = load_trained(run_dir, KIND, "seqlab classify train", build_described)
    return load_classify_config(run_dir / CONFIG_FILE), net, state


def evaluate(run_dir: str | Path, data: str | Path | None = None, *, confusion: str | Path | None = None) -> dict:
    """Score a run's model on a labelled UCR/UEA file (default: the run's test file).

    Returns ``accuracy``, ``macro_f1``, ``per_class``, ``confusion_matrix``, ``series``, ``source``,
    ``model`` and ``run_dir``.
    """
    config, net, state = load_run(run_dir)
    if data is not None and Path(data).is_dir():
        folder, data = data, resolve_pair(data)[1]
        if data is None:
            raise DataError(f"{folder}: no *_TEST file beside the training file; pass the labelled file itself")
    if data is None:
        data = config.data.test_path
        if data is None:
            data = resolve_pair(config.data.path)[1]
        if data is None:
            raise DataError(f"{run_dir}: the run has no test file; pass --data with a labelled UCR/UEA file")
    s, series = series_for_run(data, state, labelled=True)
    y = label_ids(s, state["labels"])
    probs = predict_proba(net, series)
    result = {**scores(y, probs, state["labels"]), "source": s.source, "model": net.config.name,
              "run_dir": str(Path(run_dir))}
    if confusion is not None:
        plot_confusion(result["confusion_matrix"], state["labels"], confusion, title=f"{net.config.name} on {s.source}")
    return result


def predict(run_dir: str | Path, data: str | Path, out: str | Path | None = None) -> list[dict]:
    """Label every series of a UCR/UEA file (its labels, if any, are ignored): one record per series,
    ``{"index", "line", "label", "probabilities": {class: p}}``; with ``out``, also written as JSON lines."""
    _, net, state = load_run(run_dir)
    s, series = series_for_run(data, state, labelled=False)
    probs = predict_proba(net, series)
    names = state["labels"]
    records = [{"index": i, "line": s.lines[i], "label": names[int(p.argmax())],
                "probabilities": {n: round(float(v), 6) for n, v in zip(names, p)}}
               for i, p in enumerate(probs)]
    if out is not None:
        io.atomic_write_text(out, "".join(json.dumps(json_safe(r)) + "\n" for r in records))
    return records


__all__ = ["train", "evaluate", "predict", "load_run", "fit_model", "predict_proba", "batch_size_for"]
