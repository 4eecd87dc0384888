"""What the run modules of the classification tasks (text, speech, classify) share: one network
trained with the engine on cross-entropy, class probabilities back in input order, the
majority-class baseline, model.json of a network or of an ensemble, and the train result.

(Scores, class order and the confusion plot are :mod:`seqlab.tasks.classification`'s; what
``auto`` does with its candidates is :mod:`seqlab.tasks.ensembling`'s.)
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from seqlab.models.ensemble import ProbabilityEnsemble
from seqlab.tasks.rundir import staged_run
from seqlab.training import engine

LOSS = "sparse_categorical_crossentropy"


def fit_classifier(net: nn.Module, config, train_config, train_loader, val_loader,
                   run_dir: Path | None) -> tuple[object, float]:
    """Train ``net`` with the engine (``config.optimizer``, ``train_config``); the history and the seconds it took."""
    started = time.perf_counter()
    history = engine.fit(net, loss=LOSS, metrics=["accuracy"], optimizer=config.optimizer, from_logits=True,
                         train_loader=train_loader, val_loader=val_loader, config=train_config, run_dir=run_dir)
    return history, time.perf_counter() - started


def fit_summary(net: nn.Module, history, seconds: float) -> dict:
    """``model``, ``parameters``, ``epochs`` and ``train_seconds`` of a trained network."""
    return {"model": net.config.name, "parameters": sum(p.numel() for p in net.parameters()),
            "epochs": len(history.epoch), "train_seconds": round(seconds, 2)}


def sorted_probabilities(net: nn.Module, loader, n: int) -> np.ndarray:
    """(n, C) class probabilities of a loader whose batch sampler reorders (``batch_sampler.order``),
    put back in the order of its dataset."""
    logits = engine.predict(net, loader)  # (n, C) in the sampler's order
    probs = np.empty((n, logits.shape[1]), dtype=np.float64)
    probs[loader.batch_sampler.order] = torch.softmax(logits.double(), dim=-1).numpy()
    return probs


def majority_class(y_train: np.ndarray, y: np.ndarray, labels: list[str]) -> dict:
    """The label and accuracy on ``y`` of always answering the most frequent training label."""
    majority = int(np.bincount(y_train, minlength=len(labels)).argmax())
    return {"label": labels[majority], "accuracy": float((y == majority).mean())}


def model_name(net: nn.Module) -> str:
    """``bilstm``, or ``bilstm+cnn`` for an ensemble."""
    return "+".join(c.name for c in net.configs) if isinstance(net, ProbabilityEnsemble) else net.config.name


def model_description(net: nn.Module) -> dict:
    """model.json: the config (or, for an ensemble, the members' configs) and the shape."""
    shape = dataclasses.asdict(net.shape)
    if isinstance(net, ProbabilityEnsemble):
        return {"ensemble": [c.model_dump(mode="json") for c in net.configs], "shape": shape}
    return {"config": net.config.model_dump(mode="json"), "shape": shape}


def build_from_description(spec: dict, shape_type: type, config_type: type, build: Callable,
                           ensemble: Callable | None = None) -> nn.Module:
    """The network model.json describes, with fresh weights: ``build(config, shape)``, or
    ``ensemble(configs, shape)`` for an ensemble's description."""
    shape = shape_type(**spec["shape"])
    if ensemble is not None and "ensemble" in spec:
        return ensemble([config_type.model_validate(c) for c in spec["ensemble"]], shape)
    return build(config_type.model_validate(spec["config"]), shape)


def train_run(config, setup, out: Path, *, overwrite: bool, resume: bool, progress: bool, fit_model: Callable,
              select_model: Callable, score: Callable, baseline: Callable, save_run: Callable) -> dict:
    """Train ``config.model`` (for ``auto``, the model ``select_model`` keeps) in a staged run directory
    that replaces ``out`` when it has finished, score it on every split but training, and save the run.

    The task gives its parts: ``fit_model(config, model, setup, work, progress)``, ``select_model(config,
    setup, progress)``, ``score(net, setup, split)``, ``baseline(setup, split)`` and ``save_run(work,
    config, net, setup, result, head)``. The saved config names the model kept (an ensemble leaves
    ``auto``); the headline split is test if there is one, else validation.
    """
    with staged_run(out, overwrite=overwrite, resume=resume) as work:
        if config.model != "auto":
            net, summary = fit_model(config, config.model, setup, work, progress)
            selection = None
        else:
            net, summary, selection = select_model(config, setup, progress)
            if not isinstance(net, ProbabilityEnsemble):
                config = config.model_copy(update={"model": net.config})
        head = "test" if "test" in setup.splits else "val"
        scores = {split: score(net, setup, split) for split in setup.splits if split != "train"}
        result = train_result(scores, head, baseline(setup, head), summary, setup.info, selection)
        save_run(work, config, net, setup, result, head)
    result["run_dir"] = str(out)
    return result


def train_result(scores: dict[str, dict], head: str, majority: dict, summary: dict, info: dict,
                 selection: dict | None) -> dict:
    """The result of ``train``: the headline split's scores at the top level, every split's scores,
    the majority-class baseline, the training summary, ``data`` (sizes) and ``selection`` (auto)."""
    result = {**scores[head], "split": head, **scores, "baselines": {"majority_class": majority}, **summary,
              "data": info}
    if selection is not None:
        result["selection"] = selection
    return result
