"""``--model auto``: train the LSTM forecaster and keep it if it models the validation rows better
than a trivial model; the rolling z-score when it does not.

Labels are never read (there are none at fit time). The forecaster's *validation skill* is its
error on the held-out tail of the fitted part over persistence's (the next value is the last
one; ``detectors.validation_skill``); a skill of 1 or more means the network has learnt nothing
a trivial model does not know, and the z-score is kept instead.

Why the forecaster and not an autoencoder: it is the detector that streams (one row at a time,
the LSTM state carried, the same scores as batch scoring), and on the NAB series in
``../shared/data`` the autoencoders raised two to three times its false alarms
(``bench/anomaly_nab.py``). ``choose`` still ranks any candidates given to it by skill.
"""

from __future__ import annotations

import logging

import numpy as np

from seqlab.models.anomaly import DetectorConfig
from seqlab.tasks.anomaly.config import AnomalyConfig

log = logging.getLogger(__name__)


def candidates() -> list[DetectorConfig]:
    """The detectors ``auto`` trains, in order."""
    return [DetectorConfig(name="lstm-forecast")]


def choose(skills: dict[str, float]) -> str:
    """The name ``auto`` keeps, given each candidate's validation skill.

    Example:
        >>> choose({"lstm-forecast": 0.8, "conv-ae": 0.3}), choose({"lstm-forecast": 1.2, "conv-ae": 1.0})
        ('conv-ae', 'zscore')
    """
    name = min(skills, key=skills.get)
    return name if skills[name] < 1.0 else "zscore"


def select_detector(config: AnomalyConfig, z: np.ndarray, n_train: int, progress: bool = False) -> tuple:
    """Train every candidate; returns the kept network, its summary and
    ``{"chosen", "candidates": [{"model", "val_skill", "val_loss", "epochs", "train_seconds"}]}``."""
    from seqlab.tasks.anomaly.run import fit_detector

    fitted, rows = [], []
    for model in candidates():
        net, summary = fit_detector(config, model, z, n_train, progress)
        fitted.append((summary["val_skill"], net, summary))
        rows.append({k: summary[k] for k in ("model", "val_skill", "val_loss", "epochs", "train_seconds")})
        log.info("auto: %s val_skill=%.4f", model.name, summary["val_skill"])
    chosen = choose({r["model"]: r["val_skill"] for r in rows})
    if chosen == "zscore":
        net, summary = fit_detector(config, DetectorConfig(name="zscore"), z, n_train)
    else:
        _, net, summary = next(f for f in fitted if f[1].config.name == chosen)
    summary = {**summary, "train_seconds": round(sum(r["train_seconds"] for r in rows), 2)}
    return net, summary, {"chosen": net.config.name, "candidates": rows}
