"""Long-memory benchmarks for the generic ``seqlab train`` and ``seqlab compare``: the adding
problem and copy memory (Bai et al. 2018), generated from the config's seed.

Copy memory's symbols reach the model one-hot, (n, T + 20, 10); its targets are the class of
every step, (n, T + 20), and it is scored on the last 10 steps (the recalled symbols) as well as
on every step (the published loss).
"""

from __future__ import annotations

import numpy as np

from seqlab.data.synthetic import get_task, make_splits, one_hot
from seqlab.tasks.config import SyntheticData
from seqlab.tasks.prepared import Prepared

COPY_LEN = 10  # the symbols to recall, Bai et al.'s setting


def prepare(data: SyntheticData) -> Prepared:
    task = get_task(data.task)
    splits = make_splits(data.task, data.length, data.n_train, data.n_val, data.n_test, seed=data.seed)
    arrays = []
    for name in ("train", "val", "test"):
        x, y = splits[name]
        arrays += [to_inputs(x, data.task), y]
    state = {"kind": "synthetic", "task": data.task, "length": data.length, "loss": task.loss}
    prepared = Prepared(*arrays, state=state)
    n = len(prepared.y_test)
    if data.task == "adding":
        prepared.baselines["predict_one"] = np.ones((n, 1), dtype=np.float32)  # MSE 1/6
    else:
        prepared.baselines["memoryless"] = memoryless_logits(prepared.y_test.shape[1], n)
    return prepared


def to_inputs(x: np.ndarray, task: str) -> np.ndarray:
    return one_hot(x, depth=10) if task == "copy" else x.astype(np.float32)  # (n, L, 10) or (n, T, 2)


def memoryless_logits(steps: int, n: int) -> np.ndarray:
    """Log-probabilities of the best model without memory: blank, then uniform over symbols 1-8."""
    p = np.full((steps, 10), 1e-9, dtype=np.float64)
    p[:-COPY_LEN, 0] = 1.0
    p[-COPY_LEN:, 1:9] = 1.0 / 8
    return np.tile(np.log(p / p.sum(axis=1, keepdims=True))[None], (n, 1, 1)).astype(np.float32)  # (n, L, 10)


def score(task: str, y_pred: np.ndarray, y_true: np.ndarray) -> dict:
    """Adding: MSE. Copy: cross-entropy over every step (nats) and the accuracy of the recalled symbols."""
    if task == "adding":
        return {"mse": float(np.mean((y_pred.reshape(y_true.shape) - y_true) ** 2))}
    z = y_pred - y_pred.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))  # (n, L, 10)
    nll = -np.take_along_axis(log_p, y_true[..., None].astype(np.int64), axis=-1)[..., 0]  # (n, L)
    recalled = y_pred[:, -COPY_LEN:].argmax(axis=-1) == y_true[:, -COPY_LEN:]
    return {"loss": float(nll.mean()), "recall_accuracy": float(recalled.mean())}
