"""MNIST for the generic ``seqlab train``: images (28, 28, 1) for Conv2D, rows (28, 28) or pixels
(784, 1; in a fixed permutation for permuted MNIST) as a sequence."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqlab.data.images import load_mnist, pixel_mnist, read_idx
from seqlab.data.registry import resolve
from seqlab.tasks.config import MnistData
from seqlab.tasks.prepared import Prepared, outputs_for_class, targets


def prepare(data: MnistData, loss: str, base: Path, seed: int = 0) -> Prepared:
    digits = load_mnist(resolve(data.path, base), split_seed=seed)
    x, y = digits["x_train"], digits["y_train"]
    if data.limit:
        x, y = x[:data.limit], y[:data.limit]
    n_val = max(1, int(round(len(x) * data.val_fraction)))
    state = {"kind": "mnist", "layout": data.layout, "labels": [str(d) for d in range(10)], "loss": loss}
    prepared = Prepared(
        to_inputs(x[n_val:], state), targets(y[n_val:], 10, loss),
        to_inputs(x[:n_val], state), targets(y[:n_val], 10, loss),
        to_inputs(digits["x_test"], state), targets(digits["y_test"], 10, loss), state=state)
    majority = int(np.bincount(y[n_val:], minlength=10).argmax())
    prepared.baselines["majority_class"] = outputs_for_class(majority, len(prepared.y_test), 10, loss)
    return prepared


def to_inputs(images: np.ndarray, state: dict) -> np.ndarray:
    if state["layout"] in ("pixels", "permuted"):
        return pixel_mnist(images, permute=state["layout"] == "permuted")  # (n, 784, 1)
    x = images.astype(np.float32) / 255.0  # (n, 28, 28)
    return x[..., None] if state["layout"] == "image" else x


def predict_inputs(path: Path, state: dict) -> np.ndarray:
    """An idx image file (like t10k-images-idx3-ubyte.gz)."""
    return to_inputs(read_idx(path), state)


def format_predictions(y: np.ndarray, state: dict) -> list[dict]:
    return [{"label": state["labels"][int(p.argmax())], "probabilities": {n: float(v) for n, v in zip(state["labels"], p)}}
            for p in y]
