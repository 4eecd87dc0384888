r"""Pieces shared by the time-series classifiers: inputs with lengths, masked batch norm, conv blocks.

Every classifier takes ``{"x": (B, T, D) float, "lengths": (B,) int64}``, series padded with
zeros at their end to the batch's longest. Padded steps never reach a real step's output: each
conv block zeroes them after its activation (so the next 'same' convolution sees zeros past a
series' end, exactly as it sees them past T for an unpadded series), batch norm takes its
statistics over real steps only, and pooling skips them. A series' prediction is therefore the
same alone or in a padded batch.

Symbols: B batch, T steps, D input channels, C channels, F filters, k kernel size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.errors import ShapeError
from seqlab.layers import Conv1D


def unpack(inputs: dict[str, torch.Tensor], channels: int,
           where: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """``(x, lengths, mask)`` of a batch, checked: x (B, T, D), lengths (B,), mask (B, T) True at real
    steps, or None when no series of the batch is padded (the fast path: nothing to mask)."""
    x, lengths = inputs["x"], inputs["lengths"]
    if x.ndim != 3 or x.shape[-1] != channels or lengths.shape != x.shape[:1]:
        raise ShapeError(f"{where} expects x (B, T, {channels}) and lengths (B,), got {tuple(x.shape)} "
                         f"and {tuple(lengths.shape)}")
    if bool((lengths == x.shape[1]).all()):
        return x, lengths, None
    mask = torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]  # (B, T)
    return x, lengths, mask


def zero_padded(h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``h`` (B, T, C) with the padded steps set to 0."""
    return h if mask is None else h * mask[..., None].to(h.dtype)


class MaskedBatchNorm(nn.Module):
    r"""Batch normalisation over the channels of (B, T, C), with statistics over real steps only (Ioffe & Szegedy 2015).

    .. math::
        \mu = \frac{1}{N}\sum_{(b,t) \in real} x_{b,t} \\
        \sigma^2 = \frac{1}{N}\sum_{(b,t) \in real} (x_{b,t} - \mu)^2 \\
        y_{b,t} = \gamma \frac{x_{b,t} - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    In training, ``running_mean``/``running_var`` follow ``momentum`` (torch's convention, with the
    unbiased variance); in eval they replace the batch statistics. Parameter and buffer names are
    ``nn.BatchNorm1d``'s (without ``num_batches_tracked``). Without a mask it is ``F.batch_norm`` on
    ``x.transpose(1, 2)``, torch's fused kernel.
    """

    def __init__(self, channels: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None and x.shape[0] * x.shape[1] > 1:  # fast path: torch's fused kernel, channels first
            return F.batch_norm(x.transpose(1, 2), self.running_mean, self.running_var, self.weight, self.bias,
                                self.training, self.momentum, self.eps).transpose(1, 2)  # (B, T, C)
        if self.training:
            flat = x.reshape(-1, x.shape[-1]) if mask is None else x[mask]  # (N, C)
            mean = flat.mean(dim=0)  # (C,)
            var = flat.var(dim=0, unbiased=False)  # (C,)
            with torch.no_grad():
                n = flat.shape[0]
                unbiased = var * n / max(n - 1, 1)
                self.running_mean.lerp_(mean.detach(), self.momentum)
                self.running_var.lerp_(unbiased.detach(), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias  # (B, T, C)


class ConvBN(nn.Module):
    r"""Conv1D ('same' padding) -> masked batch norm -> ReLU (optional), padded steps zeroed.

    .. math::
        y = W * x + b \\
        s = \mathrm{BN}(y) \\
        h = \mathrm{ReLU}(s)
    """

    def __init__(self, in_channels: int, filters: int, kernel_size: int, relu: bool = True) -> None:
        super().__init__()
        self.conv = Conv1D(filters, kernel_size, padding="same")
        self.conv.build_now((1, 1, in_channels))  # eager, so the optimizer sees every weight
        self.bn = MaskedBatchNorm(filters)
        self.relu = relu

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        s = self.bn(self.conv(x), mask)  # (B, T, F)
        h = torch.relu(s) if self.relu else s
        return zero_padded(h, mask)  # padded steps back to zero
