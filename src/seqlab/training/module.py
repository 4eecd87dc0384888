"""``SeqlabModule``: any network plus its loss, metrics and optimizer, as one LightningModule.

The engine (``engine.py``) builds the Trainer around it; no task writes its own module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import lightning as L
import torch
import torchmetrics
from lightning.fabric.utilities.apply_func import move_data_to_device
from torch import Tensor, nn

from seqlab.errors import DataError
from seqlab.training.config import OptimizerConfig, ScheduleConfig
from seqlab.training.optim import build_optimizer, build_scheduler

log = logging.getLogger(__name__)


@dataclass
class History:
    """Keras' History: ``history[key]`` holds one value per epoch, ``epoch`` the 0-based epoch numbers.

    Keys are ``loss``, each metric, and ``val_loss`` / ``val_<metric>`` when there is validation
    data. ``lr`` holds the learning rate each epoch started with (the ``lr`` column of
    ``metrics.csv``; Keras logs the same as ``learning_rate`` when a schedule runs).
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)


def device_of(net: nn.Module) -> torch.device:
    """The device of ``net``'s first parameter (the CPU for a network without parameters)."""
    param = next(iter(net.parameters()), None)
    return param.device if param is not None else torch.device("cpu")


def _split(batch: Any) -> tuple[Any, Tensor]:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    what = type(batch).__name__
    if isinstance(batch, (tuple, list)):
        what = f"a {what} of length {len(batch)}"
    raise DataError(f"training and evaluation batches must be (x, y) pairs, got {what}; yield (x, y) from the loader")


def _batch_size(y: Tensor) -> int:
    return int(y.shape[0]) if y.dim() > 0 else 1


class SeqlabModule(L.LightningModule):
    """Any network plus loss, metrics and optimizer, as one LightningModule.

    Args:
        net: an ``nn.Module`` with ``forward(x) -> y_pred``.
        loss_fn: ``(y_pred, y_true) -> scalar`` (see :func:`~seqlab.training.losses.get_loss`).
        metrics: name -> torchmetrics Metric (see :func:`~seqlab.training.metrics.build_metrics`);
            the module keeps one copy for training and one for validation.
        optimizer: the optimizer config.
        schedule: the learning-rate schedule config, or None.
        plateau_monitor: the History key a ``plateau`` schedule watches.

    Each epoch logs ``loss`` and the metrics of the training batches, and ``val_loss`` /
    ``val_<metric>`` of the validation batches, as epoch means (the loss weighted by batch size,
    as Keras does); :meth:`finish_epoch` appends them to :attr:`record`.
    """

    def __init__(
        self,
        net: nn.Module,
        loss_fn: Callable[[Tensor, Tensor], Tensor],
        metrics: dict[str, torchmetrics.Metric],
        optimizer: OptimizerConfig,
        schedule: ScheduleConfig | None = None,
        plateau_monitor: str = "val_loss",
    ) -> None:
        super().__init__()
        self.net = net
        self.loss_fn = loss_fn
        self.optimizer_config = optimizer
        self.schedule_config = schedule
        self.plateau_monitor = plateau_monitor
        # nan_strategy="disable": a NaN loss must show as NaN, not be dropped with a warning
        self.train_loss = torchmetrics.MeanMetric(nan_strategy="disable")
        self.val_loss = torchmetrics.MeanMetric(nan_strategy="disable")
        self.train_metrics = nn.ModuleDict({name: m.clone() for name, m in metrics.items()})
        self.val_metrics = nn.ModuleDict({name: m.clone() for name, m in metrics.items()})
        self.record = History()
        self._val_logs: dict[str, float] = {}
        self._finished: tuple[int, dict[str, float]] | None = None
        self._epoch_lr = float("nan")

    def forward(self, x: Any) -> Tensor:
        return self.net(x)

    # -- steps ------------------------------------------------------------------------------

    def _meters(self, stage: str) -> tuple[torchmetrics.MeanMetric, nn.ModuleDict]:
        if stage == "train":
            return self.train_loss, self.train_metrics
        return self.val_loss, self.val_metrics

    def _step(self, batch: Any, stage: str) -> Tensor:
        x, y = _split(batch)
        y_pred = self.net(x)
        loss = self.loss_fn(y_pred, y)
        meter, metrics = self._meters(stage)
        # one entry per sample, so the epoch loss is the per-sample mean (Keras weights by batch size);
        # not weight=: MeanMetric ignores it when nan_strategy="disable" (torchmetrics 1.9)
        meter.update(loss.detach().expand(_batch_size(y)))
        for metric in metrics.values():
            metric.update(y_pred.detach(), y)
        return loss

    def _compute(self, stage: str) -> dict[str, float]:
        """Epoch values of ``stage``'s meters (synchronised across processes), then reset them."""
        meter, metrics = self._meters(stage)
        logs = {"loss": float(meter.compute())}
        logs.update({name: float(metric.compute()) for name, metric in metrics.items()})
        meter.reset()
        for metric in metrics.values():
            metric.reset()
        return logs

    def training_step(self, batch: Any, batch_idx: int) -> Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self._step(batch, "val")

    # -- epoch ends -------------------------------------------------------------------------

    def on_train_epoch_start(self) -> None:
        # read now: Lightning steps epoch-wise schedules right after the last batch, before epoch end
        self._epoch_lr = float(self.trainer.optimizers[0].param_groups[0]["lr"])

    def on_validation_epoch_end(self) -> None:
        self._val_logs = {f"val_{k}": v for k, v in self._compute("val").items()}
        self.log_dict(self._val_logs, prog_bar=True, sync_dist=True)

    def finish_epoch(self) -> dict[str, float]:
        """This epoch's values (``loss``, metrics, ``val_*``), computed and recorded once per epoch.

        Callbacks call it from their ``on_train_epoch_end`` (which Lightning runs before the
        module's), the module calls it from its own; whoever comes first computes. Under DDP
        every rank must call it, since computing synchronises the metrics.
        """
        epoch = self.current_epoch
        if self._finished is not None and self._finished[0] == epoch:
            return self._finished[1]
        logs = {**self._compute("train"), **self._val_logs}
        self._val_logs = {}
        for key, value in logs.items():
            self.record.history.setdefault(key, []).append(value)
        self.record.epoch.append(epoch)
        self.record.lr.append(self._epoch_lr)
        self._finished = (epoch, logs)
        if self.trainer.is_global_zero:
            log.info("epoch %d: %s", epoch, ", ".join(f"{k}={v:.6g}" for k, v in logs.items()))
        return logs

    def on_train_epoch_end(self) -> None:
        logs = self.finish_epoch()
        self.log_dict({k: v for k, v in logs.items() if not k.startswith("val_")}, prog_bar=True, sync_dist=True)

    # -- optimizers -------------------------------------------------------------------------

    def configure_optimizers(self) -> Any:
        optimizer = build_optimizer(self.net.parameters(), self.optimizer_config)
        if self.schedule_config is None:
            return optimizer
        epochs = max(1, self.trainer.max_epochs or 1)
        steps_per_epoch = 1
        if self.schedule_config.name == "onecycle":  # needs the loader's length on this device
            steps_per_epoch = max(1, int(self.trainer.estimated_stepping_batches) // epochs)
        scheduler = build_scheduler(
            optimizer, self.schedule_config, steps_per_epoch, epochs, monitor=self.plateau_monitor
        )
        return {"optimizer": optimizer, "lr_scheduler": scheduler}

    # -- evaluation without a Trainer --------------------------------------------------------

    @torch.no_grad()
    def evaluate_loader(self, loader: Iterable[Any]) -> dict[str, float]:
        """Loss and metrics of the network over ``loader`` in eval mode: ``{"loss": ..., "mae": ...}``."""
        device = device_of(self.net)
        self.val_loss.to(device)
        self.val_metrics.to(device)
        was_training = self.net.training
        self.net.eval()
        try:
            batches = 0
            for batches, batch in enumerate(loader, start=1):
                self._step(move_data_to_device(batch, device), "val")
            if not batches:
                raise DataError("evaluate: the loader yielded no batches")
            return self._compute("val")
        finally:
            self.net.train(was_training)
