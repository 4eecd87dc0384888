"""A time-series classification run as one validated config: data, model, optimizer, training.

``seqlab classify train`` builds a :class:`ClassifyConfig` from its options; a YAML file with the
same keys works too (``--config``), and ``--set model.units=32`` overrides any key.

Training defaults follow Fawaz et al. 2019 (dl-4-tsc), shortened for a CPU: Adam at 1e-3,
batch min(16, n/10), the learning rate halved after 50 epochs without a lower training loss
(ReduceLROnPlateau on the training loss, as they did: no data is held out of the small UCR
training sets), and the weights of the epoch with the lowest training loss kept. They trained
2000 epochs; we stop after ``train.epochs`` (500) or when the training loss has not improved for
100 epochs, and after at most ``train.max_time_s`` (600 s) of training, so that a large archive
dataset ends in bounded time on a CPU. In bench/results/tsc_ucr.md (at most 2000 epochs and 100 s
per run) the plateau stop ended 9 of 30 runs, after 295-639 epochs; the others reached the time
cap after 336-768 epochs on the five small datasets.

Example:
    >>> cfg = ClassifyConfig(data={"path": "GunPoint_TRAIN.ts"}, model="resnet")
    >>> cfg.model.name, cfg.train.batch_size, cfg.train.lr_schedule.factor
    ('resnet', 16, 0.5)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from seqlab.configbase import Strict
from seqlab.models.tsc import MODEL_NAMES, TSCConfig
from seqlab.tasks.taskconfig import TaskConfig, build_task_config, load_task_config
from seqlab.training.config import EarlyStoppingConfig, OptimizerConfig, ScheduleConfig, TrainConfig

DEFAULT_EPOCHS = 500


class ClassifyData(Strict):
    """Which series, how they are scored and normalised.

    Args:
        path: the training data: a UCR/UEA ``.ts``, ``.arff`` or ``.tsv`` file, or a dataset folder
            holding ``<Name>_TRAIN.<ext>``.
        test_path: a labelled file scored after training; ``None`` takes the ``_TEST`` file beside
            the training file, if there is one (it is only scored, never used to choose anything).
        val_fraction: hold out this share of the training series (stratified) as a validation
            split; 0 (the default) trains on all of them and schedules on the training loss.
        normalize: ``series`` z-normalises each series and dimension on its own (the UCR
            convention), ``channel`` standardises each dimension with the training set's mean and
            deviation (keeps amplitude differences between series, which multivariate sensor
            data needs), ``none`` leaves the values; ``auto``: ``series`` for univariate data,
            ``channel`` for multivariate.
        missing: values missing inside a series (``?``, ``NaN``): ``error`` refuses them naming
            the line, ``interpolate`` fills them linearly, ``auto`` (the default) fills them with a
            warning in a file whose header declares them (``.ts`` ``@missing true``, as the UCR
            archive's DodgerLoop* and MelbournePedestrian do) and refuses them elsewhere. Missing
            values at the end of a series are its padding and are always cut.
    """

    path: str
    test_path: str | None = None
    val_fraction: float = Field(0.0, ge=0.0, lt=0.5)
    normalize: Literal["auto", "series", "channel", "none"] = "auto"
    missing: Literal["auto", "error", "interpolate"] = "auto"


class ClassifyConfig(TaskConfig):
    """Everything a classification run needs; saved as ``config.yaml`` in the run directory."""

    model_names = MODEL_NAMES
    data: ClassifyData
    model: TSCConfig | Literal["auto"] = "auto"
    optimizer: OptimizerConfig = OptimizerConfig(lr=1e-3)
    train: TrainConfig = TrainConfig(
        epochs=DEFAULT_EPOCHS, batch_size=16, max_time_s=600.0,
        lr_schedule=ScheduleConfig(name="plateau", factor=0.5, patience=50),
        early_stopping=EarlyStoppingConfig(monitor="loss", mode="min", patience=100))


def load_classify_config(path: str | Path) -> ClassifyConfig:
    """Read a classification config YAML (a run directory's ``config.yaml``, say)."""
    return load_task_config(ClassifyConfig, path)


def build_config(config_file: str | Path | None, overrides: list[str], **options) -> ClassifyConfig:
    """A config from an optional YAML file, then the options that are not None, then ``key=value`` overrides."""
    return build_task_config(ClassifyConfig, config_file, overrides, **options)
