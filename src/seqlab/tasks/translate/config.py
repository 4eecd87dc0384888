"""A translation run as one validated config: data, model, decoding, optimizer, training.

``seqlab translate train`` builds a :class:`TranslateConfig` from its options; a YAML file with
the same keys works too (``--config``), and ``--set model.units=128`` overrides any key. Unknown
keys are errors that name the key.

Example:
    >>> cfg = TranslateConfig(data={"path": "fra-eng.txt"}, model="gru")
    >>> cfg.data.max_words, cfg.model.attention, cfg.train.batch_size, cfg.decode.beam
    (10, 'bahdanau', 64, None)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from seqlab.configbase import Strict
from seqlab.errors import ConfigError
from seqlab.models.seq2seq import MODEL_NAMES, Seq2SeqConfig
from seqlab.tasks.taskconfig import TaskConfig, build_task_config, load_task_config
from seqlab.training.config import EarlyStoppingConfig, OptimizerConfig, TrainConfig


class TranslateData(Strict):
    """Which sentence pairs, how they are split, and how text becomes token ids.

    Args:
        path: a text file of ``source<TAB>target[<TAB>anything]`` lines (Tatoeba's format).
        max_words: keep pairs whose source and target have at most this many words (split on
            spaces); longer pairs are dropped, with a count in the run's metrics.
        val_fraction, test_fraction: the share of distinct source sentences held out for
            validation (early stopping, choices of ``auto``) and for the test BLEU. All
            translations of one source sentence fall in the same split, so no test source is
            seen in training.
        split_seed: the seed of that split; the same file and seed give the same test sentences.
        min_freq, max_vocab: each vocabulary keeps words seen ``min_freq`` times in the training
            pairs, at most ``max_vocab`` ids; other words become ``<unk>``.
    """

    path: str
    max_words: int = Field(10, ge=1)
    val_fraction: float = Field(0.05, gt=0.0, lt=0.5)
    test_fraction: float = Field(0.05, gt=0.0, lt=0.5)
    split_seed: int = 0
    min_freq: int = Field(2, ge=1)
    max_vocab: int | None = Field(8000, ge=10)


class DecodeConfig(Strict):
    """How translations are searched for.

    Args:
        beam: beam width; 1 is greedy search. None: chosen on the validation split after training
            (greedy or a beam of ``BEAM_CHOICES[-1]``, whichever scores the higher BLEU).
        length_penalty: α of the length normalisation lp(Y) = ((5 + |Y|) / 6)^α (Wu et al. 2016);
            beams are ranked by log P(Y | X) / lp(Y). 0 ranks by raw log-probability.
        batch_size: sentences decoded together.
    """

    beam: int | None = Field(None, ge=1, le=50)
    length_penalty: float = Field(0.6, ge=0.0, le=5.0)
    batch_size: int = Field(128, ge=1)


class TranslateConfig(TaskConfig):
    """Everything a translation run needs; saved as ``config.yaml`` in the run directory.

    Training defaults: teacher forcing with crossentropy over the real target tokens, Adam at
    2e-3, batch 64, gradient norm clipped at 1, up to 20 epochs with early stopping on the
    validation loss (patience 2, best epoch restored), and at most ``max_time_s`` = 600 s of
    training, so a CPU run ends in about ten minutes on any data.
    """

    model_names = MODEL_NAMES
    data: TranslateData
    model: Seq2SeqConfig | Literal["auto"] = "auto"
    decode: DecodeConfig = DecodeConfig()
    optimizer: OptimizerConfig = OptimizerConfig(lr=2e-3)
    train: TrainConfig = TrainConfig(epochs=20, batch_size=64, gradient_clip_val=1.0, max_time_s=600.0,
                                     early_stopping=EarlyStoppingConfig(monitor="val_loss", mode="min", patience=2))


def load_translate_config(path: str | Path) -> TranslateConfig:
    """Read a translation config YAML (a run directory's ``config.yaml``, say)."""
    return load_task_config(TranslateConfig, path)


def build_config(config_file: str | Path | None, overrides: list[str], *, data: str | None = None,
                 model: str | None = None, attention: str | None = None, beam: int | None = None,
                 epochs: int | None = None, max_time: float | None = None, **data_options) -> TranslateConfig:
    """A config from an optional YAML file, then the options that are not None, then ``key=value`` overrides.

    ``--attention`` or a ``model.*`` override with ``model`` auto (or none given, without a config
    file) apply to the recommended model: auto's cell and attention with those changes.
    """
    from seqlab.tasks.translate.select import RECOMMENDED

    extra = []
    if attention is not None and attention not in ("bahdanau", "luong"):
        raise ConfigError(f"--attention: choose bahdanau or luong, got {attention!r}")
    sets_model = attention is not None or any(o.strip().startswith("model.") for o in overrides)
    if sets_model and (model == "auto" or (model is None and config_file is None)):
        model = RECOMMENDED.name
        extra.append(f"model.attention={RECOMMENDED.attention}")
    if attention is not None:
        extra.append(f"model.attention={attention}")
    if beam is not None:
        extra.append(f"decode.beam={beam}")
    if max_time is not None:
        extra.append(f"train.max_time_s={max_time}")
    return build_task_config(TranslateConfig, config_file, extra + list(overrides), data=data, model=model,
                             epochs=epochs, **data_options)
