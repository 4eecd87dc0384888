"""A real slice of ETTh1 for the forecasting tests: hourly, 7 channels, standardised on train."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from seqlab.data.series import StandardScaler, make_windows, read_series

TRAIN_ROWS, VAL_ROWS = 3000, 700  # rows [0, 3000) train, the next 700 validate


@dataclass(frozen=True)
class Slice:
    columns: list[str]
    raw: np.ndarray  # (N, 7) float64, the first TRAIN_ROWS + VAL_ROWS rows in original units
    scaled: np.ndarray  # (N, 7), standardised with the training rows' statistics

    def windows(self, split: str, lookback: int, horizon: int, targets: list[int]):
        """(X, Y) float32 windows of ``split``; validation starts L rows early (ETT protocol)."""
        cols = list(range(self.raw.shape[1]))
        rows = self.scaled[:TRAIN_ROWS] if split == "train" else self.scaled[TRAIN_ROWS - lookback:]
        return make_windows(rows, lookback, horizon, cols, targets)


@pytest.fixture(scope="session")
def etth1() -> Slice:
    df = read_series("etth1")
    columns = [c for c in df.columns if c != "date"]
    raw = df[columns].to_numpy()[: TRAIN_ROWS + VAL_ROWS]
    scaled = StandardScaler().fit(raw[:TRAIN_ROWS]).transform(raw)
    return Slice(columns, raw, scaled)
