r"""``Forecaster``: what every forecasting model shares, in one place; ``build_forecaster`` makes one.

A Forecaster wraps a core network (``recurrent``, ``conv``, ``segrnn``, ``linear``,
``baselines``) and does, for every model alike:

1. input unpacking: a tensor x, or a dict with ``x``, optional ``marks``, ``y`` and ``tau``;
2. cycle (optional): subtract a learned recurring pattern, add it back to the forecast;
   RevIN: normalise each channel of each window by its own statistics, denormalise the forecast;
   highway (optional): add a linear map of the (normalised) lookback to the forecast;
3. channel independence: each target channel becomes its own row, (B, L, C) → (B·K, L, 1),
   with shared weights; other input channels would not affect it anyway, so only targets run;
4. target selection: the output holds the K = len(target_idx) target channels, in that order.

Symbols: B batch, L lookback, H horizon, C input channels (C_in), K target channels (C_out),
F marks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import torch
from torch import nn

from seqlab.errors import ConfigError, ShapeError
from seqlab.layers import RevIN
from seqlab.models.forecast.baselines import Mean, Naive, SeasonalNaive
from seqlab.models.forecast.components import Cycle, Highway
from seqlab.models.forecast.config import ForecasterConfig, ForecastShape
from seqlab.models.forecast.conv import CNNForecaster, TCNForecaster
from seqlab.models.forecast.linear import DLinear, NLinear
from seqlab.models.forecast.recurrent import RecurrentForecaster, Seq2Seq
from seqlab.models.forecast.segrnn import SegRNN

INPUT_KEYS = ("x", "marks", "y", "tau")


class Forecaster(nn.Module):
    r"""A forecasting model: RevIN, channel independence and target selection around a core.

    .. math::
        \tilde{x} = \mathrm{RevIN}(x) \text{ (if revin) else } x \\
        \tilde{y} = \mathrm{core}(\tilde{x}_{\mathrm{targets}} \text{ per channel, if channel-independent, else } \tilde{x}) \\
        \hat{y} = \mathrm{RevIN}^{-1}_{\mathrm{targets}}(\tilde{y}) \text{ (if revin) else } \tilde{y}

    Args:
        core: the network; ``forward(x, marks, y, channel)`` maps (B', L, C') to (B', H, K').
        shape: the data's sizes.
        config: the resolved model config it was built from (kept for reference).
        revin: wrap the core in RevIN (affine, one γ and β per input channel).
        channel_independent: feed the core one target channel per row, (B·K, L, 1).

    Inputs:
        inputs: x (B, L, C), or a dict ``{"x": (B, L, C), "marks": (B, L + H, F), "y": (B, H, K)}``;
            ``marks`` are required when ``uses_marks``, ignored otherwise; ``y`` (teacher-forcing
            targets, on x's scale) is read only by seq2seq, and only in training mode; ``tau``
            (B,) the absolute step index of each window's first row, needed with a ``cycle``.

    Returns:
        (B, H, K), on the scale of x.

    Attributes:
        trainable: False for the parameter-free baselines (nothing to train).
        uses_marks: the model reads the calendar marks.
        needs_targets: the model reads ``y`` in training (seq2seq's teacher forcing).

    Example:
        >>> shape = ForecastShape(lookback=48, horizon=12, n_inputs=7, target_idx=(6,))
        >>> net = build_forecaster(ForecasterConfig(name="gru", hidden=16), shape)
        >>> net(torch.randn(4, 48, 7)).shape, net.trainable
        (torch.Size([4, 12, 1]), True)
    """

    def __init__(self, core: nn.Module, shape: ForecastShape, config: ForecasterConfig, *,
                 revin: bool, channel_independent: bool) -> None:
        super().__init__()
        self.core, self.shape, self.config = core, shape, config
        self.channel_independent = channel_independent
        self.revin = RevIN(shape.n_inputs) if revin else None
        self.cycle = Cycle(config.cycle, shape.n_inputs) if config.cycle else None
        self.highway = Highway(shape.lookback, shape.horizon, shape.target_idx) if config.highway else None
        self.uses_marks = bool(core.uses_marks and shape.n_marks > 0)
        self.needs_targets = bool(core.needs_targets)
        self.trainable = any(p.requires_grad for p in self.parameters())

    def forward(self, inputs: torch.Tensor | Mapping[str, torch.Tensor]) -> torch.Tensor:
        # B batch, L lookback, H horizon, C inputs, K targets, F marks
        x, marks, y, tau = self._unpack(inputs)  # (B, L, C), (B, L + H, F) | None, (B, H, K) | None, (B,) | None
        B, K, targets = x.shape[0], self.shape.n_targets, list(self.shape.target_idx)
        L, H = self.shape.lookback, self.shape.horizon
        if self.cycle is not None:
            x = x - self.cycle.at(tau, 0, L)  # x'_t = x_t − Q_{(τ+t) mod P}, (B, L, C)
            y = None if y is None else y - self.cycle.at(tau, L, H)[..., targets]  # (B, H, K)
        if self.revin is not None:
            stats = self.revin.statistics(x)  # μ, σ: (B, 1, C) each
            x = self.revin.normalize(x, stats)  # (B, L, C)
            y = None if y is None else self.revin.normalize(y, stats, channels=targets)  # (B, H, K)
        x_hw = x  # the highway reads every window as it is now: (B, L, C)
        if self.channel_independent:
            x = x[..., targets].transpose(1, 2).reshape(B * K, L, 1)  # one row per target: (B·K, L, 1)
            marks = None if marks is None else marks.repeat_interleave(K, dim=0)  # (B·K, L + H, F)
            y = None if y is None else y.transpose(1, 2).reshape(B * K, H, 1)  # (B·K, H, 1)
            channel = torch.tensor(targets, device=x.device).repeat(B)  # channel id of each row, (B·K,)
            out = self.core(x, marks, y, channel)  # (B·K, H, 1)
            out = out.reshape(B, K, H).transpose(1, 2)  # (B, H, K)
        else:
            out = self.core(x, marks, y, None)  # (B, H, K)
        if self.highway is not None:
            out = out + self.highway(x_hw)  # + W (x − x_L) + b, (B, H, K)
        if self.revin is not None:
            out = self.revin.denormalize(out, stats, channels=targets)  # (B, H, K) on x's scale
        if self.cycle is not None:
            out = out + self.cycle.at(tau, L, H)[..., targets]  # + Q_{(τ+L+j) mod P}, (B, H, K)
        return out

    def _unpack(self, inputs):
        if isinstance(inputs, Mapping):
            unknown = [k for k in inputs if k not in INPUT_KEYS]
            if unknown or "x" not in inputs:
                raise ShapeError(f"{self._name}: the input dict needs 'x' and may hold 'marks' and 'y'; "
                                 f"got keys {sorted(inputs)}")
            x, marks, y, tau = inputs["x"], inputs.get("marks"), inputs.get("y"), inputs.get("tau")
        elif torch.is_tensor(inputs):
            x, marks, y, tau = inputs, None, None, None
        else:
            raise ShapeError(f"{self._name}: expected a tensor x or a dict {{'x', 'marks', 'y'}}, "
                             f"got {type(inputs).__name__}")
        L, H, C, K, F = (self.shape.lookback, self.shape.horizon, self.shape.n_inputs,
                         self.shape.n_targets, self.shape.n_marks)
        self._check("x", x, (L, C), "(B, L, C)")
        if not self.uses_marks:
            marks = None
        elif marks is None:
            raise ShapeError(f"{self._name} was built with n_marks={F} and needs inputs['marks'] of shape "
                             f"(B, {L + H}, {F}): the marks of the L past and H future steps")
        else:
            self._check("marks", marks, (L + H, F), "(B, L + H, F)", batch=x.shape[0])
        if y is not None and self.needs_targets and self.training:
            self._check("y", y, (H, K), "(B, H, K)", batch=x.shape[0])
        else:
            y = None
        if self.cycle is None:
            tau = None
        elif not torch.is_tensor(tau) or tuple(tau.shape) != (x.shape[0],):
            raise ShapeError(f"{self._name} has a cycle of period {self.cycle.period} and needs inputs['tau'] of "
                             f"shape (B,) = ({x.shape[0]},): the step index of each window's first row, got "
                             f"{tuple(tau.shape) if torch.is_tensor(tau) else type(tau).__name__}")
        return x, marks, y, tau

    def _check(self, key: str, t, sizes: tuple[int, ...], legend: str, batch: int | None = None) -> None:
        if not torch.is_tensor(t) or t.dim() != 3 or tuple(t.shape[1:]) != sizes or (
                batch is not None and t.shape[0] != batch):
            given = tuple(t.shape) if torch.is_tensor(t) else type(t).__name__
            expected = ("B" if batch is None else str(batch),) + tuple(map(str, sizes))
            raise ShapeError(f"{self._name}: inputs['{key}'] must have shape {legend} = ({', '.join(expected)}), "
                             f"got {given}")

    @property
    def _name(self) -> str:
        return f"forecaster '{self.config.name}'"

    def extra_repr(self) -> str:
        return f"name={self.config.name!r}, channel_independent={self.channel_independent}"


def _core_shape(shape: ForecastShape, channel_independent: bool) -> ForecastShape:
    """The data as the core sees it: one channel, its own target, when channel-independent."""
    return replace(shape, n_inputs=1, target_idx=(0,)) if channel_independent else shape


Builder = Callable[[ForecasterConfig, ForecastShape, ForecastShape], nn.Module]

CORES: dict[str, Builder] = {
    "lstm": lambda cfg, s, full: RecurrentForecaster("lstm", s, cfg),
    "stacked-lstm": lambda cfg, s, full: RecurrentForecaster("lstm", s, cfg),
    "gru": lambda cfg, s, full: RecurrentForecaster("gru", s, cfg),
    "rnn": lambda cfg, s, full: RecurrentForecaster("rnn", s, cfg),
    "cnn": lambda cfg, s, full: CNNForecaster(s, cfg),
    "tcn": lambda cfg, s, full: TCNForecaster(s, cfg),
    "seq2seq": lambda cfg, s, full: Seq2Seq(s, cfg),
    "segrnn": lambda cfg, s, full: SegRNN(s, cfg, n_channels=full.n_inputs if s is not full else None,
                                          subtract_last=not cfg.revin),
    "cycle-segrnn": lambda cfg, s, full: SegRNN(s, cfg, n_channels=full.n_inputs if s is not full else None,
                                                subtract_last=not cfg.revin),
    "linear": lambda cfg, s, full: NLinear(s, cfg),
    "dlinear": lambda cfg, s, full: DLinear(s, cfg),
    "naive": lambda cfg, s, full: Naive(s, cfg),
    "seasonal-naive": lambda cfg, s, full: SeasonalNaive(s, cfg),
    "mean": lambda cfg, s, full: Mean(s, cfg),
}


def build_forecaster(config: ForecasterConfig, shape: ForecastShape) -> Forecaster:
    """The model ``config`` names, built for ``shape``, every weight created now.

    Fields of ``config`` left at None take the model's defaults (see
    :mod:`seqlab.models.forecast.config`); ``Forecaster.config`` holds the resolved config.

    Raises:
        ConfigError: sizes that do not fit the data (SegRNN's ``seg_len`` must divide the
            lookback, a CNN needs enough steps to pool, seasonal-naive needs a season within the
            lookback) or options that exclude each other; the message names the key.

    Example:
        >>> shape = ForecastShape(lookback=96, horizon=24, n_inputs=7, target_idx=tuple(range(7)))
        >>> net = build_forecaster(ForecasterConfig(name="segrnn", hidden=64, seg_len=24), shape)
        >>> net(torch.randn(2, 96, 7)).shape, net.channel_independent
        (torch.Size([2, 24, 7]), True)
    """
    if not isinstance(config, ForecasterConfig):
        raise ConfigError(f"build_forecaster needs a ForecasterConfig, got {type(config).__name__}")
    if not isinstance(shape, ForecastShape):
        raise ConfigError(f"build_forecaster needs a ForecastShape, got {type(shape).__name__}")
    config = config.resolved(shape)
    if config.individual and config.channel_independent:
        raise ConfigError(f"{config.name}: `individual`=True (one Linear per channel) cannot be combined with "
                          "`channel_independent`=True (one set of weights for all channels); drop one")
    core = CORES[config.name](config, _core_shape(shape, config.channel_independent), shape)
    return Forecaster(core, shape, config, revin=config.revin, channel_independent=config.channel_independent)
