r"""Recurrent forecasters: a direct multi-horizon encoder (lstm, gru, rnn, stacked-lstm) and an
autoregressive encoder-decoder (seq2seq).

Symbols: B batch, L lookback, H horizon, C input channels, K target channels, F marks,
D hidden size.
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.layers import GRU, LSTM, Dense, Dropout, SimpleRNN
from seqlab.models.forecast.common import eager, future_marks, past_marks
from seqlab.models.forecast.config import ForecasterConfig, ForecastShape

RNNS = {"lstm": LSTM, "stacked-lstm": LSTM, "gru": GRU, "rnn": SimpleRNN}


class RecurrentForecaster(nn.Module):
    r"""Encoder RNN over the lookback, then one Dense for all H steps at once (direct strategy).

    .. math::
        h_L = \mathrm{RNN}([x_{1..L};\ m_{1..L}]) \\
        \hat{y}_{L+1..L+H} = W\,\mathrm{Dropout}([h_L;\ \mathrm{vec}(m_{L+1..L+H})]) + b

    The seed models' LSTM(units) → Dense(horizon). ``layers`` > 1 stacks recurrent layers, each
    reading the whole output sequence of the one below (``stacked-lstm``: two LSTM layers, as
    Keras' LSTM(return_sequences=True) → LSTM). Marks m, when present, are appended to the
    inputs over the lookback and, flattened, to h_L for the head.

    Args:
        cell: ``lstm``, ``gru`` or ``rnn`` (``stacked-lstm`` is an LSTM).
        shape: the core's view of the data.
        config: a resolved ForecasterConfig (``hidden``, ``layers``, ``dropout``).

    Inputs:
        x (B, L, C), marks (B, L + H, F) or None.

    Returns:
        (B, H, K).

    Example:
        >>> cfg = ForecasterConfig(name="lstm").resolved()
        >>> net = RecurrentForecaster("lstm", ForecastShape(48, 12, 3, (2,), n_marks=4), cfg)
        >>> net(torch.randn(8, 48, 3), torch.randn(8, 60, 4)).shape
        torch.Size([8, 12, 1])
    """

    uses_marks = True
    needs_targets = False

    def __init__(self, cell: str, shape: ForecastShape, config: ForecasterConfig) -> None:
        super().__init__()
        self.shape = shape
        H, C, K, F = shape.horizon, shape.n_inputs, shape.n_targets, shape.n_marks
        D = config.hidden
        recurrent_dropout = config.dropout if config.layers > 1 else 0.0
        self.encoder = RNNS[cell](D, num_layers=config.layers, dropout=recurrent_dropout, input_size=C + F)
        self.dropout = Dropout(config.dropout)
        self.head = eager(Dense(H * K), 1, D + H * F)

    def forward(self, x, marks=None, y=None, channel=None) -> torch.Tensor:
        # B batch, L lookback, H horizon, K targets, F marks, D hidden
        B, L, H, K = x.shape[0], self.shape.lookback, self.shape.horizon, self.shape.n_targets
        h = self.encoder(past_marks(x, marks))  # h_L, (B, D)
        h = future_marks(h, marks, L)  # (B, D + H·F)
        return self.head(self.dropout(h)).view(B, H, K)  # (B, H, K)


class Seq2Seq(nn.Module):
    r"""Encoder-decoder RNN (Sutskever et al. 2014; Cho et al. 2014) that forecasts step by step.

    .. math::
        s_0 = \mathrm{Encoder}([x_{1..L};\ m_{1..L}]) \quad \text{(final state of every layer)} \\
        (o_t, s_t) = \mathrm{Decoder}([u_t;\ m_{L+t}],\ s_{t-1}), \quad t = 1..H \\
        \hat{y}_{L+t} = W\,\mathrm{Dropout}(o_t) + b \\
        u_1 = x_{L,\mathrm{targets}}, \quad u_{t+1} = y_{L+t} \text{ (teacher forcing) or } \hat{y}_{L+t}

    In training, given the true targets y, each batch is teacher-forced (the decoder reads the
    true previous value) with probability ``teacher_forcing`` (Williams & Zipser 1989), else it
    reads its own forecasts; in evaluation it always reads its own forecasts, and y is ignored.
    The decoder is the seqlab GRU/LSTM layer run on sequences of length 1 from ``initial_state``.

    Args:
        shape: the core's view of the data.
        config: a resolved ForecasterConfig (``cell``, ``hidden``, ``layers``, ``dropout``,
            ``teacher_forcing``).

    Inputs:
        x (B, L, C), marks (B, L + H, F) or None, y (B, H, K) or None.

    Returns:
        (B, H, K).

    Example:
        >>> cfg = ForecasterConfig(name="seq2seq", hidden=16).resolved()
        >>> net = Seq2Seq(ForecastShape(48, 12, 3, (0, 2)), cfg)
        >>> net(torch.randn(8, 48, 3)).shape
        torch.Size([8, 12, 2])
    """

    uses_marks = True
    needs_targets = True

    def __init__(self, shape: ForecastShape, config: ForecasterConfig) -> None:
        super().__init__()
        self.shape, self.teacher_forcing = shape, config.teacher_forcing
        C, K, F, D = shape.n_inputs, shape.n_targets, shape.n_marks, config.hidden
        rnn = RNNS[config.cell]
        recurrent_dropout = config.dropout if config.layers > 1 else 0.0
        self.encoder = rnn(D, num_layers=config.layers, dropout=recurrent_dropout, return_state=True,
                           input_size=C + F)
        self.decoder = rnn(D, num_layers=config.layers, dropout=recurrent_dropout, return_state=True,
                           input_size=K + F)
        self.dropout = Dropout(config.dropout)
        self.head = eager(Dense(K), 1, D)

    def forward(self, x, marks=None, y=None, channel=None) -> torch.Tensor:
        # B batch, L lookback, H horizon, K targets, F marks, D hidden
        L, H = self.shape.lookback, self.shape.horizon
        _, state = self.encoder(past_marks(x, marks))  # s_0: (layers, B, D), a pair for LSTM
        forced = self.training and y is not None and bool(torch.rand(()) < self.teacher_forcing)
        u = x[:, -1:, list(self.shape.target_idx)]  # u_1 = x_L of the targets, (B, 1, K)
        outputs = []
        for t in range(H):
            step = u if marks is None else torch.cat([u, marks[:, L + t: L + t + 1].to(u.dtype)], dim=-1)
            o, state = self.decoder(step, initial_state=state)  # o_t (B, D), s_t
            y_hat = self.head(self.dropout(o))  # ŷ_{L+t}, (B, K)
            outputs.append(y_hat)
            u = (y[:, t] if forced else y_hat)[:, None]  # u_{t+1}, (B, 1, K)
        return torch.stack(outputs, dim=1)  # (B, H, K)
