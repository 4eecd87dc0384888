"""``--model auto``: train a few complementary recurrent classifiers and keep the best validation ensemble.

Candidates are trained in order; the model kept is the average of all of them (probabilities
averaged), unless the best single candidate scores higher on validation, in which case it is kept
alone. Averaging every candidate rather than picking a subset keeps the choice from overfitting a
small validation split. The test split is never looked at.

The candidates (chosen on SST-2's validation split, BENCHMARKS.md) are BiLSTM with max pooling,
BiGRU with attention pooling, BiLSTM with attention pooling and a second BiGRU with attention
pooling, each from its own seed. How many are trained depends on the training tokens, so ``auto`` stays affordable
on a CPU: all four up to ``SMALL_CORPUS`` tokens, the first two up to ``LARGE_CORPUS``, and above
that the Kim CNN alone (several times faster than a recurrent model on long documents).
"""

from __future__ import annotations

from seqlab.models.text import ClassifierConfig, TextShape
from seqlab.models.text.ensemble import EnsembleClassifier
from seqlab.tasks.ensembling import select_by_validation
from seqlab.tasks.text.config import TextConfig
from seqlab.tasks.text.data import TextSetup

SMALL_CORPUS, LARGE_CORPUS = 1_000_000, 3_000_000  # training tokens
RECURRENT = [("bilstm", "max"), ("bigru", "attention"), ("bilstm", "attention"), ("bigru", "attention")]


def candidates(setup: TextSetup) -> list[ClassifierConfig]:
    """The models ``auto`` trains on this data, in training order."""
    tokens = sum(len(ids) for ids in setup.splits["train"].ids)
    if tokens > LARGE_CORPUS:
        return [ClassifierConfig(name="cnn")]
    n = len(RECURRENT) if tokens <= SMALL_CORPUS else 2
    return [ClassifierConfig(name=name, pooling=pooling) for name, pooling in RECURRENT[:n]]


def select_model(config: TextConfig, setup: TextSetup, progress: bool = False) -> tuple:
    """Train every candidate; keep their average, or the best single one if it scores higher on validation.

    Returns the model (a classifier, or an EnsembleClassifier of several), a training summary and
    ``{"chosen": [...], "candidates": [{"model", "val_accuracy", "parameters", "epochs", "train_seconds"}],
    "ensemble_val_accuracy"}``.
    """
    from seqlab.tasks.text.run import fit_model, predict_proba

    val = setup.splits["val"]
    shape = TextShape(setup.encoder.vocab_size, len(setup.labels))
    return select_by_validation(
        config, candidates(setup), lambda c, model: fit_model(c, model, setup, None, progress),
        lambda net: predict_proba(net, val.ids, setup.data.bucketing), val.y,
        lambda configs: EnsembleClassifier(configs, shape), row=lambda net: {"pooling": net.config.pooling})
