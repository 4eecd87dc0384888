"""Each loss against an independent NumPy computation on real data, with Keras' semantics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.errors import ConfigError, DataError, ShapeError
from seqlab.training.losses import EPSILON, LOSSES, get_loss


@pytest.fixture(scope="module")
def persistence(ett):
    """The persistence forecast of ETTh1's OT: y_pred[t] = OT[t - 1], y_true[t] = OT[t]; (N, 1)."""
    _, ot = ett
    return ot[:-1].clone(), ot[1:].clone()


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy().astype(np.float64)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def class_probs(arrowhead):
    """Three-class probabilities from three points of each ArrowHead series, and the class ids."""
    x, ids = arrowhead
    logits = x[:, [20, 120, 220]] * 2.0  # (36, 3)
    return logits, torch.softmax(logits, dim=-1), ids


def test_regression_losses_match_numpy(persistence):
    y_pred, y_true = persistence
    e = _np(y_pred) - _np(y_true)
    assert (np.abs(e) > 1).any() and (np.abs(e) <= 1).any()  # both branches of the Huber loss
    expected = {
        "mse": np.mean(e**2),
        "mae": np.mean(np.abs(e)),
        "huber": np.mean(np.where(np.abs(e) <= 1.0, 0.5 * e**2, np.abs(e) - 0.5)),
    }
    for name, value in expected.items():
        assert get_loss(name)(y_pred, y_true).item() == pytest.approx(value, rel=1e-5), name


def test_trailing_axis_of_one_is_aligned_not_broadcast(persistence):
    y_pred, y_true = persistence  # (N, 1)
    flat = y_true.reshape(-1)  # (N,): (N, 1) - (N,) would broadcast to (N, N)
    expected = np.mean((_np(y_pred) - _np(y_true)) ** 2)
    assert get_loss("mse")(y_pred, flat).item() == pytest.approx(expected, rel=1e-5)
    assert get_loss("mse")(y_pred.reshape(-1), y_true).item() == pytest.approx(expected, rel=1e-5)


def test_binary_crossentropy_clips_probabilities_like_keras(italy):
    x, labels = italy
    probs = torch.sigmoid(x[:, 12] * 2.0)  # noon demand as a score
    probs[:4] = 0.0  # saturated: log(0) must not appear
    probs[4:8] = 1.0
    # Keras computes in float32: clip to [eps, 1 - eps], where 1 - eps rounds to 0.99999988
    p = np.clip(probs.numpy(), np.float32(EPSILON), np.float32(1.0 - EPSILON)).astype(np.float32)
    one_minus = (np.float32(1.0) - p).astype(np.float64)
    y = _np(labels)
    expected = -np.mean(y * np.log(p.astype(np.float64)) + (1 - y) * np.log(one_minus))
    loss = get_loss("binary_crossentropy")
    assert loss(probs, labels).item() == pytest.approx(expected, rel=1e-5)
    assert loss(probs.unsqueeze(1), labels).item() == pytest.approx(expected, rel=1e-5)  # (B, 1) vs (B,)
    # one saturated wrong answer costs -log(eps), finite
    wrong = loss(torch.tensor([0.0]), torch.tensor([1.0])).item()
    assert wrong == pytest.approx(-np.log(EPSILON), rel=1e-5)


def test_binary_crossentropy_from_logits(italy):
    x, labels = italy
    z = x[:, 12] * 2.0
    zn, y = _np(z), _np(labels)
    expected = np.mean(np.maximum(zn, 0) - zn * y + np.log1p(np.exp(-np.abs(zn))))  # stable BCE with logits
    assert get_loss("binary_crossentropy", from_logits=True)(z, labels).item() == pytest.approx(expected, rel=1e-5)
    # and the probability path agrees where nothing is clipped
    assert get_loss("binary_crossentropy")(torch.sigmoid(z), labels).item() == pytest.approx(expected, rel=1e-4)


def test_categorical_crossentropy_normalises_and_takes_one_hot(class_probs):
    logits, probs, ids = class_probs
    one_hot = torch.nn.functional.one_hot(ids, 3).float()
    p = _np(probs)
    expected = -np.mean(np.sum(_np(one_hot) * np.log(np.clip(p / p.sum(-1, keepdims=True), 1e-7, 1 - 1e-7)), axis=-1))
    loss = get_loss("categorical_crossentropy")
    assert loss(probs, one_hot).item() == pytest.approx(expected, rel=1e-5)
    assert loss(probs * 3.0, one_hot).item() == pytest.approx(expected, rel=1e-5)  # Keras divides by the sum
    from_logits = get_loss("categorical_crossentropy", from_logits=True)(logits, one_hot).item()
    expected_logits = -np.mean(np.sum(_np(one_hot) * np.log(_softmax(_np(logits))), axis=-1))
    assert from_logits == pytest.approx(expected_logits, rel=1e-5)


def test_sparse_categorical_crossentropy_takes_ids(class_probs):
    logits, probs, ids = class_probs
    p = _np(probs)
    expected = -np.mean(np.log(np.clip(p[np.arange(len(ids)), ids.numpy()], 1e-7, 1 - 1e-7)))
    loss = get_loss("sparse_categorical_crossentropy")
    assert loss(probs, ids).item() == pytest.approx(expected, rel=1e-5)
    assert loss(probs, ids.unsqueeze(1)).item() == pytest.approx(expected, rel=1e-5)  # (B, 1)
    assert loss(probs, ids.float()).item() == pytest.approx(expected, rel=1e-5)  # float ids, as Keras allows
    # equal to the categorical loss on one-hot targets, and the logits path to torch's cross_entropy
    one_hot = torch.nn.functional.one_hot(ids, 3).float()
    categorical = get_loss("categorical_crossentropy")(probs, one_hot).item()
    assert loss(probs, ids).item() == pytest.approx(categorical, rel=1e-6)
    torch_ce = torch.nn.functional.cross_entropy(logits, ids).item()
    ours = get_loss("sparse_categorical_crossentropy", from_logits=True)(logits, ids).item()
    assert ours == pytest.approx(torch_ce, rel=1e-5)


def test_sparse_categorical_crossentropy_over_sequences(class_probs):
    _, probs, ids = class_probs
    seq_probs, seq_ids = probs.reshape(6, 6, 3), ids.reshape(6, 6)  # (B, T, C) and (B, T)
    flat = get_loss("sparse_categorical_crossentropy")(probs, ids).item()
    assert get_loss("sparse_categorical_crossentropy")(seq_probs, seq_ids).item() == pytest.approx(flat, rel=1e-6)


@pytest.mark.parametrize(
    ("name", "y_pred", "y_true"),
    [
        ("mse", (8, 1), (8, 2)),
        ("mae", (8, 3), (3, 8)),
        ("huber", (8, 4), (8,)),
        ("binary_crossentropy", (8, 1), (4, 2)),
        ("categorical_crossentropy", (8, 3), (8,)),
        ("sparse_categorical_crossentropy", (8, 3), (8, 3)),
    ],
)
def test_shape_mismatch_names_loss_and_shapes(name, y_pred, y_true):
    with pytest.raises(ShapeError) as err:
        get_loss(name)(torch.rand(y_pred), torch.rand(y_true))
    message = str(err.value)
    assert name in message and str(y_pred) in message and str(y_true) in message


def test_unknown_loss_lists_known_names():
    with pytest.raises(ConfigError) as err:
        get_loss("mean_squared_errr")
    assert "mean_squared_errr" in str(err.value)
    assert all(name in str(err.value) for name in LOSSES)
    with pytest.raises(ConfigError, match="from_logits"):
        get_loss("mse", from_logits=True)


def test_sparse_ids_out_of_range(class_probs):
    _, probs, _ = class_probs
    with pytest.raises(DataError, match=r"\[0, 3\)"):
        get_loss("sparse_categorical_crossentropy")(probs[:2], torch.tensor([0, 3]))


def test_losses_are_differentiable(persistence):
    y_pred, y_true = persistence
    for name in ("mse", "mae", "huber"):
        pred = y_pred.clone().requires_grad_(True)
        get_loss(name)(pred, y_true).backward()
        assert pred.grad is not None and torch.isfinite(pred.grad).all()
