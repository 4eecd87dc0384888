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
- with a ``run_dir``: ``metrics.csv`` and pickle-free checkpoints (``checkpoint.RunCheckpoint``,
  one folder replaced as a unit each epoch), and ``resume=True`` continues from
  ``run_dir/checkpoints/last.*`` (so does a task run resumed by ``tasks.rundir.staged_run``);
- a stop by SIGTERM or Ctrl-C is an error, not a success: Lightning ends a SIGTERM'd fit with exit
  status 0 and turns Ctrl-C into ``sys.exit(1)``; ``fit`` raises ``SystemExit(143)`` and
  ``KeyboardInterrupt`` instead, after saying which checkpoint is kept;
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
import signal
import threading
from datetime import timedelta
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.fabric.utilities.apply_func import move_data_to_device
from lightning.pytorch.callbacks import Callback, EarlyStopping, RichProgressBar
from lightning.pytorch.utilities.exceptions import SIGTERMException
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from seqlab.errors import ConfigError, DataError
from seqlab.training.callbacks import (
    CSVMetricsLogger,
    NonFiniteLossGuard,
    ResetStates,
    SeedEachEpoch,
    reset_states,
)
from seqlab.training.checkpoint import (
    LastCheckpoint,
    RunCheckpoint,
    checkpoint_dir,
    from_json,
    load_last,
    resume_requested,
)
from seqlab.training.config import OptimizerConfig, TrainConfig
from seqlab.training.losses import get_loss
from seqlab.training.metrics import build_metrics
from seqlab.training.module import History, SeqlabModule, device_of

log = logging.getLogger(__name__)


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


@contextlib.contextmanager
def _interruptions_raised(run_dir: Path | None) -> Iterator[None]:
    """Turn Lightning's ways of ending a fit on a signal into errors that say what was kept.

    On SIGTERM Lightning finishes the step and raises ``SIGTERMException``, a ``SystemExit`` with
    no status (the process would exit 0); on Ctrl-C it calls ``sys.exit(1)`` and leaves SIGINT
    ignored. Here they become ``SystemExit(143)`` and ``KeyboardInterrupt``, with SIGINT restored.
    """
    main = threading.current_thread() is threading.main_thread()
    sigint = signal.getsignal(signal.SIGINT) if main else None
    try:
        yield
    except SIGTERMException:
        log.warning("training stopped by SIGTERM%s", _kept(run_dir))
        raise SystemExit(143) from None
    except SystemExit as exc:
        if not isinstance(exc.__context__, KeyboardInterrupt):
            raise
        if main and sigint is not None:
            signal.signal(signal.SIGINT, sigint)
        log.warning("training interrupted (SIGINT)%s", _kept(run_dir))
        raise KeyboardInterrupt from None


def _kept(run_dir: Path | None) -> str:
    folder = checkpoint_dir(run_dir) if run_dir is not None else None
    if folder is None:
        return "; no epoch had finished, so there is no checkpoint to resume from"
    return f"; the checkpoint of the last finished epoch is kept in {folder} (resume continues from it)"


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
    resume = resume or resume_requested(run_dir)  # a task run resumed through tasks.rundir.staged_run

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
        engine_callbacks: list[Callback] = [NonFiniteLossGuard(), ResetStates()]
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
                max_time=None if config.max_time_s is None else timedelta(seconds=config.max_time_s),
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
            with _interruptions_raised(run_dir):
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
    reset_states(net)
    try:
        return module.evaluate_loader(loader)
    finally:
        reset_states(net)


@torch.no_grad()
def predict(net: nn.Module, loader: Iterable[Any]) -> Tensor:
    """``net``'s outputs over ``loader``, concatenated along the batch axis, on the CPU.

    The loader yields ``x`` or ``(x, y)`` (``y`` is ignored; a multi-input ``x`` must then be
    wrapped: ``((x1, x2), y)``). The network runs in eval mode and goes back to its mode after.
    """
    device = device_of(net)
    was_training = net.training
    net.eval()
    reset_states(net)
    try:
        outputs = []
        for batch in loader:
            x = batch[0] if isinstance(batch, (tuple, list)) else batch
            outputs.append(net(move_data_to_device(x, device)).cpu())
    finally:
        net.train(was_training)
        reset_states(net)
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
