"""``--model auto``: train complementary speech classifiers and keep the best on validation.

The candidates are trained in order, each from its own seed; the model kept is the average of all
of them (probabilities averaged), unless the best single candidate scores higher on validation, in
which case it is kept alone. The test split is never looked at.

The candidates (chosen on FSDD's validation split, bench/results/speech_fsdd.md) are the
convolutional network (fast, and the strongest single model) and the CNN + BiGRU (a recurrent
reading of the same frames); their errors differ, so the average is the usual winner.
"""

from __future__ import annotations

import logging


from seqlab.models.speech import SpeechEnsemble, SpeechModelConfig, SpeechShape
from seqlab.tasks.ensembling import ensemble_or_best, ensemble_summary
from seqlab.tasks.speech.config import SpeechConfig
from seqlab.tasks.speech.data import SpeechSetup

log = logging.getLogger(__name__)
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
    trained, rows = [], []
    seed = config.train.seed or 0
    for k, model in enumerate(candidates(setup)):
        own_seed = config.model_copy(update={"train": config.train.model_copy(update={"seed": seed + k})})
        net, summary = fit_model(own_seed, model, setup, None, progress)
        probs = predict_proba(net, val.feats)
        accuracy = float((probs.argmax(1) == val.y).mean())
        rows.append({**summary, "val_accuracy": accuracy})
        trained.append((accuracy, net, probs, summary))
        log.info("auto: %s val_accuracy=%.4f", model.name, accuracy)
    members, best = ensemble_or_best(trained, val.y)
    summary = ensemble_summary(members, rows)
    if len(members) == 1:
        net = members[0][1]
    else:
        net = SpeechEnsemble([m[1].config for m in members], SpeechShape(setup.spec.dim, len(setup.labels)))
        for slot, m in zip(net.members, members):
            slot.load_state_dict(m[1].state_dict())
        net.eval()
    return net, summary, {"chosen": [m[1].config.name for m in members], "candidates": rows,
                          "ensemble_val_accuracy": best}
