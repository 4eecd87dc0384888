r"""Reversible instance normalisation (RevIN, Kim et al. 2022, ICLR).

Each series of each instance is standardised by the statistics of its own input window, the
network forecasts in that normalised space, and the forecast is mapped back with the same
statistics. Distribution shift between windows (a level or scale that drifts over time) is thus
removed before the network and restored after it.

Symbols: B batch, L lookback (time steps of the input window), H horizon, C channels.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from seqlab.errors import ConfigError, ShapeError
from seqlab.layers.base import Layer, check_positive_int

Stats = tuple[torch.Tensor, torch.Tensor]  # (mean, std), each (B, 1, C)


class RevIN(Layer):
    r"""Reversible instance normalisation with an optional learnable affine map per channel.

    .. math::
        \mu_{b,c} = \frac{1}{L} \sum_{t=1}^{L} x_{b,t,c} \\
        \sigma_{b,c} = \sqrt{\frac{1}{L} \sum_{t=1}^{L} (x_{b,t,c} - \mu_{b,c})^2 + \epsilon} \\
        \hat{x}_{b,t,c} = \gamma_c \, (x_{b,t,c} - \mu_{b,c}) / \sigma_{b,c} + \beta_c \\
        y_{b,t,c} = (\hat{y}_{b,t,c} - \beta_c) / (\gamma_c + \epsilon^2) \cdot \sigma_{b,c} + \mu_{b,c}

    The last line (``denormalize``) inverts the first three with the statistics of the input
    window, channel by channel. As in the authors' code, the statistics are detached (no gradient
    flows through μ and σ), σ is the population standard deviation, and the inverse divides by
    γ + ε² so that a γ driven to 0 cannot divide by zero; with ``affine=False`` the round trip
    is exact up to float error.

    Args:
        num_features: C, the number of channels; inferred at the first call when None.
        eps: ε, added to the variance (and, squared, to γ in the inverse).
        affine: learn γ (``affine_weight``, ones at start) and β (``affine_bias``, zeros), one
            per channel; the names are those of the authors' code.
        name: optional layer name.

    Call arguments:
        x: (B, L, C). Calling the layer normalises x by its own statistics; to map forecasts
            back, use ``stats = statistics(x)``, ``normalize(x, stats)`` and
            ``denormalize(y, stats)``.

    Returns:
        (B, L, C), each channel of each instance with mean β and standard deviation ≈ γ.

    Example:
        >>> import torch
        >>> revin = RevIN(3)
        >>> x = 5 + 2 * torch.randn(4, 48, 3)
        >>> stats = revin.statistics(x)
        >>> z = revin.normalize(x, stats)  # (B, L, C) with zero mean, unit std per channel
        >>> y = revin.denormalize(z[:, -12:, [2]], stats, channels=[2])  # back to x's scale
        >>> z.shape, y.shape, torch.allclose(y, x[:, -12:, [2]], atol=1e-4)
        (torch.Size([4, 48, 3]), torch.Size([4, 12, 1]), True)
    """

    def __init__(self, num_features: int | None = None, eps: float = 1e-5, affine: bool = True,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        if num_features is not None:
            check_positive_int(num_features, "num_features", self.label)
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or eps <= 0:
            raise ConfigError(f"{self.label}: `eps` must be a positive number, got {eps!r}")
        self.num_features, self.eps, self.affine = num_features, eps, affine
        if num_features is not None:
            self.build_now((1, 1, num_features))

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) != 3:
            raise ShapeError(f"{self.label} expects input of shape (B, L, C), got {tuple(input_shape)}")
        self.num_features = int(input_shape[-1])
        if self.affine:
            self.affine_weight = nn.Parameter(torch.ones(self.num_features))  # γ, (C,)
            self.affine_bias = nn.Parameter(torch.zeros(self.num_features))  # β, (C,)

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None, None, shape[-1])

    def input_shape_from_state(self, state_dict: dict, prefix: str) -> tuple[int, ...] | None:
        w = state_dict.get(prefix + "affine_weight")
        return None if w is None else (1, 1, int(w.shape[0]))

    # -- the three steps ------------------------------------------------------------------
    def statistics(self, x: torch.Tensor) -> Stats:
        """μ and σ of each channel of each instance over time: two (B, 1, C) tensors, detached."""
        self._ensure_built(x)
        mean = x.mean(dim=1, keepdim=True).detach()  # μ, (B, 1, C)
        std = torch.sqrt(x.var(dim=1, keepdim=True, unbiased=False) + self.eps).detach()  # σ, (B, 1, C)
        return mean, std

    def normalize(self, x: torch.Tensor, stats: Stats, channels: Sequence[int] | None = None) -> torch.Tensor:
        """x̂ = γ (x − μ) / σ + β for x (B, T, K); ``channels`` are the K positions among the C
        channels the statistics were taken of (all C when None), e.g. future targets."""
        mean, std, gamma, beta = self._select(stats, channels, x)
        x = (x - mean) / std  # (B, T, K)
        return x * gamma + beta if self.affine else x

    def denormalize(self, y: torch.Tensor, stats: Stats, channels: Sequence[int] | None = None) -> torch.Tensor:
        """y = (ŷ − β) / (γ + ε²) · σ + μ for ŷ (B, T, K), with ``channels`` as in ``normalize``."""
        mean, std, gamma, beta = self._select(stats, channels, y)
        if self.affine:
            y = (y - beta) / (gamma + self.eps ** 2)  # (B, T, K)
        return y * std + mean

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.normalize(x, self.statistics(x))

    def _select(self, stats: Stats, channels: Sequence[int] | None, like: torch.Tensor):
        mean, std = stats  # (B, 1, C)
        gamma = self.affine_weight if self.affine else None  # (C,)
        beta = self.affine_bias if self.affine else None  # (C,)
        if channels is not None:
            idx = list(channels)
            mean, std = mean[..., idx], std[..., idx]  # (B, 1, K)
            gamma, beta = (gamma[idx], beta[idx]) if self.affine else (None, None)
        if like.dim() != 3 or like.shape[-1] != mean.shape[-1] or like.shape[0] != mean.shape[0]:
            raise ShapeError(f"{self.label}: expected a tensor of shape ({mean.shape[0]}, T, {mean.shape[-1]}) "
                             f"to match the statistics, got {tuple(like.shape)}")
        return mean, std, gamma, beta
