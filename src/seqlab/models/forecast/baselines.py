r"""Baselines without parameters: the last value, the last season, the mean of the lookback.

Every learned model should beat them; a model that does not has learned nothing useful.

Symbols: B batch, L lookback, H horizon, C input channels, K target channels, m season.
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.errors import ConfigError
from seqlab.models.forecast.config import ForecasterConfig, ForecastShape


class _Baseline(nn.Module):
    uses_marks = False
    needs_targets = False

    def __init__(self, shape: ForecastShape, config: ForecasterConfig | None = None) -> None:
        super().__init__()
        self.shape = shape
        self.targets = list(shape.target_idx)


class Naive(_Baseline):
    r"""Repeat the last observed value (the random-walk forecast).

    .. math:: \hat{y}_{L+h} = x_L, \quad h = 1..H

    Example:
        >>> x = torch.arange(6.).reshape(1, 3, 2)  # rows [0, 1], [2, 3], [4, 5]
        >>> Naive(ForecastShape(3, 2, 2, (1,)))(x).tolist()
        [[[5.0], [5.0]]]
    """

    def forward(self, x, marks=None, y=None, channel=None) -> torch.Tensor:
        return x[:, -1:, self.targets].expand(-1, self.shape.horizon, -1)  # (B, H, K)


class SeasonalNaive(_Baseline):
    r"""Repeat the last season: the value one period m before each forecast step.

    .. math:: \hat{y}_{L+h} = x_{L - m + 1 + ((h - 1) \bmod m)}, \quad h = 1..H

    m is ``config.season`` or else ``shape.season``; it must lie in [1, L].

    Example:
        >>> x = torch.tensor([1., 2., 3., 4., 5.]).reshape(1, 5, 1)
        >>> SeasonalNaive(ForecastShape(5, 5, 1, (0,), season=2))(x).flatten().tolist()
        [4.0, 5.0, 4.0, 5.0, 4.0]
    """

    def __init__(self, shape: ForecastShape, config: ForecasterConfig | None = None) -> None:
        super().__init__(shape, config)
        season = config.season if config is not None and config.season is not None else shape.season
        if season is None:
            raise ConfigError("seasonal-naive needs a seasonal period: set `season` in the model config "
                              "(e.g. 24 for hourly data with a daily cycle) or in the data's ForecastShape")
        if season > shape.lookback:
            raise ConfigError(f"seasonal-naive: `season`={season} is longer than the lookback {shape.lookback}; "
                              "use a lookback of at least one season")
        self.season = season
        L, m = shape.lookback, season
        index = [L - m + h % m for h in range(shape.horizon)]  # 0-based rows of x, one per forecast step
        self.register_buffer("index", torch.tensor(index), persistent=False)

    def forward(self, x, marks=None, y=None, channel=None) -> torch.Tensor:
        return x[:, self.index][..., self.targets]  # (B, H, K)


class Mean(_Baseline):
    r"""Repeat the mean of the lookback.

    .. math:: \hat{y}_{L+h} = \frac{1}{L} \sum_{t=1}^{L} x_t, \quad h = 1..H

    Example:
        >>> x = torch.tensor([1., 2., 6.]).reshape(1, 3, 1)
        >>> Mean(ForecastShape(3, 2, 1, (0,)))(x).flatten().tolist()
        [3.0, 3.0]
    """

    def forward(self, x, marks=None, y=None, channel=None) -> torch.Tensor:
        return x[..., self.targets].mean(dim=1, keepdim=True).expand(-1, self.shape.horizon, -1)  # (B, H, K)
