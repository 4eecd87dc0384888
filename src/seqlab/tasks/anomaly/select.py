"""``--model auto``: train the forecaster and the Conv1D autoencoder, keep the one that models the
validation rows best against a trivial model; the rolling z-score when neither does.

Labels are never read (there are none at fit time). Each candidate's *validation skill* is its
error on the held-out tail of the fitted part over a trivial model's error there: persistence
(the next value is the last one) for the forecaster, each window's own mean for the
autoencoder (``detectors.validation_skill``). The lowest skill wins; a skill of 1 or more means
the network has learnt nothing a trivial model does not know, and the z-score is kept instead.
"""

from __future__ import annotations

import logging

import numpy as np

from seqlab.models.anomaly import DetectorConfig
from seqlab.tasks.anomaly.config import AnomalyConfig

log = logging.getLogger(__name__)


def candidates() -> list[DetectorConfig]:
    """The detectors ``auto`` trains, in order."""
    return [DetectorConfig(name="lstm-forecast"), DetectorConfig(name="conv-ae")]


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
