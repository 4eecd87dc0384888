r"""A one-step LSTM forecaster whose residuals are anomaly scores (Malhotra et al. 2015, "Long
Short Term Memory Networks for Anomaly Detection in Time Series").

.. math::
    (h_t, c_t) = \mathrm{LSTM}(x_t, (h_{t-1}, c_{t-1})) \\
    \hat{x}_{t+1} = W h_t + b

The state runs over the whole series from the first row, in training (truncated BPTT over
consecutive chunks, the layer ``stateful``) as in scoring, so a batch pass over the series and a
stream of one-step updates that carry ``(h, c)`` give the same forecasts.

Symbols: B batch, T time steps, H units.
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.layers import LSTM, Dense
from seqlab.models.anomaly.config import DetectorConfig
from seqlab.models.forecast.common import eager


class LSTMForecaster(nn.Module):
    """LSTM(H) over the series, then Dense(1) at every step: the forecast of the next value.

    Args:
        config: a DetectorConfig (``hidden``).

    Inputs:
        x (B, T, 1); ``state`` (h, c), each (1, B, H), or None for zeros.

    Returns:
        ``forward``: (B, T, 1), row t the forecast of x_{t+1}. ``step``: the same and the final state.

    Example:
        >>> net = LSTMForecaster(DetectorConfig(name="lstm-forecast", hidden=8))
        >>> y, (h, c) = net.step(torch.randn(2, 10, 1))
        >>> y.shape, h.shape
        (torch.Size([2, 10, 1]), torch.Size([1, 2, 8]))
    """

    def __init__(self, config: DetectorConfig) -> None:
        super().__init__()
        self.config = config
        self.rnn = eager(LSTM(config.hidden, return_sequences=True, return_state=True, input_size=1), 1, 1, 1)
        self.head = eager(Dense(1), 1, config.hidden)

    def step(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None):
        # B batch, T steps, H units
        h, state = self.rnn(x, initial_state=state)  # (B, T, H); (h_T, c_T) each (1, B, H)
        return self.head(h), state  # (B, T, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.step(x)[0]
