"""A forecasting run as one validated config: data, model, loss, optimizer and training.

``seqlab forecast train`` builds a :class:`ForecastConfig` from its options; a YAML file with the
same keys works too (``--config``), and ``--set model.seg_len=24`` overrides any key. Unknown keys
are errors that name the key.

Example:
    >>> cfg = ForecastConfig(data={"path": "etth1", "features": "M", "lookback": 96, "horizon": 24},
    ...                      model={"name": "segrnn"})
    >>> cfg.data.features, cfg.loss, cfg.train.epochs
    ('M', 'mae', 10)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from seqlab.configbase import Strict
from seqlab.models.forecast import MODEL_NAMES, ForecasterConfig
from seqlab.tasks.taskconfig import TaskConfig, build_task_config, load_task_config, parse_task_config
from seqlab.training.config import EarlyStoppingConfig, OptimizerConfig, ScheduleConfig, TrainConfig

Features = Literal["M", "S", "MS"]


class ForecastData(Strict):
    """Which series, which columns, how to split it and how long the windows are.

    Args:
        path: a CSV/Parquet file or a built-in name (``etth1``, ``airline``, ...).
        timestamp_col: the timestamp column; ``None`` takes the built-in's, or the file's first column.
        features: ``M`` all series in and out, ``S`` the target alone, ``MS`` all in, the target out.
        target: the target column (``S``/``MS``); default: the built-in's, or the last column.
        covariates: past-observed columns that are inputs only (never forecast).
        calendar: add known-future calendar features of the timestamps (hour, weekday, ...).
        missing: NaN and missing-timestamp policy; ``None`` takes the built-in's, else ``error``.
        split: ``ett`` (the ETT protocol, hourly or 15-minute borders from the timestamps), three
            fractions (train, validation, test), or three row counts; ``None``: ``ett`` for an ETT
            file (``etth1``, ``ETTm2.csv``, ...), else 0.7, 0.1, 0.2.
        lookback: L, input steps.
        horizon: H, forecast steps.
    """

    path: str
    timestamp_col: str | None = None
    features: Features = "S"
    target: str | None = None
    covariates: list[str] = []
    calendar: bool = False
    missing: Literal["error", "ffill", "interpolate"] | None = None
    split: Literal["ett"] | list[float] | None = None
    lookback: int = Field(96, ge=1)
    horizon: int = Field(24, ge=1)

    @field_validator("split", mode="before")
    @classmethod
    def _parse_split(cls, value: object) -> object:
        if isinstance(value, str) and value != "ett":
            try:
                return [float(v) for v in value.split(",")]
            except ValueError:
                raise ValueError(f"split must be 'ett', three fractions like 0.7,0.1,0.2 or three row counts "
                                 f"like 8640,2880,2880; got {value!r}") from None
        return value

    @field_validator("split")
    @classmethod
    def _check_split(cls, value: object) -> object:
        if value not in ("ett", None):
            if len(value) != 3 or any(v <= 0 for v in value):
                raise ValueError(f"split needs three positive numbers (train, validation, test), got {value}")
            counts = all(float(v).is_integer() and v >= 1 for v in value)
            if not counts and sum(value) > 1 + 1e-9:
                raise ValueError(f"split fractions must sum to at most 1, got {value} (sum {sum(value):g})")
        return value


class ForecastConfig(TaskConfig):
    """Everything a forecasting run needs; saved as ``config.yaml`` in the run directory.

    The training defaults are the ones chosen on ETTh1's validation split (see BENCHMARKS.md):
    L1 loss, Adam at 3e-3 decayed by 0.7 every epoch, batch 128, up to 10 epochs with early
    stopping on the validation loss (patience 3), gradient norm clipped at 1.
    """

    model_names = MODEL_NAMES
    data: ForecastData
    model: ForecasterConfig | Literal["auto"] = "auto"
    loss: Literal["mse", "mae", "huber"] = "mae"
    optimizer: OptimizerConfig = OptimizerConfig(lr=3e-3)
    train: TrainConfig = TrainConfig(epochs=10, batch_size=128, gradient_clip_val=1.0,
                                     early_stopping=EarlyStoppingConfig(patience=3),
                                     lr_schedule=ScheduleConfig(name="exponential", gamma=0.7))


def parse_forecast_config(raw: dict, source: str) -> ForecastConfig:
    """Validate ``raw``; errors name ``source`` and the key."""
    return parse_task_config(ForecastConfig, raw, source)


def load_forecast_config(path: str | Path) -> ForecastConfig:
    """Read a forecasting config YAML (a run directory's ``config.yaml``, say)."""
    return load_task_config(ForecastConfig, path)


def build_config(config_file: str | Path | None, overrides: list[str], **options) -> ForecastConfig:
    """A config from an optional YAML file, then the options that are not None, then ``key=value`` overrides.

    ``options`` are ``data`` (the path), ``model``, ``epochs`` and any :class:`ForecastData` field.
    """
    return build_task_config(ForecastConfig, config_file, overrides, **options)
