r"""Autoencoders of fixed-length windows; the reconstruction error is the anomaly score.

Symbols: B batch, W window length, H hidden size.
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.layers import LSTM, Conv1D, Dense
from seqlab.models.anomaly.config import DetectorConfig
from seqlab.models.forecast.common import eager


class LSTMAutoencoder(nn.Module):
    r"""LSTM encoder-decoder of windows (Malhotra et al. 2016, "LSTM-based Encoder-Decoder for
    Multi-sensor Anomaly Detection").

    .. math::
        z = h_W = \mathrm{LSTM}_{enc}(x_{1..W}) \\
        d_{1..W} = \mathrm{LSTM}_{dec}(z, z, \dots, z) \\
        \hat{x}_t = V d_t + b

    Malhotra et al. feed the decoder its own previous output, in reverse order; here the code z is
    repeated at every decoder step (the "RepeatVector" form), which needs no teacher forcing and
    trains in one pass.

    Inputs:
        x (B, W, 1).

    Returns:
        (B, W, 1), the reconstruction.

    Example:
        >>> net = LSTMAutoencoder(DetectorConfig(name="lstm-ae", hidden=8, window=16))
        >>> net(torch.randn(3, 16, 1)).shape
        torch.Size([3, 16, 1])
    """

    def __init__(self, config: DetectorConfig) -> None:
        super().__init__()
        self.config = config
        H = config.hidden
        self.encoder = eager(LSTM(H, input_size=1), 1, 1, 1)
        self.decoder = eager(LSTM(H, return_sequences=True, input_size=H), 1, 1, H)
        self.head = eager(Dense(1), 1, H)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # B batch, W window, H hidden
        z = self.encoder(x)  # (B, H)
        d = self.decoder(z[:, None, :].expand(-1, x.shape[1], -1))  # (B, W, H)
        return self.head(d)  # (B, W, 1)


class ConvAutoencoder(nn.Module):
    r"""Conv1D autoencoder of windows: two strided convolutions down to W/4 steps of H/2 filters,
    two nearest-neighbour upsamplings and convolutions back.

    .. math::
        e = \mathrm{ReLU}(\mathrm{Conv}_{s=2}(\mathrm{ReLU}(\mathrm{Conv}_{s=2}(x)))) \quad (B, W/4, H/2) \\
        \hat{x} = V\, \mathrm{ReLU}(\mathrm{Conv}(\mathrm{Up}_2(\mathrm{ReLU}(\mathrm{Conv}(\mathrm{Up}_2(e)))))) + b

    Inputs:
        x (B, W, 1), W a multiple of 4.

    Returns:
        (B, W, 1), the reconstruction.

    Example:
        >>> net = ConvAutoencoder(DetectorConfig(name="conv-ae", hidden=8, window=16))
        >>> net(torch.randn(3, 16, 1)).shape
        torch.Size([3, 16, 1])
    """

    def __init__(self, config: DetectorConfig) -> None:
        super().__init__()
        self.config = config
        H, W = config.hidden, config.window
        self.down1 = eager(Conv1D(H, 5, strides=2, padding="same", activation="relu"), 1, W, 1)
        self.down2 = eager(Conv1D(H // 2, 5, strides=2, padding="same", activation="relu"), 1, W // 2, H)
        self.up1 = eager(Conv1D(H, 5, padding="same", activation="relu"), 1, W // 2, H // 2)
        self.up2 = eager(Conv1D(H, 5, padding="same", activation="relu"), 1, W, H)
        self.head = eager(Dense(1), 1, W, H)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # B batch, W window, H filters
        e = self.down2(self.down1(x))  # (B, W/4, H/2)
        u = self.up1(e.repeat_interleave(2, dim=1))  # (B, W/2, H)
        u = self.up2(u.repeat_interleave(2, dim=1))  # (B, W, H)
        return self.head(u)  # (B, W, 1)
