"""A text-classification run as one validated config: data, tokenizer, model, optimizer, training.

``seqlab text train`` builds a :class:`TextConfig` from its options; a YAML file with the same keys
works too (``--config``), and ``--set model.units=256`` overrides any key. Unknown keys are errors
that name the key.

Example:
    >>> cfg = TextConfig(data={"path": "sst2"}, model="bilstm")
    >>> cfg.data.tokenizer, cfg.model.name, cfg.train.batch_size
    ('word', 'bilstm', 64)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from seqlab.configbase import Strict
from seqlab.models.text import MODEL_NAMES, ClassifierConfig
from seqlab.tasks.taskconfig import TaskConfig, build_task_config, load_task_config
from seqlab.training.config import EarlyStoppingConfig, OptimizerConfig, TrainConfig


class TextData(Strict):
    """Which texts, how validation is carved, and how text becomes token ids.

    Args:
        path: a CSV/TSV/JSONL file, a folder with one subfolder per label, or a built-in name
            (``sst2``, ``imdb``, ``ag_news``; ``name:split`` picks a split).
        text_col, label_col: the columns; ``None`` detects them (``text``/``sentence``/``review``...,
            ``label``/``sentiment``/``class``...).
        val_path: a separate validation file; ``None`` carves ``val_fraction`` of the training
            texts (after dropping training texts that lie inside validation texts, so data that
            lists phrases of its sentences, as SST-2 does, gets an honest validation score).
        test_path: a labelled file scored at the end of training; ``None`` uses a built-in's
            evaluation split (SST-2 dev, IMDB test) and nothing for a file.
        tokenizer: ``word`` (words and punctuation), or ``bpe`` / ``wordpiece`` subwords trained
            on the training texts with Hugging Face ``tokenizers``.
        lowercase: lowercase before tokenising.
        min_freq, max_vocab: the word vocabulary keeps words seen ``min_freq`` times, at most
            ``max_vocab`` entries. ``vocab_size``: the subword vocabulary's size.
        max_len: longest text in tokens; longer texts are cut by ``truncation`` (head, tail, or
            head+tail: the first and last halves).
        vectors: a local word2vec/GloVe text file to start the embedding from (word tokenizer only).
        bucketing: batch texts of similar length together (padding only to each batch's longest).
    """

    path: str
    text_col: str | None = None
    label_col: str | None = None
    val_path: str | None = None
    val_fraction: float = Field(0.1, gt=0.0, lt=0.5)
    test_path: str | None = None
    tokenizer: Literal["word", "bpe", "wordpiece"] = "word"
    lowercase: bool = True
    min_freq: int = Field(1, ge=1)
    max_vocab: int | None = Field(50_000, ge=2)
    vocab_size: int = Field(8000, ge=100)
    max_len: int = Field(400, ge=1)
    truncation: Literal["head", "tail", "head+tail"] = "head"
    vectors: str | None = None
    bucketing: bool = True

    @model_validator(mode="after")
    def _vectors_need_words(self) -> TextData:
        if self.vectors is not None and self.tokenizer != "word":
            raise ValueError(f"vectors: pretrained word vectors need tokenizer 'word', not {self.tokenizer!r}")
        return self


class TextConfig(TaskConfig):
    """Everything a text-classification run needs; saved as ``config.yaml`` in the run directory.

    Training defaults (chosen on SST-2's validation split, where the recurrent models peak after
    4-6 epochs): cross-entropy, Adam at 1e-3, batch 64, up to 6 epochs with early stopping on the
    validation accuracy (patience 3, best epoch restored), gradient norm clipped at 5.
    """

    model_names = MODEL_NAMES
    data: TextData
    model: ClassifierConfig | Literal["auto"] = "auto"
    optimizer: OptimizerConfig = OptimizerConfig(lr=1e-3)
    train: TrainConfig = TrainConfig(epochs=6, batch_size=64, gradient_clip_val=5.0,
                                     early_stopping=EarlyStoppingConfig(monitor="val_accuracy", mode="max", patience=3))


def load_text_config(path: str | Path) -> TextConfig:
    """Read a text config YAML (a run directory's ``config.yaml``, say)."""
    return load_task_config(TextConfig, path)


def build_config(config_file: str | Path | None, overrides: list[str], **options) -> TextConfig:
    """A config from an optional YAML file, then the options that are not None, then ``key=value`` overrides."""
    return build_task_config(TextConfig, config_file, overrides, **options)
