"""MovingAverage against a numpy moving average with repeated ends, on real ETTh1 rows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.data.series import read_series
from seqlab.errors import ConfigError
from seqlab.layers import MovingAverage


def numpy_trend(x: np.ndarray, k: int) -> np.ndarray:
    """Centred mean over k rows of x (T, C), the ends repeated: (k-1)//2 left, the rest right."""
    left, right = (k - 1) // 2, k - 1 - (k - 1) // 2
    padded = np.concatenate([np.repeat(x[:1], left, 0), x, np.repeat(x[-1:], right, 0)])
    return np.stack([padded[t: t + k].mean(axis=0) for t in range(len(x))])


@pytest.mark.parametrize("k", [1, 4, 25])
def test_trend_matches_numpy(k):
    df = read_series("etth1")
    x = df[[c for c in df.columns if c != "date"]].to_numpy()[:96]  # (96, 7)
    trend = MovingAverage(k)(torch.tensor(x)[None])[0].numpy()
    np.testing.assert_allclose(trend, numpy_trend(x, k), rtol=1e-10)
    if k == 1:
        np.testing.assert_allclose(trend, x)


def test_config_round_trip_and_errors():
    assert MovingAverage(**MovingAverage(7).get_config()).kernel_size == 7
    with pytest.raises(ConfigError, match="`kernel_size`"):
        MovingAverage(0)
