r"""SegRNN (Lin et al. 2023, "SegRNN: Segment Recurrent Neural Network for Long-Term Time Series
Forecasting", arXiv 2308.11200): a GRU over segments of the series, decoded in parallel.

Symbols: B batch (B·C rows when channel-independent), L lookback, H horizon, S seg_len,
n = L / S input segments, m = ceil(H / S) output segments, C input channels, K targets,
d hidden size.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from seqlab.errors import ConfigError
from seqlab.layers import GRU, Dense, Dropout, Embedding
from seqlab.models.forecast.common import eager
from seqlab.models.forecast.config import ForecasterConfig, ForecastShape


class SegRNN(nn.Module):
    r"""Segment-wise GRU encoder with parallel multi-step decoding (PMR).

    .. math::
        \tilde{x} = x - x_L \quad \text{(unless RevIN normalises instead)} \\
        e_j = \mathrm{ReLU}(W_e\,\tilde{x}_{(j-1)S+1..jS} + b_e), \quad j = 1..n \\
        h_n = \mathrm{GRU}(e_1, \dots, e_n) \\
        o_i = \mathrm{GRU}_{\text{one step}}([p_i;\ c_{\mathrm{channel}}],\ h_n), \quad i = 1..m \text{ (in parallel)} \\
        \hat{y}_{(i-1)S+1..iS} = W_o\,\mathrm{Dropout}(o_i) + b_o + x_L

    p_i (d/2) is a learned embedding of output segment i and c (d/2) of the channel, so that one
    set of weights serves every channel. The m decoding steps do not depend on each other: they
    run as one batch of length-1 sequences, (B·m, 1, d), from copies of h_n. The same GRU
    encodes and decodes, as in the authors' code. When H is not a multiple of S, m = ceil(H/S)
    segments are decoded and the forecast is cut to H steps.

    Channel-mixing variant (``channel_independent=False``, not in the paper): each segment holds
    all C channels (W_e reads S·C values), the decoder input is a d-sized position embedding,
    and W_o writes S·K values.

    Args:
        shape: the core's view of the data (C = K = 1 when channel-independent).
        config: a resolved ForecasterConfig (``hidden``, ``layers``, ``seg_len``, ``dropout``).
        n_channels: the number of channels to embed when channel-independent (the full
            ``n_inputs``); None for the channel-mixing variant.
        subtract_last: subtract x_L before and add it back after (off when RevIN normalises).

    Inputs:
        x (B, L, C); channel (B,) integer channel ids when channel-independent.

    Returns:
        (B, H, K).

    Example:
        >>> cfg = ForecasterConfig(name="segrnn", hidden=32, seg_len=12).resolved()
        >>> net = SegRNN(ForecastShape(48, 24, 1, (0,)), cfg, n_channels=7)
        >>> net(torch.randn(14, 48, 1), channel=torch.arange(7).repeat(2)).shape
        torch.Size([14, 24, 1])
    """

    uses_marks = False
    needs_targets = False

    def __init__(self, shape: ForecastShape, config: ForecasterConfig, n_channels: int | None = None,
                 subtract_last: bool = True) -> None:
        super().__init__()
        L, H, S, d = shape.lookback, shape.horizon, config.seg_len, config.hidden
        if L % S:
            raise ConfigError(f"segrnn: `seg_len`={S} must divide the lookback {L}; choose a seg_len "
                              f"among {[s for s in range(1, L + 1) if L % s == 0]} or change the lookback")
        if n_channels is not None and d % 2:
            raise ConfigError(f"segrnn: `hidden`={d} must be even: half of it embeds the segment position, "
                              "half the channel")
        self.shape, self.seg_len, self.subtract_last = shape, S, subtract_last
        self.n_in, self.n_out = L // S, math.ceil(H / S)
        C, K = shape.n_inputs, shape.n_targets
        self.embed = eager(Dense(d, activation="relu"), 1, S * C)
        self.rnn = GRU(d, num_layers=config.layers, return_state=True, input_size=d)
        self.position = Embedding(self.n_out, d // 2 if n_channels is not None else d)
        self.channel = Embedding(n_channels, d // 2) if n_channels is not None else None
        for emb in (self.position, self.channel):
            if emb is not None:
                nn.init.normal_(emb.weight)  # N(0, 1), as the authors' torch.randn
        self.dropout = Dropout(config.dropout)
        self.head = eager(Dense(S * K), 1, d)

    def forward(self, x, marks=None, y=None, channel=None) -> torch.Tensor:
        # B rows, L lookback, C channels, K targets, S seg_len, n / m input / output segments, d hidden
        B, L, C = x.shape
        S, n, m, K = self.seg_len, self.n_in, self.n_out, self.shape.n_targets
        last = x[:, -1:].detach()  # x_L, (B, 1, C)
        if self.subtract_last:
            x = x - last  # x̃ = x − x_L
        e = self.embed(x.reshape(B, n, S * C))  # e_j = ReLU(W_e x̃_j + b_e), (B, n, d)
        _, h = self.rnn(e)  # h_n, (layers, B, d)
        pos = self.position.weight  # p_i, (m, d/2) or (m, d)
        if self.channel is not None:
            c = self.channel(channel)  # c_channel, (B, d/2)
            dec = torch.cat([pos.expand(B, m, -1), c[:, None].expand(B, m, -1)], dim=-1)  # (B, m, d)
        else:
            dec = pos.expand(B, m, -1)  # (B, m, d)
        h0 = h.repeat_interleave(m, dim=1)  # h_n for each output segment, (layers, B·m, d)
        o = self.rnn(dec.reshape(B * m, 1, -1), initial_state=h0)[0]  # o_i, (B·m, d)
        y_hat = self.head(self.dropout(o)).view(B, m * S, K)[:, : self.shape.horizon]  # (B, H, K)
        if self.subtract_last:
            y_hat = y_hat + last[..., list(self.shape.target_idx)]  # + x_L
        return y_hat
