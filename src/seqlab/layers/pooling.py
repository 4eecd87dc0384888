r"""Pooling layers on channels-last inputs (Keras' layout): windows, and the whole time axis.

Inputs are (B, T, C) for the 1-D layers and (B, H, W, C) for the 2-D ones, as in Keras; window
pooling moves the channels to torch's place (B, C, T) for the kernel and back. Padding follows
Keras (``valid`` or ``same``, see ``padding.py``), and padded cells never count: max never picks
them, average divides by the number of real cells in the window.

Symbols: B batch, T time steps, H height, W width, C channels, k pool size, s strides.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from seqlab.errors import ShapeError
from seqlab.layers.base import Layer
from seqlab.layers.padding import as_tuple, check_choice, check_rank, pad

_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d}


class Pooling(Layer):
    """Window pooling shared by the 1-D and 2-D layers: max, average or sum of each window.

    Args:
        pool_size: k, an int or one int per spatial axis.
        strides: s, an int or one per axis; None means ``pool_size`` (non-overlapping windows).
        padding: ``valid`` or ``same``; padded cells never count (see the module docstring).
        name: optional layer name.

    Call arguments:
        x: (B, T, C) or (B, H, W, C). A mask is dropped, as in Keras.

    Returns:
        (B, T', C) or (B, H', W', C).
    """

    rank = 1
    op = "max"  # max | average | sum

    def __init__(self, pool_size, strides, padding, name) -> None:
        super().__init__(name=name)
        self._pool = as_tuple(pool_size, self.rank, "pool_size", self.label)
        self._strides = self._pool if strides is None else as_tuple(strides, self.rank, "strides", self.label)
        check_choice(padding, ("valid", "same"), "padding", self.label)
        self.pool_size, self.strides, self.padding = pool_size, strides, padding

    def window(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(pool size, strides, dilation 1), one int per spatial axis (the receptive field's walk reads them)."""
        return self._pool, self._strides, (1,) * self.rank

    def build(self, input_shape: tuple[int, ...]) -> None:
        check_rank(self, input_shape, self.rank)

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None,) * len(shape)  # no weights: only the rank is fixed

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x.movedim(-1, 1)  # (B, C, T) or (B, C, H, W): torch's layout
        if self.op == "max":
            # -inf padding: a padded cell never wins
            xp = pad(self, x, self._pool, self._strides, (1,) * self.rank, self.padding, -math.inf)
            y = _MAX_POOL[self.rank](xp, self._pool, self._strides)  # (B, C, T')
        else:
            y = self._window_sum(x)  # (B, C, T')
            if self.op == "average" and self.padding == "same":
                y = y / self._window_sum(x.new_ones((1, 1, *x.shape[2:])))  # real cells per window
            elif self.op == "average":
                y = y / math.prod(self._pool)
        return y.movedim(1, -1)  # (B, T', C) or (B, H', W', C)

    def _window_sum(self, x: torch.Tensor) -> torch.Tensor:
        # zero padding: a padded cell adds nothing to the sum
        xp = pad(self, x, self._pool, self._strides, (1,) * self.rank, self.padding)
        return _AVG_POOL[self.rank](xp, self._pool, self._strides) * math.prod(self._pool)


class MaxPooling1D(Pooling):
    """The largest value of each window of each channel (Keras' ``MaxPooling1D``).

    Args: see ``Pooling``.

    Example:
        >>> import torch
        >>> x = torch.tensor([1., 2., 3., 4., 5.]).reshape(1, 5, 1)
        >>> MaxPooling1D(2, strides=1, padding="same")(x).flatten().tolist()
        [2.0, 3.0, 4.0, 5.0, 5.0]
    """

    rank, op = 1, "max"

    def __init__(self, pool_size: int | tuple[int] = 2, strides: int | tuple[int] | None = None,
                 padding: str = "valid", name: str | None = None) -> None:
        super().__init__(pool_size, strides, padding, name)


class AveragePooling1D(Pooling):
    """The mean of each window of each channel (Keras' ``AveragePooling1D``).

    Args: see ``Pooling``.

    Example:
        >>> import torch
        >>> AveragePooling1D(2)(torch.randn(4, 10, 3)).shape
        torch.Size([4, 5, 3])
    """

    rank, op = 1, "average"

    def __init__(self, pool_size: int | tuple[int] = 2, strides: int | tuple[int] | None = None,
                 padding: str = "valid", name: str | None = None) -> None:
        super().__init__(pool_size, strides, padding, name)


class SumPooling1D(Pooling):
    r"""The sum of each window of each channel (seed document 003's sum pooling).

    .. math:: y_{t,c} = \sum_{j=0}^{k-1} x_{ts+j,\,c}

    Args: see ``Pooling``.

    Example:
        >>> import torch
        >>> x = torch.arange(6.).reshape(1, 6, 1)
        >>> SumPooling1D(3)(x).flatten().tolist()
        [3.0, 12.0]
    """

    rank, op = 1, "sum"

    def __init__(self, pool_size: int | tuple[int] = 2, strides: int | tuple[int] | None = None,
                 padding: str = "valid", name: str | None = None) -> None:
        super().__init__(pool_size, strides, padding, name)


class MaxPooling2D(Pooling):
    """The largest value of each (rows, columns) window of each channel (Keras' ``MaxPooling2D``).

    Args: see ``Pooling``.

    Example:
        >>> import torch
        >>> MaxPooling2D((2, 2))(torch.randn(2, 26, 26, 32)).shape
        torch.Size([2, 13, 13, 32])
    """

    rank, op = 2, "max"

    def __init__(self, pool_size: int | tuple[int, int] = 2, strides: int | tuple[int, int] | None = None,
                 padding: str = "valid", name: str | None = None) -> None:
        super().__init__(pool_size, strides, padding, name)


class AveragePooling2D(Pooling):
    """The mean of each (rows, columns) window of each channel (Keras' ``AveragePooling2D``).

    Args: see ``Pooling``.

    Example:
        >>> import torch
        >>> AveragePooling2D(3, strides=1, padding="same")(torch.randn(2, 8, 8, 4)).shape
        torch.Size([2, 8, 8, 4])
    """

    rank, op = 2, "average"

    def __init__(self, pool_size: int | tuple[int, int] = 2, strides: int | tuple[int, int] | None = None,
                 padding: str = "valid", name: str | None = None) -> None:
        super().__init__(pool_size, strides, padding, name)


class GlobalPooling1D(Layer):
    """Pooling over the whole time axis, skipping masked steps: (B, T, C) -> (B, C).

    Args:
        name: optional layer name.

    Call arguments:
        x: (B, T, C).
        mask: (B, T) bool, True at real steps; masked steps are ignored. A row with no real
            step gives zeros. No mask is passed on.

    Returns:
        (B, C).
    """

    supports_masking = True

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name=name)

    def build(self, input_shape: tuple[int, ...]) -> None:
        check_rank(self, input_shape, 1)

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None, None, None)

    def compute_mask(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor | None:
        return None  # the time axis is gone

    def _mask(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if tuple(mask.shape) != tuple(x.shape[:2]):
            raise ShapeError(f"{self.label}: mask must have shape {tuple(x.shape[:2])} (B, T) "
                             f"to match the input {tuple(x.shape)}, got {tuple(mask.shape)}")
        return mask.to(torch.bool)[..., None]  # (B, T, 1)


class GlobalMaxPooling1D(GlobalPooling1D):
    """The largest value of each channel over the real steps (Keras' ``GlobalMaxPooling1D``).

    Args, call arguments, returns: see ``GlobalPooling1D``.

    Example:
        >>> import torch
        >>> x = torch.tensor([[[1.], [5.], [9.]]])
        >>> GlobalMaxPooling1D()(x, mask=torch.tensor([[True, True, False]])).tolist()
        [[5.0]]
    """

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            return x.amax(dim=1)  # (B, C)
        m = self._mask(x, mask)  # (B, T, 1)
        y = x.masked_fill(~m, -math.inf).amax(dim=1)  # (B, C)
        return torch.where(m.any(dim=1), y, torch.zeros_like(y))  # no real step: 0, not -inf


class GlobalAveragePooling1D(GlobalPooling1D):
    """The mean of each channel over the real steps (Keras' ``GlobalAveragePooling1D``).

    Args, call arguments, returns: see ``GlobalPooling1D``.

    Example:
        >>> import torch
        >>> x = torch.tensor([[[1.], [5.], [9.]]])
        >>> GlobalAveragePooling1D()(x, mask=torch.tensor([[True, True, False]])).tolist()
        [[3.0]]
    """

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            return x.mean(dim=1)  # (B, C)
        m = self._mask(x, mask)  # (B, T, 1)
        total = x.masked_fill(~m, 0.0).sum(dim=1)  # (B, C); masked cells may hold anything
        return total / m.sum(dim=1).clamp_min(1).to(x.dtype)  # (B, C)
