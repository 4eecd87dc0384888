r"""``SpeechClassifier``: feature frames of variable length -> one logit per class.

The input is a dict ``{"features": (B, T, D) float, "lengths": (B,) int64}`` with every utterance
padded (zeros) to the batch's longest. Lengths reach the recurrent layers and every pooling, and
the convolutional blocks zero the padded steps after each block, so an utterance's prediction is
the same alone or in a padded batch. Every part is a seqlab layer, except ``nn.LayerNorm``
(seqlab has none), which normalises each frame on its own and so never mixes utterances.

A convolutional block (Abdel-Hamid et al. 2014 in spirit: convolution over time, pooling):

    u_t = LayerNorm(\sum_{j<k} W_j x_{t+j-\lfloor k/2 \rfloor} + b)
    y_t = max(ReLU(u_{2t}), ReLU(u_{2t+1}))     (max pooling by 2; lengths become ceil(L / 2))

SpecAugment (Park et al. 2019), training only, per utterance of length L:

    f ~ U{0..F},  f_0 ~ U{0..D-f}:  x[:, f_0:f_0+f] = 0        (frequency mask)
    t ~ U{0..min(T_max, L/5)},  t_0 ~ U{0..L-t}:  x[t_0:t_0+t, :] = 0   (time mask)

(zero is the mean of normalised features, so a masked cell carries no information).

Symbols: B batch, T frames, D features, H units, F filters, C classes.

Example:
    >>> import torch
    >>> net = build_speech_model(SpeechModelConfig(name="cnn-rnn", units=8, filters=8), SpeechShape(20, 10))
    >>> x = {"features": torch.randn(2, 30, 20), "lengths": torch.tensor([30, 17])}
    >>> net.eval()(x).shape
    torch.Size([2, 10])
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.errors import ShapeError
from seqlab.layers import GRU, LSTM, Conv1D, Dense, Dropout, GlobalAveragePooling1D, GlobalMaxPooling1D, MaxPooling1D
from seqlab.models.ensemble import ProbabilityEnsemble
from seqlab.models.speech.config import SpeechModelConfig, SpeechShape

_CELLS = {"lstm": LSTM, "gru": GRU}


def step_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """(B, T) bool, True at the real steps of each row."""
    return torch.arange(T, device=lengths.device)[None, :] < lengths[:, None]


class SpecAugment(nn.Module):
    """Frequency and time masking of each utterance while training (equations in the module docstring).

    Args:
        freq_mask, time_mask: F and T_max, the widest band and span. freq_masks, time_masks: how many.

    Inputs: x (B, T, D), lengths (B,). Returns x with the masked cells zeroed (x itself in eval mode).
    """

    def __init__(self, freq_mask: int, time_mask: int, freq_masks: int = 1, time_masks: int = 1) -> None:
        super().__init__()
        self.freq_mask, self.time_mask = freq_mask, time_mask
        self.freq_masks, self.time_masks = freq_masks, time_masks

    @staticmethod
    def _spans(width_max: torch.Tensor, size: torch.Tensor, positions: int) -> torch.Tensor:
        """(B, positions) bool: one random span per row of width U{0..width_max} inside [0, size)."""
        width = (torch.rand(size.shape) * (width_max + 1).float()).floor().long()  # (B,)
        start = (torch.rand(size.shape) * (size - width + 1).clamp(min=1).float()).floor().long()  # (B,)
        idx = torch.arange(positions)[None, :]  # (1, P)
        return (idx >= start[:, None]) & (idx < (start + width)[:, None])  # (B, P)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        B, T, D = x.shape
        lengths = lengths.cpu()
        keep = torch.ones(B, T, D, dtype=torch.bool)
        for _ in range(self.freq_masks):
            band = self._spans(torch.full((B,), min(self.freq_mask, D)), torch.full((B,), D), D)  # (B, D)
            keep &= ~band[:, None, :]
        for _ in range(self.time_masks):
            span = self._spans(torch.minimum(torch.full((B,), self.time_mask), lengths // 5), lengths, T)  # (B, T)
            keep &= ~span[:, :, None]
        return x * keep.to(device=x.device, dtype=x.dtype)


class ConvBlock(nn.Module):
    """Conv1D('same') -> LayerNorm -> ReLU -> padded steps zeroed -> MaxPooling1D(2, 'same'); lengths halve (ceil)."""

    def __init__(self, in_dim: int, filters: int, kernel_size: int) -> None:
        super().__init__()
        self.conv = Conv1D(filters, kernel_size, padding="same")
        self.conv.build_now((1, 1, in_dim))
        self.norm = nn.LayerNorm(filters)
        self.pool = MaxPooling1D(2, padding="same")

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.relu(self.norm(self.conv(x)))  # (B, T, F)
        y = y * step_mask(lengths, y.shape[1])[..., None]  # padded steps back to 0, as 'same' padding alone
        return self.pool(y), (lengths + 1) // 2  # (B, ceil(T/2), F), (B,)


class SpeechClassifier(nn.Module):
    """SpecAugment -> conv blocks (conv1d, cnn-rnn) -> recurrent layer (not conv1d) -> pooling -> dropout -> Dense.

    Attributes:
        config: the SpeechModelConfig. shape: the SpeechShape it was built for.
    """

    def __init__(self, config: SpeechModelConfig, shape: SpeechShape) -> None:
        super().__init__()
        self.config, self.shape = config, shape
        c = config
        self.augment = SpecAugment(c.freq_mask, c.time_mask, c.freq_masks, c.time_masks) if c.spec_augment else None
        width = shape.feature_dim
        self.blocks = nn.ModuleList()
        for _ in range(c.blocks):
            self.blocks.append(ConvBlock(width, c.filters, c.kernel_size))
            width = c.filters
        self.rnn = None
        if c.cell is not None:
            self.rnn = _CELLS[c.cell](c.units, num_layers=c.num_layers, bidirectional=c.bidirectional,
                                      return_sequences=True)
            self.rnn.build_now((1, 1, width))
            width = c.units * (2 if c.bidirectional else 1)
        self.mean_pool = GlobalAveragePooling1D()
        self.max_pool = GlobalMaxPooling1D() if self.rnn is None else None
        width *= 2 if self.max_pool is not None else 1
        self.dropout = Dropout(c.dropout)
        self.out = Dense(shape.num_classes)
        self.out.build_now((1, width))

    def forward(self, x: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits (B, C) for ``{"features": (B, T, D), "lengths": (B,)}``."""
        # B: batch, T: frames, D: features
        feats, lengths = x["features"], x["lengths"]
        if feats.ndim != 3 or feats.shape[-1] != self.shape.feature_dim or lengths.shape != feats.shape[:1]:
            raise ShapeError(f"SpeechClassifier expects features (B, T, {self.shape.feature_dim}) and lengths (B,), "
                             f"got {tuple(feats.shape)} and {tuple(lengths.shape)}")
        if self.augment is not None:
            feats = self.augment(feats, lengths)  # (B, T, D)
        h = feats
        for block in self.blocks:
            h, lengths = block(h, lengths)  # -> (B, ceil(T/2), F)
        mask = step_mask(lengths, h.shape[1])  # (B, T')
        if self.rnn is not None:
            h = self.rnn(h, lengths=lengths)  # (B, T', dirs*H)
        pooled = self.mean_pool(h, mask=mask)  # (B, W)
        if self.max_pool is not None:
            pooled = torch.cat([pooled, self.max_pool(h, mask=mask)], dim=-1)  # (B, 2F)
        return self.out(self.dropout(pooled))  # (B, C)


class SpeechEnsemble(ProbabilityEnsemble):
    """Several speech classifiers over the same features, averaged in probability space:
    ``log(mean_k softmax(z_k))``, so it drops in wherever a classifier's logits go."""

    def __init__(self, configs: list[SpeechModelConfig], shape: SpeechShape) -> None:
        super().__init__((SpeechClassifier(c, shape) for c in configs), shape)


def build_speech_model(config: SpeechModelConfig, shape: SpeechShape) -> SpeechClassifier:
    """The classifier ``config`` names, sized for ``shape``."""
    return SpeechClassifier(config, shape)
