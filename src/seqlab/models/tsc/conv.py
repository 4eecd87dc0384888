r"""Convolutional time-series classifiers: FCN and ResNet (Wang, Yan & Oates 2017; Fawaz et al. 2019).

Both read ``{"x": (B, T, D), "lengths": (B,)}`` and return logits (B, K); padded steps are
masked throughout (see :mod:`seqlab.models.tsc.blocks`). The last layer gives one logit per class
(the papers' softmax is in the loss).

Symbols: B batch, T steps, D input channels, F filters, K classes.
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.layers import Dense, GlobalAveragePooling1D
from seqlab.models.tsc.blocks import ConvBN, MaskedBatchNorm, unpack, zero_padded
from seqlab.models.tsc.config import TSCConfig, TSCShape


class FCNEncoder(nn.Module):
    r"""The FCN's feature extractor: conv blocks, then global average pooling over real steps.

    .. math::
        h^{(0)} = x \\
        h^{(i)} = \mathrm{ReLU}(\mathrm{BN}(W^{(i)} * h^{(i-1)} + b^{(i)})), \quad i = 1..3 \\
        z = \frac{1}{T}\sum_t h^{(3)}_t

    Output (B, F_last).
    """

    def __init__(self, channels: int, filters: list[int], kernel_sizes: list[int]) -> None:
        super().__init__()
        widths = [channels, *filters]
        self.blocks = nn.ModuleList(ConvBN(widths[i], f, k) for i, (f, k) in enumerate(zip(filters, kernel_sizes)))
        self.pool = GlobalAveragePooling1D()
        self.width = filters[-1]

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        h = zero_padded(x, mask)  # (B, T, D) whatever the padding held
        for block in self.blocks:
            h = block(h, mask)  # (B, T, F_i)
        return self.pool(h, mask=mask)  # (B, F_last)


class FCN(nn.Module):
    r"""Fully convolutional network (Wang et al. 2017): three conv blocks (128/256/128 filters,
    kernels 8/5/3, batch norm, ReLU), global average pooling, Dense.

    .. math::
        z = \mathrm{GAP}(\mathrm{Block}_3(\mathrm{Block}_2(\mathrm{Block}_1(x)))) \\
        \hat{y} = W z + b

    Example:
        >>> net = FCN(TSCConfig(name="fcn", filters=[8, 8, 8]).resolved(), TSCShape(2, 3))
        >>> net.eval()({"x": torch.randn(4, 30, 2), "lengths": torch.tensor([30, 30, 20, 9])}).shape
        torch.Size([4, 3])
    """

    def __init__(self, config: TSCConfig, shape: TSCShape) -> None:
        super().__init__()
        self.config, self.shape = config, shape
        self.encoder = FCNEncoder(shape.channels, config.filters, config.kernel_sizes)
        self.out = Dense(shape.num_classes)
        self.out.build_now((1, self.encoder.width))

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        x, _, mask = unpack(inputs, self.shape.channels, "FCN")  # (B, T, D), (B,), (B, T)
        return self.out(self.encoder(x, mask))  # (B, K)


class ResidualBlock(nn.Module):
    r"""Three conv blocks and a shortcut (Wang et al. 2017; Fawaz et al.'s dl-4-tsc ResNet).

    .. math::
        h_1 = \mathrm{ReLU}(\mathrm{BN}(W_1 * x)) \\
        h_2 = \mathrm{ReLU}(\mathrm{BN}(W_2 * h_1)) \\
        h_3 = \mathrm{BN}(W_3 * h_2) \\
        s = \mathrm{BN}(W_s * x) \text{ (1x1 conv when the width changes, else } \mathrm{BN}(x)) \\
        y = \mathrm{ReLU}(h_3 + s)
    """

    def __init__(self, in_channels: int, filters: int, kernel_sizes: list[int]) -> None:
        super().__init__()
        widths = [in_channels] + [filters] * len(kernel_sizes)
        last = len(kernel_sizes) - 1
        self.convs = nn.ModuleList(ConvBN(widths[i], filters, k, relu=i < last) for i, k in enumerate(kernel_sizes))
        if in_channels != filters:
            self.shortcut = ConvBN(in_channels, filters, 1, relu=False)
        else:
            self.shortcut = MaskedBatchNorm(filters)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        h = x
        for conv in self.convs:
            h = conv(h, mask)  # (B, T, F)
        s = self.shortcut(x, mask)  # (B, T, F)
        return zero_padded(torch.relu(h + s), mask)


class ResNet(nn.Module):
    r"""Residual network for time series (Wang et al. 2017): three residual blocks of 64/128/128
    filters (kernels 8/5/3 inside each), global average pooling, Dense.

    .. math::
        z = \mathrm{GAP}(\mathrm{Res}_3(\mathrm{Res}_2(\mathrm{Res}_1(x)))) \\
        \hat{y} = W z + b

    Example:
        >>> net = ResNet(TSCConfig(name="resnet", filters=[4, 8, 8]).resolved(), TSCShape(1, 2))
        >>> net.eval()({"x": torch.randn(3, 16, 1), "lengths": torch.tensor([16, 10, 5])}).shape
        torch.Size([3, 2])
    """

    def __init__(self, config: TSCConfig, shape: TSCShape) -> None:
        super().__init__()
        self.config, self.shape = config, shape
        widths = [shape.channels, *config.filters]
        self.blocks = nn.ModuleList(ResidualBlock(widths[i], f, config.kernel_sizes)
                                    for i, f in enumerate(config.filters))
        self.pool = GlobalAveragePooling1D()
        self.out = Dense(shape.num_classes)
        self.out.build_now((1, config.filters[-1]))

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        x, _, mask = unpack(inputs, self.shape.channels, "ResNet")  # (B, T, D), (B,), (B, T)
        h = zero_padded(x, mask)
        for block in self.blocks:
            h = block(h, mask)  # (B, T, F_i)
        return self.out(self.pool(h, mask=mask))  # (B, K)
