"""A language-model run as one validated config: data, model, optimizer, training budget.

``seqlab generate train`` builds a :class:`GenerateConfig` from its options; a YAML file with the
same keys works too (``--config``), and ``--set model.units=256`` overrides any key.

Example:
    >>> cfg = GenerateConfig(data={"path": "shakespeare.txt"})
    >>> cfg.data.level, cfg.data.steps, cfg.train.batch_size, cfg.train.max_time_s
    ('char', 128, 32, 1740.0)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from seqlab.configbase import Strict
from seqlab.models.lm import LM_NAMES, LMConfig
from seqlab.tasks.taskconfig import TaskConfig, build_task_config, load_task_config
from seqlab.training.config import EarlyStoppingConfig, OptimizerConfig, TrainConfig


class GenerateData(Strict):
    """Which text, how it is split and tokenised, and how the stream is cut for truncated BPTT.

    Args:
        path: one UTF-8 text file.
        level: ``char`` (every character a token) or ``word`` (words, punctuation marks, line breaks).
        val_fraction: the last fraction of the text held out for validation (0.1: the 90/10 split).
        steps: the truncation of backpropagation through time (tokens per chunk).
        epoch_tokens: training tokens per epoch (validation, early stopping and checkpoints after
            each); ``None``: a whole pass over the training part.
        lowercase: lowercase the text first.
        min_freq, max_vocab: the word vocabulary keeps words seen ``min_freq`` times, at most
            ``max_vocab`` entries (the rest become ``<unk>``); a char vocabulary keeps every
            training character.
    """

    path: str
    level: Literal["char", "word"] = "char"
    val_fraction: float = Field(0.1, gt=0.0, lt=0.5)
    steps: int = Field(128, ge=1)
    epoch_tokens: int | None = Field(262_144, ge=1)
    lowercase: bool = False
    min_freq: int = Field(1, ge=1)
    max_vocab: int | None = Field(10_000, ge=3)


class GenerateConfig(TaskConfig):
    """Everything a language-model run needs; saved as ``config.yaml`` in the run directory.

    Training defaults (BENCHMARKS.md, Tiny Shakespeare): Adam at 2e-3, batches of 32 streams of
    128 steps, gradient norm clipped at 5, a wall-clock budget of 29 minutes (``max_time_s``),
    early stopping on the validation loss (patience 4 epochs, best epoch restored) and a cosine
    decay of the learning rate over the budget down to ``decay_to`` x lr (``decay_to: 1`` keeps it
    constant; a ``train.lr_schedule`` replaces it).
    """

    model_names = LM_NAMES
    data: GenerateData
    model: LMConfig | Literal["auto"] = "auto"
    optimizer: OptimizerConfig = OptimizerConfig(lr=2e-3)
    train: TrainConfig = TrainConfig(epochs=200, max_time_s=1740.0, batch_size=32, shuffle=False,
                                     gradient_clip_val=5.0, early_stopping=EarlyStoppingConfig(patience=4))
    decay_to: float = Field(0.1, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _stream_order(self) -> GenerateConfig:
        if self.train.shuffle:
            raise ValueError("train.shuffle: a language model streams its text in order (truncated BPTT); "
                             "set train.shuffle to false")
        return self


def load_generate_config(path: str | Path) -> GenerateConfig:
    """Read a generate config YAML (a run directory's ``config.yaml``, say)."""
    return load_task_config(GenerateConfig, path)


def build_config(config_file: str | Path | None, overrides: list[str], **options) -> GenerateConfig:
    """A config from an optional YAML file, then the options that are not None, then ``key=value`` overrides.

    ``max_time_s`` and ``batch_size`` go to the ``train`` section; other options to ``data``.
    """
    train = {k: options.pop(k) for k in ("max_time_s", "batch_size") if options.get(k) is not None}
    overrides = [*(f"train.{k}={v}" for k, v in train.items()), *overrides]
    return build_task_config(GenerateConfig, config_file, overrides, **options)
