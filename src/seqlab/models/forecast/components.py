r"""Two additive parts any forecaster can carry: a learned cycle and a linear highway.

``Cycle`` (the residual cycle forecasting of CycleNet, Lin et al. 2024): a learned table
Q (P, C) of one value per phase of a period P and channel, subtracted from the input and added
back to the forecast, so the network models the series minus its recurring pattern:

.. math::
    x'_t = x_t - Q_{(\tau + t) \bmod P}, \qquad \hat{y}_{L+j} = \hat{y}'_{L+j} + Q_{(\tau + L + j) \bmod P}

where τ is the absolute step index of the window's first row (so the phase of hourly data with
P = 24 is the hour of the day, whatever window it is).

``Highway`` (the autoregressive highway of LSTNet, Lai et al. 2018): a linear map over the
lookback of each target added to the network's forecast, so the network learns only what a
linear model cannot; it starts at zero, leaving the network's forecast unchanged:

.. math:: \hat{y} = \mathrm{net}(x) + W (x - x_L) + b

Symbols: B batch, L lookback, H horizon, C channels, K targets, P period.
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.models.forecast.linear import TemporalLinear


class Cycle(nn.Module):
    r"""A learned recurring pattern Q (P, C), one value per phase and channel, starting at zero.

    Example:
        >>> cycle = Cycle(period=24, channels=2)
        >>> cycle.at(torch.tensor([0, 5]), 0, 3).shape
        torch.Size([2, 3, 2])
    """

    def __init__(self, period: int, channels: int) -> None:
        super().__init__()
        self.period = period
        self.Q = nn.Parameter(torch.zeros(period, channels))  # Q, (P, C)

    def at(self, tau: torch.Tensor, offset: int, length: int) -> torch.Tensor:
        """Q at steps τ + offset .. τ + offset + length - 1 of each window: (B, length, C)."""
        steps = tau[:, None] + offset + torch.arange(length, device=tau.device)[None]  # (B, length)
        return self.Q[torch.remainder(steps, self.period)]  # (B, length, C)


class Highway(nn.Module):
    r"""\hat{y}_{hw} = W (x - x_L) + b over each target's lookback, W (H, L) shared by the targets, zero at start.

    Example:
        >>> hw = Highway(lookback=48, horizon=12, targets=(0, 2))
        >>> hw(torch.randn(4, 48, 3)).shape
        torch.Size([4, 12, 2])
    """

    def __init__(self, lookback: int, horizon: int, targets: tuple[int, ...]) -> None:
        super().__init__()
        self.targets = list(targets)
        self.linear = TemporalLinear(lookback, horizon, len(targets), individual=False, init=0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[..., self.targets]  # (B, L, K)
        return self.linear(x - x[:, -1:])  # W (x − x_L) + b, (B, H, K)
