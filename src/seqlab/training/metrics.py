"""Epoch metrics by Keras name: ``accuracy``, ``mae``, ``mse``, ``rmse``, as torchmetrics ``Metric`` s.

Each metric accumulates over the batches of an epoch (``update``), then ``compute`` gives the
epoch value; under DDP, torchmetrics sums the states of all processes before computing, so every
rank reports the same number.

``accuracy`` follows Keras' choice between its three accuracies:

- ``binary``: ``(p > 0.5) == y`` elementwise; with ``from_logits`` the threshold is 0
  (``sigmoid(z) > 0.5  <=>  z > 0``). Picked for ``binary_crossentropy``.
- ``sparse``: ``argmax(p) == id`` against integer class ids ``(B,)`` / ``(B, 1)``. Picked for
  ``sparse_categorical_crossentropy``.
- ``categorical``: ``argmax(p) == argmax(y)`` against one-hot ``y``. Picked for
  ``categorical_crossentropy``.

With any other loss the shapes decide, as in Keras: a last axis of 1 is binary, ids with one
axis fewer (or a trailing 1) than ``y_pred`` are sparse, equal shapes are categorical.

Example:
    >>> m = build_metrics(["accuracy"], loss="sparse_categorical_crossentropy")["accuracy"]
    >>> m.update(torch.tensor([[0.9, 0.1], [0.3, 0.7]]), torch.tensor([0, 0]))
    >>> m.compute().item()
    0.5
"""

from __future__ import annotations

from typing import Literal

import torch
import torchmetrics
from torch import Tensor

from seqlab.errors import ConfigError, ShapeError

AccuracyMode = Literal["auto", "binary", "sparse", "categorical"]
_MODE_BY_LOSS: dict[str, AccuracyMode] = {
    "binary_crossentropy": "binary",
    "sparse_categorical_crossentropy": "sparse",
    "categorical_crossentropy": "categorical",
}


def _infer_mode(preds: Tensor, target: Tensor) -> AccuracyMode:
    """Keras' rule for ``metrics=["accuracy"]`` when the loss does not say."""
    if preds.dim() == 0 or preds.dim() == 1 or preds.shape[-1] == 1:
        return "binary"
    if target.dim() < preds.dim() or target.shape[-1] == 1:
        return "sparse"
    return "categorical"


class Accuracy(torchmetrics.Metric):
    """Fraction of correct predictions; binary, sparse or categorical as described in the module."""

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, mode: AccuracyMode = "auto", threshold: float = 0.5, from_logits: bool = False) -> None:
        super().__init__()
        self.mode = mode
        self.threshold = 0.0 if from_logits else threshold
        self.add_state("correct", default=torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")
        self.add_state("total", default=torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, preds: Tensor, target: Tensor) -> None:
        mode = _infer_mode(preds, target) if self.mode == "auto" else self.mode
        if mode == "binary":
            if preds.numel() != target.numel():
                raise ShapeError(
                    f"metric 'accuracy' (binary): y_pred has shape {tuple(preds.shape)}, y_true has shape "
                    f"{tuple(target.shape)}; they need one label per prediction"
                )
            hits = (preds.reshape(-1) > self.threshold) == (target.reshape(-1) > 0.5)
        elif mode == "sparse":
            ids = target.squeeze(-1) if target.dim() == preds.dim() else target
            if ids.shape != preds.shape[:-1]:
                raise ShapeError(
                    f"metric 'accuracy' (sparse): y_pred has shape {tuple(preds.shape)}, y_true has shape "
                    f"{tuple(target.shape)}; class ids need y_pred's shape without its last axis"
                )
            hits = preds.argmax(dim=-1) == ids.long()
        else:
            if preds.shape != target.shape:
                raise ShapeError(
                    f"metric 'accuracy' (categorical): y_pred has shape {tuple(preds.shape)}, y_true has "
                    f"shape {tuple(target.shape)}; one-hot y_true needs y_pred's shape"
                )
            hits = preds.argmax(dim=-1) == target.argmax(dim=-1)
        self.correct += hits.sum()
        self.total += hits.numel()

    def compute(self) -> Tensor:
        return self.correct.float() / self.total.clamp(min=1)


def _same_shape(name: str, preds: Tensor, target: Tensor) -> Tensor:
    """``target`` in ``preds``' shape when they differ by a trailing axis of 1 (``(B, 1)`` vs ``(B,)``)."""
    if target.shape == preds.shape:
        return target
    if preds.numel() == target.numel() and (
        tuple(preds.shape) == tuple(target.shape) + (1,) or tuple(target.shape) == tuple(preds.shape) + (1,)
    ):
        return target.reshape(preds.shape)
    raise ShapeError(f"metric {name!r}: y_pred has shape {tuple(preds.shape)}, y_true has shape {tuple(target.shape)}")


class MeanAbsoluteError(torchmetrics.MeanAbsoluteError):
    """torchmetrics' MAE, accepting ``(B, 1)`` predictions against ``(B,)`` targets."""

    def update(self, preds: Tensor, target: Tensor) -> None:
        # contiguous: torchmetrics flattens with view(), which a transposed output cannot take
        super().update(preds.contiguous(), _same_shape("mae", preds, target).to(preds.dtype).contiguous())


class MeanSquaredError(torchmetrics.MeanSquaredError):
    """torchmetrics' MSE (``squared=False``: RMSE), accepting ``(B, 1)`` against ``(B,)``."""

    def update(self, preds: Tensor, target: Tensor) -> None:
        target = _same_shape("rmse" if not self.squared else "mse", preds, target).to(preds.dtype)
        super().update(preds.contiguous(), target.contiguous())


METRICS = ("accuracy", "mae", "mse", "rmse")


def build_metrics(names: list[str], loss: str, from_logits: bool = False) -> dict[str, torchmetrics.Metric]:
    """Fresh metrics by name, in the given order; ``loss`` picks the kind of accuracy.

    Raises:
        ConfigError: an unknown or repeated name (the message lists the known ones).
    """
    metrics: dict[str, torchmetrics.Metric] = {}
    for name in names:
        if name not in METRICS:
            raise ConfigError(f"metrics: unknown metric {name!r}; known metrics: {', '.join(METRICS)}")
        if name in metrics:
            raise ConfigError(f"metrics: {name!r} is listed twice")
        if name == "accuracy":
            metrics[name] = Accuracy(_MODE_BY_LOSS.get(loss, "auto"), from_logits=from_logits)
        elif name == "mae":
            metrics[name] = MeanAbsoluteError()
        else:
            metrics[name] = MeanSquaredError(squared=name == "mse")
    return metrics
