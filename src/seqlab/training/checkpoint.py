"""Checkpoints without pickle: safetensors for tensors, JSON for everything else.

At every epoch end, ``RunCheckpoint`` writes ``run_dir/checkpoints/``, one folder holding:

- ``last.safetensors``: the network's ``state_dict()`` (load it with ``net.load_state_dict``);
- ``last.optimizer.safetensors``: the optimizer's state tensors, keys ``state.{param_idx}.{name}``;
- ``last.json``: epoch, global step, the optimizer's ``param_groups`` and non-tensor state, the
  schedule's and early stopping's state, the best score so far and the history so far;
- ``best.safetensors``: the network's weights of the best epoch so far (by the monitored value).

The folder is one unit: each save writes a new folder ``.checkpoints.new``, flushes it, then moves
the current one aside (``.checkpoints.old``), renames the new one into place and only then
deletes the old one. A process killed at any moment leaves a complete checkpoint in
``checkpoints/`` or, between the two renames, in ``.checkpoints.old``; :func:`checkpoint_dir`
finds it. Weights, optimizer state and ``last.json`` can never come from different epochs.

Lightning's own ``.ckpt`` files go through ``torch.save`` (pickle), which can run code when loaded;
nothing here can. Each safetensors file records its epoch in its metadata, so ``load_last`` also
notices files mixed by hand (or by the per-file writes of older seqlab versions).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Checkpoint, EarlyStopping
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as safetensors_bytes

from seqlab.errors import RunDirError, WeightsError
from seqlab.fileio import fsync_dir, read_json, signals_deferred, write_synced
from seqlab.models.io import load_tensors, load_weights

log = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoints"
NEW_DIR, OLD_DIR = ".checkpoints.new", ".checkpoints.old"  # a save in progress; the one it replaces
# What a resumed schedule takes from its checkpoint: how far it got. Its settings (gamma, t_max,
# total steps of a one-cycle run ...) come from the resumed run's config, as for early stopping.
SCHEDULE_PROGRESS = (
    "last_epoch", "_step_count", "_last_lr", "_is_initial", "_get_lr_called_within_step",  # LRScheduler
    "best", "num_bad_epochs", "cooldown_counter",  # ReduceLROnPlateau
)
FORMAT = "seqlab.training.checkpoint/1"


# JSON cannot hold inf/nan (ReduceLROnPlateau keeps `best = inf`); they travel as {"$float": "inf"}.
def to_json(obj: Any) -> Any:
    """``obj`` with tensors as lists, tuples as lists and non-finite floats tagged."""
    if isinstance(obj, torch.Tensor):
        return to_json(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"$float": repr(obj)}
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store {type(obj).__name__} in a checkpoint's JSON")


def from_json(obj: Any) -> Any:
    """Inverse of :func:`to_json` for the tagged floats."""
    if isinstance(obj, dict):
        if set(obj) == {"$float"}:
            return float(obj["$float"])
        return {k: from_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_json(v) for v in obj]
    return obj


def _tensor_file(tensors: dict[str, torch.Tensor], epoch: int) -> bytes:
    # clone: tied weights share storage, which safetensors refuses to write
    flat = {k: v.detach().to("cpu").clone().contiguous() for k, v in tensors.items()}
    return safetensors_bytes(flat, metadata={"format": FORMAT, "epoch": str(epoch)})


def _file_epoch(path: Path) -> int | None:
    try:
        with safe_open(str(path), framework="pt") as fh:
            metadata = fh.metadata() or {}
    except (SafetensorError, OSError) as exc:
        raise WeightsError(f"{path}: not a readable safetensors file ({exc})") from exc
    return int(metadata["epoch"]) if "epoch" in metadata else None


def optimizer_state(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split ``optimizer.state_dict()`` into tensors (``state.{idx}.{name}``) and JSON (the rest)."""
    state_dict = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, param_state in state_dict["state"].items():
        for name, value in param_state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{idx}.{name}"] = value
            else:
                scalars.setdefault(str(idx), {})[name] = value
    return tensors, {"param_groups": to_json(state_dict["param_groups"]), "scalars": to_json(scalars)}


def load_optimizer_state(
    optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict[str, Any]
) -> None:
    """Inverse of :func:`optimizer_state`: rebuild the state dict and load it into ``optimizer``."""
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        _, idx, name = key.split(".", 2)
        state.setdefault(int(idx), {})[name] = value
    for idx, values in from_json(meta["scalars"]).items():
        state.setdefault(int(idx), {}).update(values)
    groups = from_json(meta["param_groups"])
    for saved, current in zip(groups, optimizer.param_groups):
        for key, value in saved.items():  # JSON has no tuples; Adam's betas are one
            if isinstance(current.get(key), tuple) and isinstance(value, list):
                saved[key] = tuple(value)
    optimizer.load_state_dict({"state": state, "param_groups": groups})


@dataclass
class LastCheckpoint:
    """What ``last.*`` hold, read back for a resumed run."""

    path: Path
    meta: dict[str, Any]
    optimizer_tensors: dict[str, torch.Tensor] = field(repr=False)

    @property
    def epochs_completed(self) -> int:
        return int(self.meta["epoch"]) + 1

    @property
    def finished(self) -> bool:
        """Early stopping ended the run (resuming it trains no more epochs)."""
        return bool(self.meta.get("stopped", False))


def checkpoint_dir(run_dir: str | Path) -> Path | None:
    """The complete checkpoint folder of ``run_dir``: ``checkpoints/``, else ``.checkpoints.old``
    (a process killed between the two renames of a save), else None when there is none."""
    for name in (CHECKPOINT_DIR, OLD_DIR):
        folder = Path(run_dir) / name
        if (folder / "last.json").is_file():
            return folder
    return None


def save_unit(run_dir: str | Path, files: dict[str, bytes], keep: tuple[str, ...] = ()) -> Path:
    """Write ``files`` as the new ``run_dir/checkpoints/``, replacing the old folder as one unit.

    ``keep`` names files of the current checkpoint that the new one takes over unchanged
    (hard-linked, or copied where links are not possible). The previous checkpoint stays complete
    until the new one is: see the module docstring.
    """
    run_dir = Path(run_dir)
    current, new, old = run_dir / CHECKPOINT_DIR, run_dir / NEW_DIR, run_dir / OLD_DIR
    previous = checkpoint_dir(run_dir)
    if new.exists():
        shutil.rmtree(new)  # a save that was cut short
    new.mkdir(parents=True)
    for name, data in files.items():
        write_synced(new / name, data)
    for name in keep:
        source = previous / name if previous is not None else None
        if source is not None and source.is_file() and name not in files:
            try:
                os.link(source, new / name)
            except OSError:
                shutil.copy2(source, new / name)
    fsync_dir(new)
    with signals_deferred():
        if old.exists() and current.exists():
            shutil.rmtree(old)  # the leftover of a save killed before its clean-up
        if current.exists():
            os.replace(current, old)
        os.replace(new, current)
        fsync_dir(run_dir)
    shutil.rmtree(old, ignore_errors=True)
    return current


def load_last(run_dir: str | Path, net: torch.nn.Module) -> LastCheckpoint:
    """Load the last checkpoint of ``run_dir``: weights into ``net``, the rest returned.

    Raises:
        RunDirError: there is no checkpoint to resume from.
        WeightsError: the files are unreadable, inconsistent, or do not fit ``net``.
    """
    directory = checkpoint_dir(run_dir)
    if directory is None:
        json_path = Path(run_dir) / CHECKPOINT_DIR / "last.json"
        raise RunDirError(f"{run_dir}: nothing to resume, {json_path} does not exist; train without resume first")
    json_path = directory / "last.json"
    meta = read_json(json_path)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise WeightsError(f"{json_path}: not a seqlab training checkpoint (format {found!r})")
    weights_path, optimizer_path = directory / "last.safetensors", directory / "last.optimizer.safetensors"
    for path in (weights_path, optimizer_path):
        if _file_epoch(path) != meta["epoch"]:
            raise WeightsError(
                f"{path}: holds epoch {_file_epoch(path)} but {json_path} says epoch {meta['epoch']} "
                "(files mixed from two checkpoints); restart the run without resume"
            )
    load_weights(net, weights_path)
    return LastCheckpoint(path=directory, meta=meta, optimizer_tensors=load_tensors(optimizer_path))


def epochs_completed(run_dir: str | Path) -> int | None:
    """How many epochs the last checkpoint of ``run_dir`` holds (None without one)."""
    directory = checkpoint_dir(run_dir)
    if directory is None:
        return None
    try:
        return int(read_json(directory / "last.json")["epoch"]) + 1
    except (WeightsError, KeyError, TypeError, ValueError, OSError):
        return None


# Run folders whose training resumes from their own checkpoint when there is one: set by
# ``tasks.rundir.staged_run(resume=True)`` around a task's training, which reaches ``engine.fit``
# through the task's own code; ``fit(resume=True)`` says the same for one call.
_RESUME_IN: ContextVar[tuple[Path, ...]] = ContextVar("seqlab_resume_in", default=())


@contextlib.contextmanager
def resuming(run_dir: str | Path) -> Iterator[None]:
    """Within the block, ``engine.fit`` into ``run_dir`` continues from its checkpoint if it has one
    (and starts afresh if it has none: a run killed in its first epoch)."""
    token = _RESUME_IN.set((*_RESUME_IN.get(), Path(run_dir).resolve()))
    try:
        yield
    finally:
        _RESUME_IN.reset(token)


def resume_requested(run_dir: str | Path | None) -> bool:
    """Whether a :func:`resuming` block covers ``run_dir`` and it holds a checkpoint."""
    if run_dir is None or Path(run_dir).resolve() not in _RESUME_IN.get():
        return False
    return checkpoint_dir(run_dir) is not None


class RunCheckpoint(Checkpoint):
    """Save ``last.*`` every epoch and ``best.safetensors`` on improvement; restore state on resume.

    It subclasses Lightning's ``Checkpoint`` so that Lightning runs it after ``EarlyStopping`` and
    after the module's ``on_train_epoch_end``: the saved state then includes this epoch's metrics
    and early stopping's decision. With ``run_dir=None`` nothing is written, but the best weights
    are still tracked in memory when ``keep_best`` is set (for ``restore_best_weights``). Only
    global rank 0 writes.

    Args:
        run_dir: the run directory (files go to ``run_dir/checkpoints/``), or None.
        monitor: the History key that decides "best" (``val_loss``, ``loss``, ``val_accuracy`` ...).
        mode: ``"min"`` or ``"max"``.
        min_delta: how much better than the best a value must be to count as an improvement.
        keep_best: keep a CPU copy of the best weights in memory.
        early_stopping: the run's EarlyStopping, whose state is saved and restored.
        resume_from: the checkpoint of a resumed run; optimizer, schedule and early stopping
            state are loaded into the trainer's objects when training starts (the schedule's and
            early stopping's settings stay those of the resumed run's config).
    """

    def __init__(
        self,
        run_dir: str | Path | None,
        monitor: str,
        mode: str = "min",
        min_delta: float = 0.0,
        keep_best: bool = False,
        early_stopping: EarlyStopping | None = None,
        resume_from: LastCheckpoint | None = None,
    ) -> None:
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.monitor, self.mode, self.min_delta = monitor, mode, min_delta
        self.keep_best = keep_best
        self.early_stopping = early_stopping
        self.resume_from = resume_from
        self.best_score: float | None = None
        self.best_epoch: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        # the attribute Lightning's launchers read on checkpoint callbacks: where the best weights are
        self.best_model_path = ""
        if resume_from is not None:
            self.best_score = resume_from.meta.get("best_score")
            self.best_epoch = resume_from.meta.get("best_epoch")
            if (resume_from.path / "best.safetensors").exists():
                self.best_model_path = str(resume_from.path / "best.safetensors")

    def best_weights(self) -> dict[str, torch.Tensor] | None:
        """The best weights: the in-memory copy of this run, else ``best.safetensors``, else None."""
        if self.best_state is not None:
            return self.best_state
        if self.best_model_path:
            return load_tensors(self.best_model_path)
        return None

    def _improved(self, score: float) -> bool:
        if not math.isfinite(score):
            return False
        if self.best_score is None:
            return True
        if self.mode == "min":
            return score < self.best_score - self.min_delta
        return score > self.best_score + self.min_delta

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.resume_from is None:
            return
        meta = self.resume_from.meta
        load_optimizer_state(trainer.optimizers[0], self.resume_from.optimizer_tensors, meta["optimizer"])
        if meta.get("scheduler") is not None and trainer.lr_scheduler_configs:
            scheduler = trainer.lr_scheduler_configs[0].scheduler
            saved = from_json(meta["scheduler"])
            progress = {k: saved[k] for k in SCHEDULE_PROGRESS if k in saved}
            scheduler.load_state_dict({**scheduler.state_dict(), **progress})
        if meta.get("early_stopping") is not None and self.early_stopping is not None:
            state = from_json(meta["early_stopping"])
            self.early_stopping.load_state_dict({
                **state,
                "best_score": torch.tensor(state["best_score"]),
                "patience": self.early_stopping.patience,  # the config of this run wins
            })

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        logs = pl_module.finish_epoch()
        epoch = trainer.current_epoch
        net = pl_module.net
        score = logs.get(self.monitor)
        improved = score is not None and self._improved(score)
        if improved:
            self.best_score, self.best_epoch = score, epoch
            if self.keep_best:
                self.best_state = {k: v.detach().to("cpu").clone() for k, v in net.state_dict().items()}
        if self.run_dir is None or not trainer.is_global_zero:
            return
        weights = _tensor_file(net.state_dict(), epoch)
        optimizer_tensors, optimizer_meta = optimizer_state(trainer.optimizers[0])
        scheduler = trainer.lr_scheduler_configs[0].scheduler if trainer.lr_scheduler_configs else None
        early = self.early_stopping.state_dict() if self.early_stopping is not None else None
        record = pl_module.record
        meta = {
            "format": FORMAT,
            "epoch": epoch,
            "global_step": trainer.global_step,
            "stopped": bool(trainer.should_stop),
            "monitor": self.monitor,
            "mode": self.mode,
            "best_score": self.best_score,
            "best_epoch": self.best_epoch,
            "optimizer": optimizer_meta,
            "scheduler": to_json(scheduler.state_dict()) if scheduler is not None else None,
            "early_stopping": to_json(early) if early is not None else None,
            "history": to_json(record.history),
            "epochs": record.epoch,
            "lr": to_json(record.lr),
        }
        files = {
            "last.safetensors": weights,
            "last.optimizer.safetensors": _tensor_file(optimizer_tensors, epoch),
            "last.json": (json.dumps(meta, indent=2) + "\n").encode("utf-8"),
        }
        if improved:
            files["best.safetensors"] = weights
        directory = save_unit(self.run_dir, files, keep=("best.safetensors",))
        if (directory / "best.safetensors").exists():
            self.best_model_path = str(directory / "best.safetensors")
        log.debug("epoch %d: checkpoint written to %s", epoch, directory)
