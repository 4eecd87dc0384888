"""Training: one Lightning engine for every seqlab network.

``fit`` / ``evaluate`` / ``predict`` in :mod:`.engine`, configs in :mod:`.config`, Keras losses in
:mod:`.losses`, metrics in :mod:`.metrics`, optimizers and schedules in :mod:`.optim`,
callbacks in :mod:`.callbacks`, pickle-free checkpoints in :mod:`.checkpoint`, and
``Sequential``'s Keras surface (``compile``, ``fit``, ``evaluate``, ``predict``) in
:mod:`.sequential`.

The names below are imported on first use (PEP 562): reading a config (``seqlab.training.config``,
which every task config does, ``seqlab <task> --help`` included) does not load Lightning.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "EarlyStoppingConfig": "config",
    "OptimizerConfig": "config",
    "ScheduleConfig": "config",
    "TrainConfig": "config",
    "evaluate": "engine",
    "fit": "engine",
    "make_loader": "engine",
    "predict": "engine",
    "History": "module",
    "SeqlabModule": "module",
    "LOSSES": "losses",
    "get_loss": "losses",
    "METRICS": "metrics",
    "build_metrics": "metrics",
    "build_optimizer": "optim",
    "build_scheduler": "optim",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value  # once: later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
