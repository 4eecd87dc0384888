"""An anomaly-detection run as one validated config: data split, detector, threshold, training.

``seqlab anomaly fit`` builds an :class:`AnomalyConfig` from its options; a YAML file with the same
keys works too (``--config``), and ``--set threshold.method=quantile`` overrides any key.

Example:
    >>> cfg = AnomalyConfig(data={"path": "speed_6005.csv"}, model="conv-ae")
    >>> cfg.model.window, cfg.threshold.method, cfg.data.fit_fraction
    (32, 'pot', None)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from seqlab.configbase import Strict
from seqlab.models.anomaly import MODEL_NAMES, DetectorConfig
from seqlab.tasks.taskconfig import TaskConfig, build_task_config, load_task_config
from seqlab.training.config import EarlyStoppingConfig, OptimizerConfig, TrainConfig


class AnomalyData(Strict):
    """Which series, and which early part of it the detector learns from.

    Args:
        path: a CSV with the columns ``timestamp,value`` (NAB's format).
        fit_fraction: the early part to fit on; ``None`` (the default) is NAB's probationary
            period, min(15 %, 750 rows), the part NAB never scores. Its labels are never read.
        val_fraction: the tail of that part held out to stop training and set the threshold on.
    """

    path: str
    fit_fraction: float | None = Field(None, gt=0.0, lt=1.0)
    val_fraction: float = Field(0.3, gt=0.0, lt=1.0)


class ThresholdConfig(Strict):
    """How the alarm threshold is set from the validation scores (``seqlab.tasks.anomaly.thresholds``).

    Args:
        method: ``pot`` (peaks over threshold, Siffer et al. 2017) or ``quantile``.
        q: the quantile of ``quantile``.
        risk: the probability of a false alarm per row that ``pot`` aims at.
        init_quantile: the initial level of ``pot``, whose excesses are fitted.
    """

    method: Literal["pot", "quantile"] = "pot"
    q: float = Field(0.99, gt=0.0, lt=1.0)
    risk: float = Field(1e-3, gt=0.0, lt=1.0)
    init_quantile: float = Field(0.9, gt=0.0, lt=1.0)


class AnomalyConfig(TaskConfig):
    """Everything an anomaly run needs; saved as ``config.yaml`` in the run directory.

    Training defaults (tiny networks on a few hundred rows): Adam at 3e-3, batch 32, up to 40
    epochs with early stopping on the validation loss (patience 6, best epoch restored), gradient
    norm clipped at 1.
    """

    model_names = MODEL_NAMES
    data: AnomalyData
    model: DetectorConfig | Literal["auto"] = "auto"
    threshold: ThresholdConfig = ThresholdConfig()
    optimizer: OptimizerConfig = OptimizerConfig(lr=3e-3)
    train: TrainConfig = TrainConfig(epochs=40, batch_size=32, gradient_clip_val=1.0,
                                     early_stopping=EarlyStoppingConfig(patience=6))


def load_anomaly_config(path: str | Path) -> AnomalyConfig:
    """Read an anomaly config YAML (a run directory's ``config.yaml``, say)."""
    return load_task_config(AnomalyConfig, path)


def build_config(config_file: str | Path | None, overrides: list[str], **options) -> AnomalyConfig:
    """A config from an optional YAML file, then the options that are not None, then ``key=value`` overrides."""
    return build_task_config(AnomalyConfig, config_file, overrides, **options)
