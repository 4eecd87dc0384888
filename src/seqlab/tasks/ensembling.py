"""What ``auto`` does with its trained candidates, for every classification task: average their
class probabilities, unless the best candidate alone scores higher on validation."""

from __future__ import annotations

import numpy as np


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
