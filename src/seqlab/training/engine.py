"""The engine: one LightningModule for every network, and ``fit`` / ``evaluate`` / ``predict``.

``SeqlabModule`` wraps any ``nn.Module`` whose ``forward(x)`` returns ``y_pred``, with a loss, a
set of metrics and an optimizer (and schedule) config; batches are ``(x, y)`` pairs. ``fit``
builds the Lightning ``Trainer`` from a :class:`~seqlab.training.config.TrainConfig` and returns
a Keras-style :class:`History`.

What ``fit`` adds to Lightning:

- quiet by default: no banners, no model summary, no progress bar unless ``config.progress``;
- seeding: ``lightning.seed_everything(config.seed)`` and a reseed from ``(seed, epoch)`` at the
  start of every epoch (``SeedEachEpoch``), so a resumed run repeats the uninterrupted one;
- a NaN/Inf training loss raises :class:`~seqlab.errors.NonFiniteLossError` (epoch and step);
- with a ``run_dir``: ``metrics.csv`` and pickle-free checkpoints (``checkpoint.RunCheckpoint``),
  and ``resume=True`` continues from ``run_dir/checkpoints/last.*``;
- with early stopping configured, the weights of the best epoch are put back into ``net`` at the
  end (Keras ``restore_best_weights=True``).

Example:
    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> x, y = torch.randn(64, 3), torch.randn(64, 1)
    >>> loader = DataLoader(TensorDataset(x, y), batch_size=16)
    >>> net = torch.nn.Linear(3, 1)
    >>> h = fit(net, loss="mse", metrics=["mae"], optimizer=OptimizerConfig(lr=0.01),
    ...         train_loader=loader, config=TrainConfig(epochs=2, accelerator="cpu"))
    >>> sorted(h.history), h.epoch
    (['loss', 'mae'], [0, 1])
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import torch
import torchmetrics
from lightning.fabric.utilities.apply_func import move_data_to_device
from lightning.pytorch.callbacks import Callback, EarlyStopping, RichProgressBar
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from seqlab.errors import ConfigError, DataError
from seqlab.training.callbacks import CSVMetricsLogger, NonFiniteLossGuard, SeedEachEpoch
from seqlab.training.checkpoint import LastCheckpoint, RunCheckpoint, from_json, load_last
from seqlab.training.config import OptimizerConfig, ScheduleConfig, TrainConfig
from seqlab.training.losses import get_loss
from seqlab.training.metrics import build_metrics
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
        device = _device_of(self.net)
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


def _device_of(net: nn.Module) -> torch.device:
    param = next(iter(net.parameters()), None)
    return param.device if param is not None else torch.device("cpu")


@contextlib.contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Silence Lightning's info banners and data-loader advice for the duration of a call."""
    loggers = [logging.getLogger(name) for name in ("lightning.pytorch", "lightning.fabric")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
            warnings.filterwarnings("ignore", message=r".*is smaller than the logging interval.*")
            warnings.filterwarnings("ignore", message=r".*`validation_step` but have no `val_dataloader`.*")
            warnings.filterwarnings("ignore", message=r".*available but not used.*")  # accelerator="cpu" on a GPU host
            # torch deprecates a pytree class that Lightning still builds for each step's outputs
            warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*", category=FutureWarning)
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


@contextlib.contextmanager
def _keep_torch_flags() -> Iterator[None]:
    """Undo the process-wide flags ``Trainer(deterministic=True)`` sets, once fit is done."""
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    benchmark = torch.backends.cudnn.benchmark
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.backends.cudnn.benchmark = benchmark


def _continue_from(trainer: L.Trainer, epochs_completed: int, global_step: int) -> None:
    """Make a fresh Trainer start at epoch ``epochs_completed`` with ``global_step`` steps taken.

    Lightning restores these counters only from its own pickled ``.ckpt``; we set them directly.
    """
    progress = trainer.fit_loop.epoch_progress
    for counter in (progress.total, progress.current):
        counter.ready = counter.started = counter.processed = counter.completed = epochs_completed
    steps = trainer.fit_loop.epoch_loop.automatic_optimization.optim_progress.optimizer.step.total
    steps.ready = steps.completed = global_step
    trainer.fit_loop.epoch_loop._batches_that_stepped = global_step


def _history_keys(metrics: list[str], validation: bool) -> list[str]:
    keys = ["loss", *metrics]
    return keys + [f"val_{k}" for k in keys] if validation else keys


def fit(
    net: nn.Module,
    *,
    loss: str,
    metrics: list[str],
    optimizer: OptimizerConfig,
    train_loader: Iterable[Any],
    val_loader: Iterable[Any] | None = None,
    config: TrainConfig,
    run_dir: str | Path | None = None,
    callbacks: list[Callback] | None = None,
    resume: bool = False,
    from_logits: bool = False,
) -> History:
    """Train ``net`` in place with Lightning and return its History.

    Args:
        net: the network; trained in place.
        loss: a loss name from :data:`~seqlab.training.losses.LOSSES`.
        metrics: metric names (``accuracy``, ``mae``, ``mse``, ``rmse``).
        optimizer: the optimizer config.
        train_loader: yields ``(x, y)`` batches.
        val_loader: yields ``(x, y)`` batches, evaluated at the end of every epoch; optional.
        config: epochs, clipping, early stopping, schedule, seed, devices, progress bar.
        run_dir: where ``metrics.csv`` and ``checkpoints/`` go; None writes nothing.
        callbacks: more Lightning callbacks.
        resume: continue from ``run_dir/checkpoints/last.*`` (weights, optimizer, schedule, early
            stopping, history) up to ``config.epochs``; a finished run trains no more epochs. With
            a seed and loaders that shuffle from the torch RNG, the resumed run repeats the
            uninterrupted one.
        from_logits: the network outputs logits (crossentropy losses and accuracy).

    Returns:
        The History of the whole run (including the epochs before a resume).

    Raises:
        ConfigError: an unknown loss or metric, an early-stopping monitor that is never logged,
            ``resume`` without ``run_dir``.
        NonFiniteLossError: the training loss became NaN/Inf (the message names epoch and step).
        RunDirError, WeightsError: ``resume`` found no checkpoint, or one that does not fit.

    With early stopping configured, the weights of the best epoch (by the early-stopping
    monitor) are loaded back into ``net`` when training ends, as Keras'
    ``EarlyStopping(restore_best_weights=True)`` does; without it ``net`` keeps the last weights.
    """
    loss_fn = get_loss(loss, from_logits=from_logits)
    metric_objects = build_metrics(metrics, loss, from_logits=from_logits)
    keys = _history_keys(metrics, validation=val_loader is not None)
    early = config.early_stopping
    if early is not None and early.monitor not in keys:
        raise ConfigError(
            f"early_stopping.monitor: {early.monitor!r} is not logged by this run; choose one of {', '.join(keys)}"
        )
    default_monitor = "val_loss" if val_loader is not None else "loss"
    if resume and run_dir is None:
        raise ConfigError("resume=True needs the run_dir to resume from")
    run_dir = Path(run_dir) if run_dir is not None else None

    last: LastCheckpoint | None = load_last(run_dir, net) if resume else None
    module = SeqlabModule(net, loss_fn, metric_objects, optimizer, config.lr_schedule, plateau_monitor=default_monitor)
    if last is not None:
        module.record = History(
            history={k: list(v) for k, v in from_json(last.meta["history"]).items()},
            epoch=list(last.meta["epochs"]),
            lr=list(from_json(last.meta["lr"])),
        )
        if list(module.record.history) != keys:
            raise ConfigError(
                f"resume: {run_dir} was trained with {', '.join(module.record.history)}, this run logs "
                f"{', '.join(keys)}; resume with the same loss, metrics and validation data"
            )

    early_stopping = (
        EarlyStopping(monitor=early.monitor, patience=early.patience, min_delta=early.min_delta, mode=early.mode)
        if early is not None
        else None
    )
    checkpoint = RunCheckpoint(
        run_dir,
        monitor=early.monitor if early is not None else default_monitor,
        mode=early.mode if early is not None else "min",
        min_delta=early.min_delta if early is not None else 0.0,
        keep_best=early is not None,
        early_stopping=early_stopping,
        resume_from=last,
    )
    start_epoch = last.epochs_completed if last is not None else 0
    if last is not None and (last.finished or start_epoch >= config.epochs):
        log.info("resume: %s already finished at epoch %d; nothing to train", run_dir, start_epoch - 1)
    else:
        engine_callbacks: list[Callback] = [NonFiniteLossGuard()]
        if config.seed is not None:
            engine_callbacks.append(SeedEachEpoch(config.seed))
        if early_stopping is not None:
            engine_callbacks.append(early_stopping)
        if run_dir is not None:
            engine_callbacks.append(CSVMetricsLogger(run_dir / "metrics.csv"))
        if config.progress:
            # rich redraws are costly on small CPU steps: ~10 redraws a second, not one per step
            engine_callbacks.append(RichProgressBar(refresh_rate=25))
        engine_callbacks.append(checkpoint)
        with _quiet_lightning(), _keep_torch_flags():
            if config.seed is not None:
                L.seed_everything(config.seed, workers=True, verbose=False)
            trainer = L.Trainer(
                max_epochs=config.epochs,
                accelerator=config.accelerator,
                devices=config.devices,
                strategy=config.strategy,
                gradient_clip_val=config.gradient_clip_val,
                gradient_clip_algorithm=config.gradient_clip_algorithm if config.gradient_clip_val else None,
                deterministic=True if config.deterministic else None,
                callbacks=[*engine_callbacks, *(callbacks or [])],
                logger=False,
                enable_checkpointing=True,  # our RunCheckpoint is the checkpoint callback
                enable_progress_bar=config.progress,
                enable_model_summary=False,
                num_sanity_val_steps=0,
                default_root_dir=run_dir,
            )
            if last is not None:
                _continue_from(trainer, start_epoch, int(last.meta["global_step"]))
            trainer.fit(module, train_dataloaders=train_loader, val_dataloaders=val_loader)

    if early is not None:
        best = checkpoint.best_weights()
        if best is not None:
            net.load_state_dict(best)
            log.info("restored the weights of epoch %s (%s=%.6g)",
                     checkpoint.best_epoch, checkpoint.monitor, checkpoint.best_score)
    return module.record


def evaluate(
    net: nn.Module, *, loss: str, metrics: list[str], loader: Iterable[Any], from_logits: bool = False
) -> dict[str, float]:
    """Loss and metrics of ``net`` over ``loader`` (``(x, y)`` batches), in eval mode, without gradients.

    Returns:
        ``{"loss": ..., "<metric>": ...}``; the loss is the mean over samples.
    """
    loss_fn = get_loss(loss, from_logits=from_logits)
    module = SeqlabModule(net, loss_fn, build_metrics(metrics, loss, from_logits), OptimizerConfig())
    return module.evaluate_loader(loader)


@torch.no_grad()
def predict(net: nn.Module, loader: Iterable[Any]) -> Tensor:
    """``net``'s outputs over ``loader``, concatenated along the batch axis, on the CPU.

    The loader yields ``x`` or ``(x, y)`` (``y`` is ignored; a multi-input ``x`` must then be
    wrapped: ``((x1, x2), y)``). The network runs in eval mode and goes back to its mode after.
    """
    device = _device_of(net)
    was_training = net.training
    net.eval()
    try:
        outputs = []
        for batch in loader:
            x = batch[0] if isinstance(batch, (tuple, list)) else batch
            outputs.append(net(move_data_to_device(x, device)).cpu())
    finally:
        net.train(was_training)
    if not outputs:
        raise DataError("predict: the loader yielded no batches")
    return torch.cat(outputs)


def make_loader(dataset: Dataset, config: TrainConfig, *, train: bool = True) -> DataLoader:
    """A DataLoader with the config's ``batch_size`` and ``num_workers``, shuffled if ``train and config.shuffle``.

    It draws its order from the torch RNG (no private generator), which ``fit`` reseeds every
    epoch, so shuffled runs are reproducible and resumable.
    """
    return DataLoader(
        dataset,
        batch_size=config.batch_size,
        shuffle=train and config.shuffle,
        num_workers=config.num_workers,
    )
