"""A speech-recognition run as one validated config: data and features, model, optimizer, training.

``seqlab speech train`` builds a :class:`SpeechConfig` from its options; a YAML file with the
same keys works too (``--config``), and ``--set model.units=128`` overrides any key.

Example:
    >>> cfg = SpeechConfig(data={"path": "recordings"}, model="conv1d")
    >>> cfg.data.features, cfg.model.name, cfg.train.batch_size
    ('mfcc', 'conv1d', 32)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from seqlab.configbase import Strict
from seqlab.models.speech import MODEL_NAMES, SpeechModelConfig
from seqlab.tasks.taskconfig import TaskConfig, build_task_config, load_task_config
from seqlab.training.config import EarlyStoppingConfig, OptimizerConfig, ScheduleConfig, TrainConfig


class SpeechData(Strict):
    """Which recordings, how they are split, and how a waveform becomes feature frames.

    Args:
        path: a folder of ``{label}_{speaker}_{index}.wav`` files.
        test_max_index: files with index <= this are the test set (the Free Spoken Digit
            Dataset's official split: 0-4); the rest are for training.
        test_speakers: instead, hold out every file of these speakers as the test set (a
            speaker-independent split); the index then plays no part.
        val_fraction: the share of the training files (per label, seeded) kept for validation:
            early stopping and ``auto`` look at it, never at the test set.
        features: ``mfcc`` (the default: on FSDD's validation split the Conv1D scored 1.000 with 20 MFCCs
            and 0.985 with 40 log-mel bands, bench/results/speech_fsdd.md) or ``logmel``. n_mels,
            n_mfcc: their sizes. deltas: append first differences.
        sample_rate: the rate every file is resampled to; None takes the training files' most common rate.
        normalize: per-utterance mean/variance normalisation of each feature.
    """

    path: str
    test_max_index: int = Field(4, ge=-1)
    test_speakers: list[str] | None = None
    val_fraction: float = Field(0.1, gt=0.0, lt=0.5)
    features: Literal["logmel", "mfcc"] = "mfcc"
    n_mels: int = Field(40, ge=4, le=256)
    n_mfcc: int = Field(20, ge=1, le=256)
    deltas: bool = False
    sample_rate: int | None = Field(None, ge=1000)
    normalize: bool = True


class SpeechConfig(TaskConfig):
    """Everything a speech run needs; saved as ``config.yaml`` in the run directory.

    Training defaults (set before any FSDD run and not tuned since; the features were chosen on FSDD's
    validation split, bench/results/speech_fsdd.md): cross-entropy, Adam at 2e-3 with a cosine schedule,
    batch 32, up to 30 epochs with early stopping on the validation accuracy (patience 8, best epoch
    restored), gradient norm clipped at 5, and at most 600 s of training per model (``max_time_s``),
    so that a large spoken-word corpus ends in bounded time on a CPU.
    """

    model_names = MODEL_NAMES
    data: SpeechData
    model: SpeechModelConfig | Literal["auto"] = "auto"
    optimizer: OptimizerConfig = OptimizerConfig(lr=2e-3)
    train: TrainConfig = TrainConfig(epochs=30, batch_size=32, gradient_clip_val=5.0, max_time_s=600.0,
                                     lr_schedule=ScheduleConfig(name="cosine"),
                                     early_stopping=EarlyStoppingConfig(monitor="val_accuracy", mode="max", patience=8))


def load_speech_config(path: str | Path) -> SpeechConfig:
    """Read a speech config YAML (a run directory's ``config.yaml``, say)."""
    return load_task_config(SpeechConfig, path)


def build_config(config_file: str | Path | None, overrides: list[str], **options) -> SpeechConfig:
    """A config from an optional YAML file, then the options that are not None, then ``key=value`` overrides."""
    return build_task_config(SpeechConfig, config_file, overrides, **options)
