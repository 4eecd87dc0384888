"""``--model auto``: train a few complementary classifiers and keep the best validation ensemble.

Candidates are trained in order; then members are picked greedily by validation accuracy
(Caruana et al. 2004's ensemble selection): start from the best single model and add the next
candidate while the averaged probabilities score at least as well on validation. The test split
is never looked at. On a large corpus (more than ``LARGE_CORPUS`` training tokens) only the
first candidate is trained, so ``auto`` stays affordable on a CPU.
"""

from __future__ import annotations

import logging

import numpy as np

from seqlab.models.text import ClassifierConfig, TextShape
from seqlab.models.text.ensemble import EnsembleClassifier
from seqlab.tasks.text.config import TextConfig
from seqlab.tasks.text.data import TextSetup

log = logging.getLogger(__name__)
LARGE_CORPUS = 3_000_000  # training tokens


def candidates(setup: TextSetup) -> list[ClassifierConfig]:
    """The models ``auto`` trains on this data, strongest single model first."""
    models = [ClassifierConfig(name="bilstm"), ClassifierConfig(name="cnn"), ClassifierConfig(name="bigru", pooling="attention")]
    tokens = sum(len(ids) for ids in setup.splits["train"].ids)
    return models[:1] if tokens > LARGE_CORPUS else models


def select_model(config: TextConfig, setup: TextSetup, progress: bool = False):
    """Train every candidate, then pick the ensemble greedily on validation accuracy.

    Returns the model (a classifier, or an EnsembleClassifier of several), a training summary and
    ``{"chosen": [...], "candidates": [{"model", "val_accuracy", "parameters", "epochs", "train_seconds"}],
    "ensemble_val_accuracy"}``.
    """
    from seqlab.tasks.text.run import fit_model, predict_proba

    val = setup.splits["val"]
    trained, rows = [], []
    for model in candidates(setup):
        net, summary = fit_model(config, model, setup, None, progress)
        probs = predict_proba(net, val.ids, setup.data.bucketing)
        accuracy = float((probs.argmax(1) == val.y).mean())
        rows.append({**summary, "val_accuracy": accuracy})
        trained.append((accuracy, net, probs, summary))
        log.info("auto: %s val_accuracy=%.4f", model.name, accuracy)
    trained.sort(key=lambda t: -t[0])
    members = [trained[0]]
    best = trained[0][0]
    for cand in trained[1:]:
        mean = np.mean([m[2] for m in members + [cand]], axis=0)
        accuracy = float((mean.argmax(1) == val.y).mean())
        if accuracy >= best:
            members.append(cand)
            best = accuracy
    summary = {"model": "+".join(m[1].config.name for m in members),
               "parameters": sum(m[3]["parameters"] for m in members),
               "epochs": sum(m[3]["epochs"] for m in members),
               "train_seconds": round(sum(r["train_seconds"] for r in rows), 2)}
    if len(members) == 1:
        net = members[0][1]
    else:
        net = EnsembleClassifier([m[1].config for m in members], TextShape(setup.encoder.vocab_size, len(setup.labels)))
        for slot, m in zip(net.members, members):
            slot.load_state_dict(m[1].state_dict())
    return net, summary, {"chosen": [m[1].config.name for m in members], "candidates": rows,
                          "ensemble_val_accuracy": best}
