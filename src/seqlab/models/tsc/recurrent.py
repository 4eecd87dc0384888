r"""Recurrent time-series classifiers: LSTM-FCN (Karim et al. 2017), BiGRU, and the seeds' LSTM -> Dense.

All read ``{"x": (B, T, D), "lengths": (B,)}`` and return logits (B, K). ``lengths`` reach the
recurrent layers, so the final state is the one after each series' own last step.

Where we differ from Karim et al.: their LSTM branch reads the *dimension-shuffled* series (one
step of T features per channel), which ties the model to one series length; ours reads the series
over time with its lengths, so one model takes series of any length (JapaneseVowels, unequal
UEA data). Their LSTM has 8, 64 or 128 cells chosen per dataset; ours defaults to 64.

Symbols: B batch, T steps, D input channels, H units, F filters, K classes.
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.layers import GRU, LSTM, Dense, Dropout
from seqlab.models.tsc.blocks import unpack
from seqlab.models.tsc.config import TSCConfig, TSCShape
from seqlab.models.tsc.conv import FCNEncoder


class LSTMFCN(nn.Module):
    r"""LSTM-FCN (Karim et al. 2017): an LSTM branch with heavy dropout beside the FCN, concatenated.

    .. math::
        u = \mathrm{Dropout}_{0.8}(h^{LSTM}_{T}) \\
        v = \mathrm{FCN}(x) \\
        \hat{y} = W [u; v] + b

    Example:
        >>> net = LSTMFCN(TSCConfig(name="lstm-fcn", units=4, filters=[8, 8, 8]).resolved(), TSCShape(1, 2))
        >>> net.eval()({"x": torch.randn(2, 12, 1), "lengths": torch.tensor([12, 7])}).shape
        torch.Size([2, 2])
    """

    def __init__(self, config: TSCConfig, shape: TSCShape) -> None:
        super().__init__()
        self.config, self.shape = config, shape
        self.lstm = LSTM(config.units, input_size=shape.channels)
        self.dropout = Dropout(config.dropout)
        self.fcn = FCNEncoder(shape.channels, config.filters, config.kernel_sizes)
        self.out = Dense(shape.num_classes)
        self.out.build_now((1, config.units + self.fcn.width))

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        x, lengths, mask = unpack(inputs, self.shape.channels, "LSTMFCN")  # (B, T, D), (B,), (B, T)
        u = self.dropout(self.lstm(x, lengths=lengths))  # (B, H)
        v = self.fcn(x, mask)  # (B, F)
        return self.out(torch.cat([u, v], dim=-1))  # (B, K)


class RecurrentClassifier(nn.Module):
    r"""A recurrent layer's final state(s), dropout, Dense: ``bigru`` (both directions) or ``lstm`` (the seeds').

    .. math::
        z = [\overrightarrow{h}_{T}; \overleftarrow{h}_{1}] \text{ (bigru) or } h_{T} \text{ (lstm)} \\
        \hat{y} = W\,\mathrm{Dropout}(z) + b

    Example:
        >>> net = RecurrentClassifier(TSCConfig(name="bigru", units=4).resolved(), TSCShape(3, 5))
        >>> net.eval()({"x": torch.randn(2, 9, 3), "lengths": torch.tensor([9, 4])}).shape
        torch.Size([2, 5])
    """

    def __init__(self, config: TSCConfig, shape: TSCShape) -> None:
        super().__init__()
        self.config, self.shape = config, shape
        bidirectional = config.name == "bigru"
        cell = GRU if config.name == "bigru" else LSTM
        self.rnn = cell(config.units, bidirectional=bidirectional, input_size=shape.channels)
        self.dropout = Dropout(config.dropout)
        width = config.units * (2 if bidirectional else 1)
        self.out = Dense(shape.num_classes)
        self.out.build_now((1, width))

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        x, lengths, _ = unpack(inputs, self.shape.channels, type(self).__name__)  # (B, T, D), (B,)
        z = self.rnn(x, lengths=lengths)  # (B, dirs*H)
        return self.out(self.dropout(z))  # (B, K)
