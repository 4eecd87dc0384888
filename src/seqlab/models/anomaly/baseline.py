r"""The trivial baseline: how many rolling standard deviations a value lies from the rolling mean.

.. math::
    \mu_t = \tfrac{1}{W} \textstyle\sum_{k=1}^{W} x_{t-k}, \qquad
    \sigma_t^2 = \tfrac{1}{W} \textstyle\sum_{k=1}^{W} (x_{t-k} - \mu_t)^2 \\
    s_t = |x_t - \mu_t| / (\sigma_t + \epsilon)

The first W rows, which have no full lookback, score 0.
"""

from __future__ import annotations

import numpy as np
from torch import nn

from seqlab.models.anomaly.config import DetectorConfig

EPS = 1e-3  # in standardised units: a flat stretch does not turn every wiggle into an alarm


class RollingZScore(nn.Module):
    """No parameters; ``scores`` maps a standardised series (N,) to (N,) scores.

    Example:
        >>> z = RollingZScore(DetectorConfig(name="zscore", window=4))
        >>> z.scores(np.array([0., 1, 0, 1, 0, 1, 9])).round(2).tolist()
        [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 16.97]
    """

    def __init__(self, config: DetectorConfig) -> None:
        super().__init__()
        self.config = config

    def scores(self, x: np.ndarray) -> np.ndarray:
        W = self.config.window
        x = np.asarray(x, dtype=np.float64)
        out = np.zeros(len(x))
        if len(x) <= W:
            return out
        past = np.lib.stride_tricks.sliding_window_view(x[:-1], W)  # (N - W, W): row j is x[j .. j+W-1]
        mu, sigma = past.mean(axis=1), past.std(axis=1)
        out[W:] = np.abs(x[W:] - mu) / (sigma + EPS)
        return out
