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
