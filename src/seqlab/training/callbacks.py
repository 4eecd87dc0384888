"""Lightning callbacks of the engine: NaN guard, per-epoch seeding, CSV metrics log, state resets.

Early stopping is Lightning's own ``EarlyStopping``; the progress bar is Lightning's
``RichProgressBar``; checkpoints live in :mod:`seqlab.training.checkpoint` (no pickle).

``CSVMetricsLogger`` reads the epoch's values from the module through
``SeqlabModule.finish_epoch()``, which computes them once per epoch whoever asks first: Lightning
calls callbacks' ``on_train_epoch_end`` before the module's own, so the values cannot simply be
left on the module by its hook.
"""

from __future__ import annotations

import csv
import io
import logging
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

from seqlab.errors import NonFiniteLossError
from seqlab.fileio import atomic_write_text

if TYPE_CHECKING:
    from seqlab.training.engine import History

log = logging.getLogger(__name__)


def reset_states(net: torch.nn.Module) -> None:
    """Forget the state every stateful layer of ``net`` carries between batches."""
    for module in net.modules():
        if getattr(module, "stateful", False) and callable(getattr(module, "reset_states", None)):
            module.reset_states()


class ResetStates(Callback):
    """Truncated BPTT over streams: stateful layers start every training epoch and every
    validation pass from a zero state, and training does not inherit validation's state (Keras
    leaves this to the user; forgetting it feeds the end of one epoch's stream into the start
    of the next). ``engine.evaluate`` and ``engine.predict`` reset on their own."""

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        reset_states(pl_module)

    def on_validation_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        reset_states(pl_module)

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        reset_states(pl_module)


class NonFiniteLossGuard(Callback):
    """Stop training with :class:`~seqlab.errors.NonFiniteLossError` when the training loss is NaN/Inf.

    The loss is checked before ``backward``, so the weights keep the values of the last finite
    step. Under DDP the ranks agree first (any rank non-finite stops every rank), so no process is
    left waiting in a gradient all-reduce.
    """

    def __init__(self) -> None:
        self._batch_idx = 0

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        self._batch_idx = batch_idx

    def on_before_backward(self, trainer: L.Trainer, pl_module: L.LightningModule, loss: torch.Tensor) -> None:
        bad = not bool(torch.isfinite(loss.detach()).all())
        if trainer.world_size > 1:
            bad = trainer.strategy.reduce_boolean_decision(bad, all=False)
        if bad:
            value = loss.detach().float().cpu().item() if loss.numel() == 1 else "non-finite"
            raise NonFiniteLossError(
                f"training loss became {value} at epoch {trainer.current_epoch} (0-based), "
                f"step {self._batch_idx} of the epoch (global step {trainer.global_step}); "
                "lower the learning rate, clip gradients (gradient_clip_val) or check the data for NaN/Inf"
            )


def epoch_seed(seed: int, epoch: int) -> int:
    """A 32-bit seed for ``epoch`` of a run seeded with ``seed`` (independent streams per epoch)."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


class SeedEachEpoch(Callback):
    """Reseed Python, NumPy and torch at the start of every epoch from ``(seed, epoch)``.

    Shuffling (a ``DataLoader`` with ``shuffle=True`` and no ``generator`` draws its order from the
    torch RNG) and dropout then depend on the epoch number only, not on what ran before, so a run
    resumed at epoch ``k`` repeats epoch ``k`` of an uninterrupted run. Under DDP, Lightning's
    ``DistributedSampler`` already shuffles by ``(seed, epoch)``.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        seed = epoch_seed(self.seed, trainer.current_epoch)
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)


def write_metrics_csv(path: str | Path, history: History) -> None:
    """Write ``history`` as CSV, atomically: one row per epoch, ``epoch, loss, ..., val_loss, ..., lr``."""
    columns = ["epoch", *history.history, "lr"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for i, epoch in enumerate(history.epoch):
        lr = history.lr[i] if i < len(history.lr) else ""
        writer.writerow([epoch, *(values[i] for values in history.history.values()), lr])
    atomic_write_text(path, buffer.getvalue())


class CSVMetricsLogger(Callback):
    """Rewrite ``path`` (``run_dir/metrics.csv``) at every epoch end with the whole history so far.

    A resumed run starts from the history saved in its checkpoint, so the file keeps the earlier
    epochs and gains the new ones. Only global rank 0 writes.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        pl_module.finish_epoch()  # collective under DDP: every rank computes
        if trainer.is_global_zero:
            write_metrics_csv(self.path, pl_module.record)


class GradientNormHistory(Callback):
    """The total gradient norm :math:`\\lVert \\nabla_\\theta L \\rVert_2` of every optimizer step,
    read before clipping (Lightning clips after ``on_before_optimizer_step``), in ``.norms``."""

    def __init__(self) -> None:
        self.norms: list[float] = []

    def on_before_optimizer_step(self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: Any) -> None:
        grads = [p.grad.detach().norm() for p in pl_module.parameters() if p.grad is not None]
        self.norms.append(float(torch.stack(grads).norm()) if grads else 0.0)
