r"""A learning-rate decay over a run's budget, for runs that stop on a wall-clock limit.

An epoch-based schedule cannot know how many epochs ``max_time_s`` allows, so the rate follows
the share of the budget spent, whichever runs out first, the time or the epochs:

.. math::
    p = \min\bigl(1, \max(t / t_{max}, s / s_{max})\bigr)
    \eta(p) = \eta_0 \bigl(d + (1 - d)\,\tfrac12 (1 + \cos \pi p)\bigr)

with :math:`t` the seconds since training started, :math:`s` the optimizer steps taken,
:math:`s_{max}` = epochs x batches per epoch and :math:`d` = ``decay_to`` (cosine annealing,
Loshchilov & Hutter 2017, SGDR, without restarts).
"""

from __future__ import annotations

import math
import time

import lightning as L
from lightning.pytorch.callbacks import Callback


class BudgetCosineDecay(Callback):
    """Set every parameter group's lr before each training step from the budget spent.

    Args:
        max_time_s: the wall-clock budget (None: steps only).
        max_steps: epochs x batches per epoch.
        decay_to: the final rate as a fraction of each group's initial rate.
    """

    def __init__(self, max_time_s: float | None, max_steps: int, decay_to: float) -> None:
        self.max_time_s, self.max_steps, self.decay_to = max_time_s, max(1, max_steps), decay_to
        self._start: float | None = None
        self._base: list[float] | None = None

    def progress(self, step: int) -> float:
        p = step / self.max_steps
        if self.max_time_s is not None and self._start is not None:
            p = max(p, (time.monotonic() - self._start) / self.max_time_s)
        return min(1.0, p)

    def factor(self, p: float) -> float:
        return self.decay_to + (1.0 - self.decay_to) * 0.5 * (1.0 + math.cos(math.pi * p))

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._start = time.monotonic()
        self._base = [group["lr"] for opt in trainer.optimizers for group in opt.param_groups]

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch, batch_idx: int) -> None:
        f = self.factor(self.progress(trainer.global_step))
        groups = [group for opt in trainer.optimizers for group in opt.param_groups]
        for group, base in zip(groups, self._base or []):
            group["lr"] = base * f
