"""What a task hands the engine: arrays for each split, preprocessing state, baselines."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Prepared:
    """Train/validation/test arrays plus everything needed to repeat the preprocessing.

    ``state`` is JSON-safe (scaler statistics, vocabulary, label names): it is saved in the run
    directory and read back for ``evaluate`` and ``predict``. ``baselines`` maps a baseline's
    name to its predictions on the test split, in the model's output space.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    state: dict
    baselines: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])


def targets(ids: list[int], n_classes: int, loss: str) -> np.ndarray:
    ids = np.asarray(ids, dtype=np.int64)
    if loss == "binary_crossentropy":
        return ids.astype(np.float32)[:, None]  # (n, 1)
    if loss == "categorical_crossentropy":
        return np.eye(n_classes, dtype=np.float32)[ids]  # (n, C)
    return ids  # (n,)


def outputs_for_class(k: int, n: int, n_classes: int, loss: str) -> np.ndarray:
    """Model-shaped outputs that always say class ``k`` (for the majority baseline)."""
    if loss == "binary_crossentropy":
        return np.full((n, 1), float(k), dtype=np.float32)
    return np.tile(np.eye(n_classes, dtype=np.float32)[k], (n, 1))
