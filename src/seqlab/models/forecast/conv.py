r"""Convolutional forecasters: a Conv1D/pooling stack (cnn) and a temporal convolutional network (tcn).

Symbols: B batch, L lookback, H horizon, C input channels, K target channels, F marks,
D filters (``hidden``), k kernel size, p pool size, n blocks.
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.errors import ConfigError
from seqlab.layers import TCN, Conv1D, Dense, Dropout, Flatten, MaxPooling1D
from seqlab.layers.tcn import blocks_to_cover
from seqlab.models.forecast.common import eager, future_marks, past_marks
from seqlab.models.forecast.config import ForecasterConfig, ForecastShape


class CNNForecaster(nn.Module):
    r"""The seed models' Conv1D → MaxPooling1D → Flatten → Dense, with ``layers`` conv blocks.

    .. math::
        h^{(0)} = [x_{1..L};\ m_{1..L}] \\
        h^{(i)} = \mathrm{MaxPool}_p(\mathrm{ReLU}(W^{(i)} * h^{(i-1)} + b^{(i)})), \quad i = 1..n \\
        \hat{y} = W\,\mathrm{Dropout}([\mathrm{vec}(h^{(n)});\ \mathrm{vec}(m_{L+1..L+H})]) + b

    Convolutions keep the length (``padding`` causal or same); each pooling divides it by p,
    rounding down, so the lookback must hold at least p^n steps.

    Args:
        shape: the core's view of the data.
        config: a resolved ForecasterConfig (``hidden``, ``layers``, ``kernel_size``,
            ``pool_size``, ``padding``, ``dropout``).

    Inputs:
        x (B, L, C), marks (B, L + H, F) or None.

    Returns:
        (B, H, K).

    Example:
        >>> cfg = ForecasterConfig(name="cnn", hidden=16).resolved()
        >>> CNNForecaster(ForecastShape(48, 24, 7, (6,)), cfg)(torch.randn(4, 48, 7)).shape
        torch.Size([4, 24, 1])
    """

    uses_marks = True
    needs_targets = False

    def __init__(self, shape: ForecastShape, config: ForecasterConfig) -> None:
        super().__init__()
        self.shape = shape
        L, H, K, F, D, p = shape.lookback, shape.horizon, shape.n_targets, shape.n_marks, config.hidden, config.pool_size
        if L < p ** config.layers:
            raise ConfigError(f"cnn: lookback {L} is too short for `layers`={config.layers} poolings of "
                              f"`pool_size`={p} (needs at least {p ** config.layers} steps); "
                              f"lower layers or pool_size")
        self.convs, self.pools = nn.ModuleList(), nn.ModuleList()
        channels, steps = shape.n_inputs + F, L
        for _ in range(config.layers):
            conv = Conv1D(D, config.kernel_size, padding=config.padding, activation="relu")
            self.convs.append(eager(conv, 1, steps, channels))
            self.pools.append(MaxPooling1D(p))
            channels, steps = D, steps // p
        self.flatten = Flatten()
        self.dropout = Dropout(config.dropout)
        self.head = eager(Dense(H * K), 1, steps * D + H * F)

    def forward(self, x, marks=None, y=None, channel=None) -> torch.Tensor:
        # B batch, L lookback, H horizon, K targets, F marks, D filters, T_i steps after block i
        B, L, H, K = x.shape[0], self.shape.lookback, self.shape.horizon, self.shape.n_targets
        h = past_marks(x, marks)  # h0, (B, L, C + F)
        for conv, pool in zip(self.convs, self.pools):
            h = pool(conv(h))  # h_i = MaxPool(ReLU(W_i * h_{i-1} + b_i)), (B, T_i, D)
        h = future_marks(self.flatten(h), marks, L)  # (B, T_n·D + H·F)
        return self.head(self.dropout(h)).view(B, H, K)  # (B, H, K)


class TCNForecaster(nn.Module):
    r"""Temporal convolutional network (Bai et al. 2018) read at its last step, then a Dense head.

    .. math::
        h = \mathrm{TCN}([x_{1..L};\ m_{1..L}])_L \\
        \hat{y} = W\,\mathrm{Dropout}([h;\ \mathrm{vec}(m_{L+1..L+H})]) + b

    The last step of the TCN sees ``receptive_field`` = 1 + 2(k-1)(2^n - 1) input steps; by
    default n (``layers``) is the fewest blocks for which that covers the lookback.

    Args:
        shape: the core's view of the data.
        config: a resolved ForecasterConfig (``hidden``, ``layers``, ``kernel_size``,
            ``dropout``, ``weight_norm``).

    Inputs:
        x (B, L, C), marks (B, L + H, F) or None.

    Returns:
        (B, H, K).

    Example:
        >>> cfg = ForecasterConfig(name="tcn", hidden=8).resolved()
        >>> net = TCNForecaster(ForecastShape(48, 24, 7, (6,)), cfg)
        >>> net(torch.randn(4, 48, 7)).shape, net.receptive_field
        (torch.Size([4, 24, 1]), 61)
    """

    uses_marks = True
    needs_targets = False

    def __init__(self, shape: ForecastShape, config: ForecasterConfig) -> None:
        super().__init__()
        self.shape = shape
        H, K, F, D = shape.horizon, shape.n_targets, shape.n_marks, config.hidden
        blocks = config.layers or blocks_to_cover(shape.lookback, config.kernel_size)
        self.tcn = TCN(D, config.kernel_size, blocks, config.dropout, config.weight_norm,
                       return_sequences=False, input_size=shape.n_inputs + F)
        self.dropout = Dropout(config.dropout)
        self.head = eager(Dense(H * K), 1, D + H * F)

    @property
    def receptive_field(self) -> int:
        return self.tcn.receptive_field

    def forward(self, x, marks=None, y=None, channel=None) -> torch.Tensor:
        # B batch, L lookback, H horizon, K targets, F marks, D filters
        B, L, H, K = x.shape[0], self.shape.lookback, self.shape.horizon, self.shape.n_targets
        h = self.tcn(past_marks(x, marks))  # the last step, (B, D)
        h = future_marks(h, marks, L)  # (B, D + H·F)
        return self.head(self.dropout(h)).view(B, H, K)  # (B, H, K)
