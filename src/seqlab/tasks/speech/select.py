"""``--model auto``: train complementary speech classifiers and keep the best on validation.

The candidates are trained in order, each from its own seed; the model kept is the average of all
of them (probabilities averaged), unless the best single candidate scores higher on validation, in
which case it is kept alone. The test split is never looked at.

The candidates (chosen on FSDD's validation split, bench/results/speech_fsdd.md) are the
convolutional network (fast, and the strongest single model) and the CNN + BiGRU (a recurrent
reading of the same frames); their errors differ, so the average is the usual winner.
"""

from __future__ import annotations

from seqlab.models.speech import SpeechEnsemble, SpeechModelConfig, SpeechShape
from seqlab.tasks.ensembling import select_by_validation
from seqlab.tasks.speech.config import SpeechConfig
from seqlab.tasks.speech.data import SpeechSetup

CANDIDATES = ("conv1d", "cnn-rnn")


def candidates(setup: SpeechSetup) -> list[SpeechModelConfig]:
    """The models ``auto`` trains on this data, in training order."""
    return [SpeechModelConfig(name=name) for name in CANDIDATES]


def select_model(config: SpeechConfig, setup: SpeechSetup, progress: bool = False) -> tuple:
    """Train every candidate; keep their average, or the best single one if it scores higher on validation.

    Returns the model (a classifier or a SpeechEnsemble), a training summary and ``{"chosen": [...],
    "candidates": [{"model", "val_accuracy", "parameters", "epochs", "train_seconds"}], "ensemble_val_accuracy"}``.
    """
    from seqlab.tasks.speech.run import fit_model, predict_proba

    val = setup.splits["val"]
    shape = SpeechShape(setup.spec.dim, len(setup.labels))
    return select_by_validation(
        config, candidates(setup), lambda c, model: fit_model(c, model, setup, None, progress),
        lambda net: predict_proba(net, val.feats), val.y, lambda configs: SpeechEnsemble(configs, shape))
