r"""Linear forecasters of Zeng et al. 2023 ("Are Transformers Effective for Time Series
Forecasting?"): NLinear and DLinear, one linear map from the L past steps to the H future ones.

Both act on each target channel alone (other input channels are not read), with one weight
matrix shared by all channels or, with ``individual=True``, one per channel.

Symbols: B batch, L lookback, H horizon, C input channels, K target channels.
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.layers import Dense, MovingAverage
from seqlab.models.forecast.common import eager
from seqlab.models.forecast.config import ForecasterConfig, ForecastShape


class TemporalLinear(nn.Module):
    r"""y_{:,k} = W_k x_{:,k} + b_k over the time axis of each of K channels: (B, L, K) → (B, H, K).

    One Dense(L → H) shared by the channels (W_k = W), or one per channel (``individual``).
    ``init`` sets W: ``0`` starts NLinear as the last-value forecast, ``1/L`` starts DLinear's
    maps as window means (as the DLinear code does); b starts at 0. A random start needs many
    steps to undo on a short series.
    """

    def __init__(self, lookback: int, horizon: int, channels: int, individual: bool, init: float = 0.0) -> None:
        super().__init__()
        n = channels if individual else 1
        self.maps = nn.ModuleList(eager(Dense(horizon), 1, lookback) for _ in range(n))
        with torch.no_grad():
            for f in self.maps:
                f.weight.fill_(init)
                f.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # B batch, L lookback, H horizon, K channels
        x = x.transpose(1, 2)  # (B, K, L)
        if len(self.maps) == 1:
            y = self.maps[0](x)  # (B, K, H)
        else:
            y = torch.stack([f(x[:, k]) for k, f in enumerate(self.maps)], dim=1)  # (B, K, H)
        return y.transpose(1, 2)  # (B, H, K)


class NLinear(nn.Module):
    r"""NLinear: subtract the last value, one linear map over time, add the last value back.

    .. math:: \hat{y}_{L+1..L+H} = W (x_{1..L} - x_L) + b + x_L

    Args:
        shape: the core's view of the data.
        config: a resolved ForecasterConfig (``individual``).

    Inputs:
        x (B, L, C).

    Returns:
        (B, H, K).

    Example:
        >>> net = NLinear(ForecastShape(96, 24, 7, (0, 6)), ForecasterConfig(name="linear"))
        >>> net(torch.randn(4, 96, 7)).shape
        torch.Size([4, 24, 2])
    """

    uses_marks = False
    needs_targets = False

    def __init__(self, shape: ForecastShape, config: ForecasterConfig) -> None:
        super().__init__()
        self.targets = list(shape.target_idx)
        self.linear = TemporalLinear(shape.lookback, shape.horizon, shape.n_targets, config.individual)

    def forward(self, x, marks=None, y=None, channel=None) -> torch.Tensor:
        x = x[..., self.targets]  # (B, L, K)
        last = x[:, -1:].detach()  # x_L, (B, 1, K)
        return self.linear(x - last) + last  # W (x − x_L) + b + x_L, (B, H, K)


class DLinear(nn.Module):
    r"""DLinear: a moving-average decomposition into trend and remainder, one linear map on each.

    .. math::
        T = \mathrm{MovingAverage}_k(x), \quad R = x - T \\
        \hat{y}_{L+1..L+H} = W_T T + b_T + W_R R + b_R

    Args:
        shape: the core's view of the data.
        config: a resolved ForecasterConfig (``moving_avg`` = k, ``individual``).

    Inputs:
        x (B, L, C).

    Returns:
        (B, H, K).

    Example:
        >>> net = DLinear(ForecastShape(96, 24, 7, (6,)), ForecasterConfig(name="dlinear"))
        >>> net(torch.randn(4, 96, 7)).shape
        torch.Size([4, 24, 1])
    """

    uses_marks = False
    needs_targets = False

    def __init__(self, shape: ForecastShape, config: ForecasterConfig) -> None:
        super().__init__()
        self.targets = list(shape.target_idx)
        L, H, K = shape.lookback, shape.horizon, shape.n_targets
        self.decompose = MovingAverage(config.moving_avg)
        self.trend = TemporalLinear(L, H, K, config.individual, init=1.0 / L)
        self.seasonal = TemporalLinear(L, H, K, config.individual, init=1.0 / L)

    def forward(self, x, marks=None, y=None, channel=None) -> torch.Tensor:
        x = x[..., self.targets]  # (B, L, K)
        trend = self.decompose(x)  # T, (B, L, K)
        return self.trend(trend) + self.seasonal(x - trend)  # W_T T + b_T + W_R R + b_R, (B, H, K)
