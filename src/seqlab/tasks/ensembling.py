"""What ``auto`` does with its trained candidates, for every classification task: average their
class probabilities, unless the best candidate alone scores higher on validation."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)


def ensemble_or_best(trained: list[tuple], y_val: np.ndarray) -> tuple[list[tuple], float]:
    """The members to keep and their validation accuracy.

    ``trained`` holds ``(val_accuracy, net, val_probabilities, summary)`` per candidate; the
    average of every candidate's probabilities is kept unless one candidate alone is more accurate.

    Example:
        >>> y = np.array([0, 1])
        >>> a = (0.5, "a", np.array([[.9, .1], [.6, .4]]), {})
        >>> b = (1.0, "b", np.array([[.6, .4], [.2, .8]]), {})
        >>> [m[1] for m in ensemble_or_best([a, b], y)[0]]
        ['a', 'b']
        >>> c = (1.0, "c", np.array([[.9, .1], [.4, .6]]), {})  # right alone; with a, the mean misses one
        >>> [m[1] for m in ensemble_or_best([a, c], y)[0]], ensemble_or_best([a, c], y)[1]
        (['c'], 1.0)
    """
    mean = np.mean([t[2] for t in trained], axis=0)
    members, best = trained, float((mean.argmax(1) == y_val).mean())
    single = max(trained, key=lambda t: t[0])
    if single[0] > best:
        members, best = [single], single[0]
    return members, best


def ensemble_summary(members: list[tuple], rows: list[dict]) -> dict:
    """``model`` (``a+b``), ``parameters`` and ``epochs`` of the kept members; ``train_seconds`` of
    every candidate trained."""
    return {"model": "+".join(m[1].config.name for m in members),
            "parameters": sum(m[3]["parameters"] for m in members),
            "epochs": sum(m[3]["epochs"] for m in members),
            "train_seconds": round(sum(r["train_seconds"] for r in rows), 2)}


def select_by_validation(config, candidates: list, fit: Callable, val_probabilities: Callable, y_val: np.ndarray,
                         ensemble: Callable, row: Callable = lambda net: {}) -> tuple:
    """Train every candidate, each from its own seed (the config's + its place); keep their average,
    or the best single one if it scores higher on validation.

    ``fit(config, model)`` returns ``(net, summary)``; ``val_probabilities(net)`` the (n, C)
    validation probabilities; ``ensemble(configs)`` an untrained ensemble of those configs;
    ``row(net)`` what a candidate's row adds to its summary. Returns the model (a network, or the
    ensemble in eval mode), a training summary and ``{"chosen": [...], "candidates": [{"model",
    "val_accuracy", "parameters", "epochs", "train_seconds", ...}], "ensemble_val_accuracy"}``.
    """
    trained, rows = [], []
    seed = config.train.seed or 0
    for k, model in enumerate(candidates):
        own_seed = config.model_copy(update={"train": config.train.model_copy(update={"seed": seed + k})})
        net, summary = fit(own_seed, model)
        probs = val_probabilities(net)
        accuracy = float((probs.argmax(1) == y_val).mean())
        rows.append({**summary, **row(net), "val_accuracy": accuracy})
        trained.append((accuracy, net, probs, summary))
        log.info("auto: %s val_accuracy=%.4f", model.name, accuracy)
    members, best = ensemble_or_best(trained, y_val)
    summary = ensemble_summary(members, rows)
    if len(members) == 1:
        net = members[0][1]
    else:
        net = ensemble([m[1].config for m in members])
        for slot, m in zip(net.members, members):
            slot.load_state_dict(m[1].state_dict())
        net.eval()
    return net, summary, {"chosen": [m[1].config.name for m in members], "candidates": rows,
                          "ensemble_val_accuracy": best}
