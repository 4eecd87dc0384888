"""Training: one Lightning engine for every seqlab network.

``fit`` / ``evaluate`` / ``predict`` in :mod:`.engine`, configs in :mod:`.config`, Keras losses in
:mod:`.losses`, metrics in :mod:`.metrics`, optimizers and schedules in :mod:`.optim`,
callbacks in :mod:`.callbacks`, pickle-free checkpoints in :mod:`.checkpoint`.
"""

from seqlab.training.config import EarlyStoppingConfig, OptimizerConfig, ScheduleConfig, TrainConfig
from seqlab.training.engine import evaluate, fit, make_loader, predict
from seqlab.training.module import History, SeqlabModule
from seqlab.training.losses import LOSSES, get_loss
from seqlab.training.metrics import METRICS, build_metrics
from seqlab.training.optim import build_optimizer, build_scheduler

__all__ = [
    "LOSSES",
    "METRICS",
    "EarlyStoppingConfig",
    "History",
    "OptimizerConfig",
    "ScheduleConfig",
    "SeqlabModule",
    "TrainConfig",
    "build_metrics",
    "build_optimizer",
    "build_scheduler",
    "evaluate",
    "fit",
    "get_loss",
    "make_loader",
    "predict",
]
