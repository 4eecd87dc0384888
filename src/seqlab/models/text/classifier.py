"""``TextClassifier``: token ids of variable length -> one logit per class.

The input is a dict ``{"ids": (B, T) int64, "lengths": (B,) int64}`` with every text padded
(id 0) to the batch's longest; ``lengths`` reach the recurrent layers, so a text's prediction
is the same alone or in a padded batch. Every part is a seqlab layer (an ``nn.Module`` whose
weights are torch.nn's).

Symbols: B batch, T steps, E embedding size, H units, C classes, F filters.

Example:
    >>> import torch
    >>> net = build_classifier(ClassifierConfig(name="bilstm", embed_dim=8, units=4), TextShape(50, 3))
    >>> x = {"ids": torch.tensor([[5, 6, 7], [8, 9, 0]]), "lengths": torch.tensor([3, 2])}
    >>> net.eval()(x).shape
    torch.Size([2, 3])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.errors import ShapeError
from seqlab.layers import GRU, LSTM, Conv1D, Dense, Dropout, Embedding, GlobalAveragePooling1D, GlobalMaxPooling1D, SimpleRNN
from seqlab.layers.attention import AttentionPooling
from seqlab.layers.core import TokenDropout
from seqlab.models.text.config import ClassifierConfig, TextShape

_CELLS = {"lstm": LSTM, "gru": GRU, "rnn": SimpleRNN}


def _pool(kind: str) -> nn.Module | None:
    return {"mean": GlobalAveragePooling1D, "max": GlobalMaxPooling1D, "attention": AttentionPooling}.get(kind, lambda: None)()


class KimCNN(nn.Module):
    """Kim 2014: parallel wide convolutions of ``kernel_sizes``, ReLU, max over time, concatenated.

    Each text is padded with k-1 zero vectors on both sides (a wide convolution, so texts shorter
    than k still give an output); outputs past a text's own n + k - 1 positions are masked out,
    so batch padding never changes a text's features. Output (B, F * len(kernel_sizes)).
    """

    def __init__(self, embed_dim: int, filters: int, kernel_sizes: list[int]) -> None:
        super().__init__()
        self.kernel_sizes = list(kernel_sizes)
        self.convs = nn.ModuleList(Conv1D(filters, k, activation="relu") for k in self.kernel_sizes)
        for conv in self.convs:
            conv.build_now((1, 1, embed_dim))  # eager, so the optimizer sees every weight
        self.pool = GlobalMaxPooling1D()

    def forward(self, e: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        features = []
        for k, conv in zip(self.kernel_sizes, self.convs):
            y = conv(F.pad(e, (0, 0, k - 1, k - 1)))  # (B, T + k - 1, F)
            steps = torch.arange(y.shape[1], device=e.device)
            mask = steps[None, :] < (lengths + k - 1)[:, None]  # (B, T + k - 1)
            features.append(self.pool(y, mask=mask))  # (B, F)
        return torch.cat(features, dim=-1)


class TextClassifier(nn.Module):
    """Embedding -> token dropout -> encoder (recurrent, Kim CNN, or conv + recurrent) -> pooling -> dropout -> Dense.

    Attributes:
        config: the resolved ClassifierConfig. shape: the TextShape it was built for.
    """

    def __init__(self, config: ClassifierConfig, shape: TextShape) -> None:
        super().__init__()
        self.config, self.shape = config, shape
        c = config
        self.embedding = Embedding(shape.vocab_size, c.embed_dim, padding_idx=0)
        self.token_dropout = TokenDropout(c.embed_dropout)
        width = c.embed_dim
        self.conv = self.cnn = self.rnn = None
        if c.name == "cnn":
            self.cnn = KimCNN(c.embed_dim, c.filters, c.kernel_sizes)
            width = c.filters * len(c.kernel_sizes)
        else:
            if c.name == "cnn-lstm":
                self.conv = Conv1D(c.filters, 5, padding="same", activation="relu")
                self.conv.build_now((1, 1, c.embed_dim))
                width = c.filters
            self.rnn = _CELLS[c.cell](c.units, num_layers=c.num_layers, bidirectional=c.bidirectional,
                                      return_sequences=c.pooling != "last")
            self.rnn.build_now((1, 1, width))
            width = c.units * (2 if c.bidirectional else 1)
        self.pool = _pool(c.pooling) if self.rnn is not None else None
        if isinstance(self.pool, AttentionPooling):
            self.pool.build_now((1, 1, width))
        self.dropout = Dropout(c.dropout)
        self.out = Dense(shape.num_classes)
        self.out.build_now((1, width))

    def forward(self, x: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits (B, C) for ``{"ids": (B, T), "lengths": (B,)}``."""
        ids, lengths = x["ids"], x["lengths"]
        if ids.ndim != 2 or lengths.shape != ids.shape[:1]:
            raise ShapeError(f"TextClassifier expects ids (B, T) and lengths (B,), got {tuple(ids.shape)} "
                             f"and {tuple(lengths.shape)}")
        e = self.token_dropout(self.embedding(ids))  # (B, T, E)
        if self.cnn is not None:
            h = self.cnn(e, lengths)  # (B, F * kernels)
        else:
            if self.conv is not None:
                e = self.conv(e)  # (B, T, F); 'same' padding with zeros = the padded steps' zero vectors
            mask = torch.arange(ids.shape[1], device=ids.device)[None, :] < lengths[:, None]  # (B, T)
            h = self.rnn(e, lengths=lengths)  # (B, dirs*H) or (B, T, dirs*H)
            if self.pool is not None:
                h = self.pool(h, mask=mask)  # (B, dirs*H)
        return self.out(self.dropout(h))  # (B, C)


def build_classifier(config: ClassifierConfig, shape: TextShape) -> TextClassifier:
    """The classifier ``config`` names, sized for ``shape``."""
    return TextClassifier(config.resolved(), shape)
