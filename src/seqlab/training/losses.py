"""Keras losses on torch tensors: ``loss(y_pred, y_true) -> scalar``, averaged over every sample.

The argument order is torch's (prediction first), the semantics are Keras':

- ``binary_crossentropy`` and ``categorical_crossentropy`` take probabilities unless
  ``from_logits=True``; probabilities are clipped to ``[EPSILON, 1 - EPSILON]`` (Keras' epsilon,
  1e-7) before the log, so a saturated sigmoid gives a large finite loss, not ``inf``.
- ``categorical_crossentropy`` divides the probabilities by their sum over the last axis first,
  as Keras does, and takes one-hot (or soft) ``y_true`` of ``y_pred``'s shape.
- ``sparse_categorical_crossentropy`` takes integer class ids ``(B,)`` or ``(B, 1)`` (``(B, T)`` or
  ``(B, T, 1)`` for sequences) against probabilities ``(B, C)`` (``(B, T, C)``).
- ``masked_sparse_categorical_crossentropy`` is the sparse loss for padded sequences: ids
  ``< 0`` (:data:`IGNORE_ID`, -100, torch's ``ignore_index``) mark padding and are left out; the
  mean runs over the real positions only (teacher-forced decoders, padded targets).
- ``binary_crossentropy`` takes ``y_pred`` ``(B, 1)`` or ``(B,)`` and float 0/1 ``y_true`` of the same
  number of elements; elementwise over any extra axes (multi-label).

Shapes may differ only by a trailing axis of size 1 (``(B, 1)`` against ``(B,)``); anything else
raises :class:`~seqlab.errors.ShapeError` naming the loss and both shapes, instead of broadcasting
``(B, 1) - (B,)`` into a silent ``(B, B)``.

Example:
    >>> loss = get_loss("sparse_categorical_crossentropy")
    >>> round(loss(torch.tensor([[0.25, 0.75]]), torch.tensor([1])).item(), 4)
    0.2877
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from seqlab.errors import ConfigError, DataError, ShapeError

EPSILON = 1e-7  # keras.config.epsilon()
IGNORE_ID = -100  # a padded target position of masked_sparse_categorical_crossentropy (torch's ignore_index)


def _shapes(y_pred: Tensor, y_true: Tensor) -> str:
    return f"y_pred has shape {tuple(y_pred.shape)}, y_true has shape {tuple(y_true.shape)}"


def _align(name: str, y_pred: Tensor, y_true: Tensor, hint: str) -> Tensor:
    """``y_true`` as a float tensor of ``y_pred``'s shape; shapes may differ by a trailing 1 only."""
    pred, true = tuple(y_pred.shape), tuple(y_true.shape)
    if true != pred and not (pred == true + (1,) or true == pred + (1,)):
        raise ShapeError(f"loss {name!r}: {_shapes(y_pred, y_true)}; {hint}")
    return y_true.reshape(y_pred.shape).to(y_pred.dtype)


_SAME_SHAPE = "they must have the same shape (a trailing axis of size 1 may be missing on one side)"


def mse(y_pred: Tensor, y_true: Tensor) -> Tensor:
    r"""Mean squared error: :math:`\operatorname{mean}((\hat y - y)^2)`."""
    return F.mse_loss(y_pred, _align("mse", y_pred, y_true, _SAME_SHAPE))


def mae(y_pred: Tensor, y_true: Tensor) -> Tensor:
    r"""Mean absolute error: :math:`\operatorname{mean}(|\hat y - y|)`."""
    return F.l1_loss(y_pred, _align("mae", y_pred, y_true, _SAME_SHAPE))


def huber(y_pred: Tensor, y_true: Tensor) -> Tensor:
    r"""Huber loss, Keras' ``delta=1``: :math:`\tfrac12 e^2` where :math:`|e| \le 1`, else :math:`|e| - \tfrac12`."""
    return F.huber_loss(y_pred, _align("huber", y_pred, y_true, _SAME_SHAPE), delta=1.0)


def binary_crossentropy(y_pred: Tensor, y_true: Tensor, from_logits: bool = False) -> Tensor:
    r""":math:`-\operatorname{mean}(y \log p + (1 - y) \log(1 - p))`, p clipped to [eps, 1 - eps]."""
    y_true = _align(
        "binary_crossentropy", y_pred, y_true, "y_true holds one 0/1 label per prediction, (B, 1) or (B,)"
    )
    if from_logits:
        return F.binary_cross_entropy_with_logits(y_pred, y_true)
    return F.binary_cross_entropy(y_pred.clamp(EPSILON, 1.0 - EPSILON), y_true)


def _log_probs(y_pred: Tensor, from_logits: bool) -> Tensor:
    """Log-probabilities over the last axis, the Keras way: normalise, clip, log."""
    if from_logits:
        return F.log_softmax(y_pred, dim=-1)
    probs = y_pred / y_pred.sum(dim=-1, keepdim=True)
    return probs.clamp(EPSILON, 1.0 - EPSILON).log()


def categorical_crossentropy(y_pred: Tensor, y_true: Tensor, from_logits: bool = False) -> Tensor:
    r""":math:`-\operatorname{mean}_b \sum_c y_{bc} \log p_{bc}` for one-hot ``y_true`` of ``y_pred``'s shape."""
    if y_true.shape != y_pred.shape:
        raise ShapeError(
            f"loss 'categorical_crossentropy': {_shapes(y_pred, y_true)}; it takes one-hot y_true of "
            "y_pred's shape (for integer class ids use 'sparse_categorical_crossentropy')"
        )
    return -(y_true.to(y_pred.dtype) * _log_probs(y_pred, from_logits)).sum(dim=-1).mean()


def sparse_categorical_crossentropy(y_pred: Tensor, y_true: Tensor, from_logits: bool = False) -> Tensor:
    r""":math:`-\operatorname{mean}_b \log p_{b, y_b}` for integer class ids ``y_true``."""
    ids = y_true
    if ids.dim() == y_pred.dim() and ids.shape[-1] == 1:
        ids = ids.squeeze(-1)  # (B, 1) -> (B,)
    if y_pred.dim() < 2 or ids.shape != y_pred.shape[:-1]:
        raise ShapeError(
            f"loss 'sparse_categorical_crossentropy': {_shapes(y_pred, y_true)}; it takes class ids "
            "(B,) or (B, 1) against probabilities (B, C) (for one-hot y_true use 'categorical_crossentropy')"
        )
    if ids.is_floating_point() and not torch.equal(ids, ids.round()):
        raise DataError("loss 'sparse_categorical_crossentropy': y_true holds non-integer values; pass class ids")
    ids = ids.long()
    n_classes = y_pred.shape[-1]
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= n_classes):
        raise DataError(
            f"loss 'sparse_categorical_crossentropy': class ids must lie in [0, {n_classes}) for "
            f"{n_classes} classes, got ids from {int(ids.min())} to {int(ids.max())}"
        )
    return -_log_probs(y_pred, from_logits).gather(-1, ids.unsqueeze(-1)).mean()


def masked_sparse_categorical_crossentropy(y_pred: Tensor, y_true: Tensor, from_logits: bool = False) -> Tensor:
    r""":math:`-\operatorname{mean}_{(b,t): y_{bt} \ge 0} \log p_{b,t,y_{bt}}`: sparse crossentropy over the real positions.

    ``y_true`` (B, T) holds class ids, and ``IGNORE_ID`` (any id < 0) where the sequence is padded;
    ``y_pred`` is (B, T, C). A batch with no real position is an error (its mean is undefined).

    Example:
        >>> p = torch.tensor([[[0.25, 0.75], [0.5, 0.5]]])
        >>> round(masked_sparse_categorical_crossentropy(p, torch.tensor([[1, IGNORE_ID]])).item(), 4)
        0.2877
    """
    name = "masked_sparse_categorical_crossentropy"
    ids = y_true
    if ids.dim() == y_pred.dim() and ids.shape[-1] == 1:
        ids = ids.squeeze(-1)  # (B, T, 1) -> (B, T)
    if y_pred.dim() < 2 or ids.shape != y_pred.shape[:-1]:
        raise ShapeError(f"loss {name!r}: {_shapes(y_pred, y_true)}; it takes class ids (B, T) (negative where "
                         "padded) against probabilities or logits (B, T, C)")
    if ids.is_floating_point() and not torch.equal(ids, ids.round()):
        raise DataError(f"loss {name!r}: y_true holds non-integer values; pass class ids")
    ids = ids.long()
    real = ids >= 0  # (B, T)
    if not bool(real.any()):
        raise DataError(f"loss {name!r}: every target position is padding (ids < 0); nothing to learn from")
    n_classes = y_pred.shape[-1]
    if int(ids.max()) >= n_classes:
        raise DataError(f"loss {name!r}: class ids must lie in [0, {n_classes}) for {n_classes} classes, "
                        f"got an id of {int(ids.max())}")
    picked = _log_probs(y_pred, from_logits).gather(-1, ids.clamp(min=0).unsqueeze(-1)).squeeze(-1)  # (B, T)
    return -(picked * real).sum() / real.sum()


LOSSES: dict[str, Callable[..., Tensor]] = {
    "mse": mse,
    "mae": mae,
    "huber": huber,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "masked_sparse_categorical_crossentropy": masked_sparse_categorical_crossentropy,
}
_TAKES_LOGITS = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
                 "masked_sparse_categorical_crossentropy")


class Loss:
    """A named loss bound to ``from_logits``: ``Loss("mse")(y_pred, y_true) -> scalar``."""

    def __init__(self, name: str, from_logits: bool = False) -> None:
        self.name = name
        self.from_logits = from_logits
        self._fn = LOSSES[name]

    def __call__(self, y_pred: Tensor, y_true: Tensor) -> Tensor:
        if self.from_logits:
            return self._fn(y_pred, y_true, from_logits=True)
        return self._fn(y_pred, y_true)

    def __repr__(self) -> str:
        return f"Loss({self.name!r}, from_logits={self.from_logits})"


def get_loss(name: str, from_logits: bool = False) -> Callable[[Tensor, Tensor], Tensor]:
    """The loss called ``name``; ``from_logits`` is for the crossentropy losses only.

    Raises:
        ConfigError: unknown name (the message lists the known ones), or ``from_logits`` with a
            regression loss.
    """
    if name not in LOSSES:
        raise ConfigError(f"loss: unknown loss {name!r}; known losses: {', '.join(LOSSES)}")
    if from_logits and name not in _TAKES_LOGITS:
        raise ConfigError(f"loss: from_logits applies to {', '.join(_TAKES_LOGITS)}, not to {name!r}")
    return Loss(name, from_logits)
