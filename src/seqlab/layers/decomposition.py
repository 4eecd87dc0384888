r"""Series decomposition: the moving-average trend of Autoformer and DLinear.

Symbols: B batch, T time steps, C channels, k kernel size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from seqlab.errors import ShapeError
from seqlab.layers.base import Layer, check_positive_int


class MovingAverage(Layer):
    r"""Centred moving average over time, the ends padded by repeating the first and last rows.

    .. math:: \mathrm{trend}_{t,c} = \frac{1}{k} \sum_{j=-\lfloor (k-1)/2 \rfloor}^{\lceil (k-1)/2 \rceil} x_{\mathrm{clip}(t+j),\,c}

    The seasonal (remainder) part of DLinear's decomposition is ``x - trend``. For odd k this
    is exactly Autoformer's and DLinear's ``moving_avg``; for even k their code pads (k-1)//2
    rows on each side and returns T-1 steps, so here the extra row goes on the right and the
    output always keeps all T steps.

    Args:
        kernel_size: k, the window length (1 is the identity).
        name: optional layer name.

    Call arguments:
        x: (B, T, C).

    Returns:
        (B, T, C), the trend.

    Example:
        >>> import torch
        >>> x = torch.tensor([1., 2., 3., 4., 10.]).reshape(1, 5, 1)
        >>> MovingAverage(3)(x).flatten().tolist()
        [1.3333333730697632, 2.0, 3.0, 5.666666507720947, 8.0]
    """

    def __init__(self, kernel_size: int = 25, name: str | None = None) -> None:
        super().__init__(name=name)
        check_positive_int(kernel_size, "kernel_size", self.label)
        self.kernel_size = kernel_size

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) != 3:
            raise ShapeError(f"{self.label} expects input of shape (B, T, C), got {tuple(input_shape)}")

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None, None, None)

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        k = self.kernel_size
        left, right = (k - 1) // 2, k - 1 - (k - 1) // 2
        x = x.movedim(-1, 1)  # (B, C, T)
        x = F.pad(x, (left, right), mode="replicate")  # (B, C, T + k - 1)
        trend = F.avg_pool1d(x, k, stride=1)  # (B, C, T)
        return trend.movedim(1, -1)  # (B, T, C)
