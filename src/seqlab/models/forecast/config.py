"""What a forecaster is asked to do (``ForecastShape``) and how it is built (``ForecasterConfig``).

``ForecastShape`` comes from the data (lookback, horizon, channels, targets, calendar marks);
``ForecasterConfig`` from the user (model name and hyperparameters). Fields left at ``None`` take
the model's default from :data:`MODEL_DEFAULTS`; ``ForecasterConfig.resolved(shape)`` shows them.

Model defaults (``hidden`` / ``layers`` / ``dropout`` / ``revin`` / ``channel_independent``;
``cycle`` and ``highway`` are off except for cycle-segrnn, seqlab's recommended recurrent model,
which is segrnn with RevIN, ``cycle="season"`` and the highway on; see ``MODEL_DEFAULTS``):

=================  ======  ===============  =======  =====  ===================
model              hidden  layers           dropout  revin  channel_independent
=================  ======  ===============  =======  =====  ===================
lstm, gru, rnn     64      1                0.0      False  False
stacked-lstm       64      2                0.0      False  False
cnn                64      2 (conv blocks)  0.0      False  False
tcn                32      fewest blocks    0.0      False  False
                           covering L
seq2seq            64      1                0.0      False  False
segrnn             512     1                0.5      False  True
cycle-segrnn       128     1                0.5      True   True
linear, dlinear    -       -                -        False  False
naive, mean,       -       -                -        False  False
seasonal-naive
=================  ======  ===============  =======  =====  ===================

A "-" means the model does not read the key (a value given there is ignored).

Model-specific keys and their defaults: ``kernel_size`` 3 (cnn, tcn), ``pool_size`` 2 (cnn),
``padding`` "causal" (cnn), ``weight_norm`` False (tcn), ``cell`` "gru" (seq2seq),
``teacher_forcing`` 0.5 (seq2seq), ``seg_len`` the longest of 24, 12, 8, 6, 4, 3, 2 that cuts the
lookback into two segments or more (segrnn, cycle-segrnn; ETTh1's validation preferred 24 to 12 at L=96), ``moving_avg`` 25 (dlinear),
``individual`` False (linear, dlinear), ``season`` None = the data's season (seasonal-naive).
A model-specific key set to a value other than its default on a model that does not read it is
an error that names the key.

Example:
    >>> r = ForecasterConfig(name="segrnn", seg_len=24).resolved()
    >>> r.hidden, r.dropout, r.channel_independent, r.revin, r.cycle, r.highway
    (512, 0.5, True, False, 0, False)
    >>> r = ForecasterConfig(name="cycle-segrnn", seg_len=24).resolved(ForecastShape(96, 24, 7, (6,), season=24))
    >>> r.hidden, r.revin, r.cycle, r.highway
    (128, True, 24, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator, model_validator

from seqlab.errors import ConfigError
from seqlab.layers.tcn import blocks_to_cover
from seqlab.configbase import Strict as _Strict

ModelName = Literal["lstm", "gru", "rnn", "stacked-lstm", "cnn", "tcn", "seq2seq", "segrnn", "cycle-segrnn",
                    "linear", "dlinear", "naive", "seasonal-naive", "mean"]
MODEL_NAMES: tuple[str, ...] = ModelName.__args__
BASELINES = ("naive", "seasonal-naive", "mean")

_RNN = {"hidden": 64, "layers": 1, "dropout": 0.0, "revin": False, "channel_independent": False,
        "cycle": 0, "highway": False}
_PLAIN = {"revin": False, "channel_independent": False, "cycle": 0, "highway": False}
# None for ``layers`` of tcn: decided from the lookback when the model is built
MODEL_DEFAULTS: dict[str, dict[str, object]] = {
    "lstm": _RNN, "gru": _RNN, "rnn": _RNN,
    "stacked-lstm": {**_RNN, "layers": 2},
    "cnn": {**_RNN, "layers": 2},
    "tcn": {**_RNN, "hidden": 32, "layers": None},
    "seq2seq": _RNN,
    # segrnn: the paper's settings. cycle-segrnn: seqlab's recommended recurrent forecaster
    # (BENCHMARKS.md, chosen on ETTh1's validation split): the same encoder and parallel decoder
    # with RevIN, a learned cycle of the data's season and a linear highway.
    "segrnn": {"hidden": 512, "layers": 1, "dropout": 0.5, "revin": False, "channel_independent": True,
               "cycle": 0, "highway": False},
    "cycle-segrnn": {"hidden": 128, "layers": 1, "dropout": 0.5, "revin": True, "channel_independent": True,
                     "cycle": "season", "highway": True},
    "linear": _PLAIN, "dlinear": _PLAIN,
    "naive": _PLAIN, "seasonal-naive": _PLAIN, "mean": _PLAIN,
}
# which models read each model-specific key
SPECIFIC_KEYS: dict[str, tuple[str, ...]] = {
    "kernel_size": ("cnn", "tcn"), "pool_size": ("cnn",), "padding": ("cnn",), "weight_norm": ("tcn",),
    "cell": ("seq2seq",), "teacher_forcing": ("seq2seq",), "seg_len": ("segrnn", "cycle-segrnn"),
    "moving_avg": ("dlinear",), "individual": ("linear", "dlinear"), "season": ("seasonal-naive",),
}


def default_seg_len(lookback: int) -> int:
    """The longest of 24, 12, 8, 6, 4, 3, 2 steps that cuts the lookback into at least two segments (else 1)."""
    return next((s for s in (24, 12, 8, 6, 4, 3, 2) if lookback % s == 0 and lookback // s >= 2), 1)


def _check_int(value, key: str, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"ForecastShape: `{key}` must be an integer >= {low}, got {value!r}")


@dataclass(frozen=True)
class ForecastShape:
    """The sizes a forecaster is built for.

    Args:
        lookback: L, input steps.
        horizon: H, forecast steps.
        n_inputs: C_in, channels of the input x.
        target_idx: positions of the C_out forecast channels among the C_in inputs (targets are
            always inputs too), in output order.
        n_marks: F, known-future covariates (calendar features) per step; 0 if none.
        season: seasonal period in rows (24 for hourly data with a daily cycle), or None.

    Example:
        >>> ForecastShape(lookback=96, horizon=24, n_inputs=7, target_idx=(6,)).n_targets
        1
    """

    lookback: int
    horizon: int
    n_inputs: int
    target_idx: tuple[int, ...]
    n_marks: int = 0
    season: int | None = None

    def __post_init__(self) -> None:
        for key, low in (("lookback", 1), ("horizon", 1), ("n_inputs", 1), ("n_marks", 0)):
            _check_int(getattr(self, key), key, low)
        if self.season is not None:
            _check_int(self.season, "season", 1)
        targets = tuple(self.target_idx) if isinstance(self.target_idx, (tuple, list)) else None
        if not targets or not all(isinstance(i, int) and not isinstance(i, bool) for i in targets):
            raise ConfigError(f"ForecastShape: `target_idx` must be a non-empty tuple of channel positions, "
                              f"got {self.target_idx!r}")
        bad = [i for i in targets if not 0 <= i < self.n_inputs]
        if bad or len(set(targets)) != len(targets):
            raise ConfigError(f"ForecastShape: `target_idx` {targets} must hold distinct positions in "
                              f"[0, {self.n_inputs}) (n_inputs={self.n_inputs})")
        object.__setattr__(self, "target_idx", targets)

    @property
    def n_targets(self) -> int:
        """C_out, the number of forecast channels."""
        return len(self.target_idx)


class ForecasterConfig(_Strict):
    """A forecasting model by name, with its hyperparameters (see the module docstring for defaults).

    Args:
        name: one of :data:`MODEL_NAMES`.
        hidden: hidden size (RNN units, CNN/TCN filters, SegRNN's d).
        layers: recurrent layers, CNN conv blocks or TCN residual blocks.
        dropout: dropout rate before the output head (and between recurrent layers, inside TCN blocks).
        revin: reversible instance normalisation around the core network.
        channel_independent: run the core on each target channel alone, with shared weights.
        kernel_size, pool_size, padding: CNN/TCN convolutions.
        weight_norm: TCN weight normalisation.
        cell: seq2seq's recurrent cell.
        teacher_forcing: probability per training batch that the seq2seq decoder reads the true
            previous value instead of its own forecast.
        seg_len: SegRNN's segment length; it must divide the lookback (None: see ``default_seg_len``).
        moving_avg: DLinear's moving-average kernel.
        individual: linear/dlinear: one Linear per channel instead of one shared.
        season: seasonal-naive's period; None takes ``ForecastShape.season``.
        cycle: period P of a learned recurring pattern subtracted from the input and added to the
            forecast (CycleNet's residual cycle, :mod:`~seqlab.models.forecast.components`);
            ``"season"`` takes ``ForecastShape.season``; 0 turns it off.
        highway: add a linear map over each target's lookback to the forecast (LSTNet's
            autoregressive highway), starting at zero.
    """

    name: ModelName
    hidden: int | None = Field(None, ge=1)
    layers: int | None = Field(None, ge=1)
    dropout: float | None = Field(None, ge=0.0, lt=1.0)
    revin: bool | None = None
    channel_independent: bool | None = None
    kernel_size: int = Field(3, ge=1)
    pool_size: int = Field(2, ge=1)
    padding: Literal["causal", "same"] = "causal"
    weight_norm: bool = False
    cell: Literal["gru", "lstm"] = "gru"
    teacher_forcing: float = Field(0.5, ge=0.0, le=1.0)
    seg_len: int | None = Field(None, ge=1)
    moving_avg: int = Field(25, ge=1)
    individual: bool = False
    season: int | None = Field(None, ge=1)
    cycle: int | Literal["season"] | None = None
    highway: bool | None = None

    @field_validator("cycle")
    @classmethod
    def _cycle_period(cls, value: object) -> object:
        if isinstance(value, int) and value < 0:
            raise ValueError(f"`cycle` is a period in rows (0 = none, 'season' = the data's season), got {value}")
        return value

    @model_validator(mode="after")
    def _keys_apply_to_model(self) -> ForecasterConfig:
        for key, models in SPECIFIC_KEYS.items():
            if self.name not in models and getattr(self, key) != type(self).model_fields[key].default:
                raise ValueError(f"`{key}` does not apply to model {self.name!r} (it is read by "
                                 f"{', '.join(models)}); remove {key!r}")
        for key in ("revin", "cycle", "highway"):
            if self.name in BASELINES and getattr(self, key):
                raise ValueError(f"`{key}` does not apply to the parameter-free baseline {self.name!r}; remove {key!r}")
        return self

    def resolved(self, shape: ForecastShape | None = None) -> ForecasterConfig:
        """This config with every None filled in from :data:`MODEL_DEFAULTS`.

        tcn's default ``layers`` depends on the lookback: with ``shape`` it is filled in (the
        fewest blocks whose receptive field covers the lookback), without it stays None.
        """
        filled = {key: value for key, value in MODEL_DEFAULTS[self.name].items() if getattr(self, key) is None}
        if self.name == "tcn" and self.layers is None and shape is not None:
            filled["layers"] = blocks_to_cover(shape.lookback, self.kernel_size)
        if self.seg_len is None and self.name in SPECIFIC_KEYS["seg_len"] and shape is not None:
            filled["seg_len"] = default_seg_len(shape.lookback)
        if filled.get("cycle", self.cycle) == "season" and shape is not None:
            filled["cycle"] = shape.season or 0  # no known season: no cycle
        return self.model_copy(update=filled)
