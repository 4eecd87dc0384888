"""Metrics against independent NumPy computations, accumulated over batches as in an epoch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.errors import ConfigError, ShapeError
from seqlab.training.metrics import METRICS, build_metrics


def _batched(metric, preds, target, batch_size=7):
    """Feed ``metric`` in uneven batches, as an epoch does, then compute."""
    for start in range(0, len(preds), batch_size):
        metric.update(preds[start : start + batch_size], target[start : start + batch_size])
    return metric.compute().item()


def test_binary_accuracy(italy):
    x, labels = italy
    probs = torch.sigmoid(x[:, 12] * 2.0).unsqueeze(1)  # (B, 1)
    expected = np.mean((probs.numpy()[:, 0] > 0.5) == (labels.numpy() > 0.5))
    assert 0.05 < expected < 0.95  # a real mix of hits and misses
    acc = build_metrics(["accuracy"], loss="binary_crossentropy")["accuracy"]
    assert _batched(acc, probs, labels) == pytest.approx(expected)
    # from logits: the threshold moves to 0
    logits = x[:, 12:13] * 2.0
    acc_logits = build_metrics(["accuracy"], loss="binary_crossentropy", from_logits=True)["accuracy"]
    assert _batched(acc_logits, logits, labels) == pytest.approx(expected)


def test_sparse_and_categorical_accuracy(arrowhead):
    x, ids = arrowhead
    probs = torch.softmax(x[:, [20, 120, 220]] * 2.0, dim=-1)
    expected = np.mean(probs.numpy().argmax(axis=1) == ids.numpy())
    assert 0.0 < expected < 1.0
    sparse = build_metrics(["accuracy"], loss="sparse_categorical_crossentropy")["accuracy"]
    assert _batched(sparse, probs, ids) == pytest.approx(expected)
    sparse_col = build_metrics(["accuracy"], loss="sparse_categorical_crossentropy")["accuracy"]
    assert _batched(sparse_col, probs, ids.unsqueeze(1)) == pytest.approx(expected)  # (B, 1) ids
    one_hot = torch.nn.functional.one_hot(ids, 3).float()
    categorical = build_metrics(["accuracy"], loss="categorical_crossentropy")["accuracy"]
    assert _batched(categorical, probs, one_hot) == pytest.approx(expected)


def test_accuracy_kind_from_shapes_when_the_loss_does_not_say(arrowhead, italy):
    x, ids = arrowhead
    probs = torch.softmax(x[:, [20, 120, 220]], dim=-1)
    expected = np.mean(probs.numpy().argmax(axis=1) == ids.numpy())
    assert _batched(build_metrics(["accuracy"], "mse")["accuracy"], probs, ids) == pytest.approx(expected)
    one_hot = torch.nn.functional.one_hot(ids, 3).float()
    assert _batched(build_metrics(["accuracy"], "mse")["accuracy"], probs, one_hot) == pytest.approx(expected)
    xi, labels = italy
    p = torch.sigmoid(xi[:, 12:13])
    binary = np.mean((p.numpy()[:, 0] > 0.5) == (labels.numpy() > 0.5))
    assert _batched(build_metrics(["accuracy"], "mse")["accuracy"], p, labels) == pytest.approx(binary)


def test_regression_metrics(ett):
    _, ot = ett
    y_pred, y_true = ot[:-1], ot[1:]  # persistence forecast, (N, 1)
    e = y_pred.numpy().astype(np.float64) - y_true.numpy().astype(np.float64)
    metrics = build_metrics(["mae", "mse", "rmse"], loss="mse")
    assert list(metrics) == ["mae", "mse", "rmse"]
    assert _batched(metrics["mae"], y_pred, y_true) == pytest.approx(np.mean(np.abs(e)), rel=1e-5)
    assert _batched(metrics["mse"], y_pred, y_true) == pytest.approx(np.mean(e**2), rel=1e-5)
    assert _batched(metrics["rmse"], y_pred, y_true) == pytest.approx(np.sqrt(np.mean(e**2)), rel=1e-5)
    flat = build_metrics(["mae"], loss="mse")["mae"]  # (B, 1) predictions against (B,) targets
    assert _batched(flat, y_pred, y_true.reshape(-1)) == pytest.approx(np.mean(np.abs(e)), rel=1e-5)


def test_shape_errors_and_unknown_names():
    with pytest.raises(ShapeError, match=r"\(4, 3\)"):
        build_metrics(["accuracy"], "categorical_crossentropy")["accuracy"].update(torch.rand(4, 3), torch.rand(4, 2))
    with pytest.raises(ShapeError, match="mae"):
        build_metrics(["mae"], "mse")["mae"].update(torch.rand(4, 3), torch.rand(4, 2))
    with pytest.raises(ConfigError) as err:
        build_metrics(["accuracy", "f1"], "mse")
    assert "'f1'" in str(err.value) and all(name in str(err.value) for name in METRICS)
    with pytest.raises(ConfigError, match="twice"):
        build_metrics(["mae", "mae"], "mse")


def test_regression_metrics_take_non_contiguous_outputs():
    """A channel-independent forecaster returns a transposed (B, H, K) view; metrics must accept it."""
    from seqlab.training.metrics import build_metrics

    g = torch.Generator().manual_seed(0)
    y_pred = torch.randn(4, 3, 5, generator=g).transpose(1, 2)  # (4, 5, 3), not contiguous
    y_true = torch.randn(4, 5, 3, generator=g)
    assert not y_pred.is_contiguous()
    metrics = build_metrics(["mse", "mae"], "mse")
    for metric in metrics.values():
        metric.update(y_pred, y_true)
    assert torch.isclose(metrics["mse"].compute(), ((y_pred - y_true) ** 2).mean())
    assert torch.isclose(metrics["mae"].compute(), (y_pred - y_true).abs().mean())
