"""``Sequential``'s Keras surface: ``compile``, ``fit``, ``evaluate`` and ``predict`` on the one engine.

A :class:`~seqlab.models.Sequential` is a network: layers, masks, building, saving. What Keras puts
on the model besides (``compile``, ``fit``, ``evaluate``, ``predict``) is training, and lives here:
arrays to loaders (``validation_split`` as Keras holds it out), the checks that fail before a
single step (targets that do not fit the last layer, a stateful model given shuffled batches),
and the calls into :mod:`seqlab.training.engine`.

The model's methods stay the public API and are one line each: they hand themselves to
``Sequential.trainer``, which is a :class:`SequentialTrainer` unless a user sets another. A model
names its trainer by ``"module:attribute"`` and never imports this package (the import contract,
``tests/test_import_contract.py``): building and running a network never loads Lightning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pydantic
import torch
from torch import nn
from torch.utils.data import DataLoader, RandomSampler

from seqlab.errors import ConfigError, DataError, ShapeError, describe_validation
from seqlab.models.sequential import TensorBatches
from seqlab.training.config import OptimizerConfig, TrainConfig
from seqlab.training.losses import get_loss
from seqlab.training.metrics import build_metrics

DEFAULT_BATCH = 256  # evaluate's and predict's batch, as Keras'


class SequentialTrainer:
    """Compiles, fits, evaluates and predicts with a ``Sequential`` through the Lightning engine.

    Stateless: what a model was compiled with is ``model.compile_config``; the batch size a
    stateful model streams in is ``model.stream_batch_size``, set by ``fit``.
    """

    def compile(self, model: nn.Module, optimizer: str | dict = "adam", loss: str = "mse",
                metrics: Sequence[str] | None = None, learning_rate: float | None = None,
                from_logits: bool = False) -> dict[str, Any]:
        """The validated ``compile_config`` of ``Sequential.compile``: unknown optimizers, losses or
        metrics fail here, naming the argument."""
        opt = {"name": optimizer} if isinstance(optimizer, str) else dict(optimizer)
        if learning_rate is not None:
            opt["lr"] = learning_rate
        opt = _validated(OptimizerConfig, opt, "compile: optimizer").model_dump()
        get_loss(loss, from_logits=from_logits)  # fail now on an unknown loss
        build_metrics(list(metrics or []), loss)
        return {"optimizer": opt, "loss": loss, "metrics": list(metrics or []), "from_logits": from_logits}

    def fit(self, model, x=None, y=None, batch_size: int = 32, epochs: int = 1, validation_data=None,
            validation_split: float = 0.0, callbacks: list | None = None, shuffle: bool = True,
            verbose: int = 0, run_dir: str | Path | None = None, resume: bool = False, **train_options):
        """``Sequential.fit`` (see there); returns the engine's ``History``."""
        from lightning.pytorch.callbacks import Callback

        from seqlab.training import engine

        cfg = _require_compiled(model, "fit")
        options = {"epochs": epochs, "batch_size": batch_size, "shuffle": shuffle,
                   "progress": bool(verbose), **train_options}
        config = _validated(TrainConfig, options, "fit")
        stateful = model.stateful_label()
        shuffled = isinstance(x.sampler, RandomSampler) if isinstance(x, DataLoader) else config.shuffle
        if stateful and shuffled:
            raise ConfigError(f"fit: {stateful} is stateful, so batches must come in stream order: "
                              "pass shuffle=False (seqlab.data.streams.stream_chunks lays a stream out "
                              "for it)")
        if stateful:
            model.stream_batch_size = config.batch_size  # evaluate and predict stream alike
        if callbacks is not None and not all(isinstance(c, Callback) for c in callbacks):
            bad = next(type(c).__name__ for c in callbacks if not isinstance(c, Callback))
            raise ConfigError(f"fit: callbacks must be lightning Callback instances, got {bad}")
        train, val = _fit_loaders(model, x, y, validation_data, validation_split, config)
        if model.input_shape is None and config.seed is not None:
            torch.manual_seed(config.seed)  # the seed covers the initial weights too
        model.build_from(train)
        _check_targets(model, train, cfg)
        return engine.fit(
            model, loss=cfg["loss"], metrics=cfg["metrics"], optimizer=OptimizerConfig(**cfg["optimizer"]),
            train_loader=train, val_loader=val, config=config, run_dir=run_dir,
            callbacks=callbacks, resume=resume, from_logits=cfg["from_logits"])

    def evaluate(self, model, x=None, y=None, batch_size: int | None = None) -> dict[str, float]:
        """``Sequential.evaluate`` (see there)."""
        from seqlab.training import engine

        cfg = _require_compiled(model, "evaluate")
        loader = x if isinstance(x, DataLoader) else \
            _loader(x, y, _batch_size_for(model, x, batch_size, "evaluate"), shuffle=False)
        model.build_from(loader)
        return engine.evaluate(model, loss=cfg["loss"], metrics=cfg["metrics"], loader=loader,
                               from_logits=cfg["from_logits"])

    def predict(self, model, x, batch_size: int | None = None) -> np.ndarray:
        """``Sequential.predict`` (see there)."""
        from seqlab.training import engine

        loader = x if isinstance(x, DataLoader) else \
            _loader(x, None, _batch_size_for(model, x, batch_size, "predict"), shuffle=False)
        model.build_from(loader)
        return engine.predict(model, loader).cpu().numpy()


def _require_compiled(model, what: str) -> dict:
    if model.compile_config is None:
        raise ConfigError(f"{what}: call compile(optimizer, loss, metrics) first")
    return model.compile_config


def _batch_size_for(model, x, batch_size: int | None, what: str) -> int:
    """256 by default; a stateful model streams in batches of one fixed size that divides x."""
    stateful = model.stateful_label()
    if stateful is None:
        return DEFAULT_BATCH if batch_size is None else batch_size
    batch_size = batch_size or model.stream_batch_size
    if batch_size is None:
        raise ConfigError(f"{what}: {stateful} is stateful: pass the batch_size the stream was laid "
                          "out for (seqlab.data.streams.stream_chunks)")
    _check_stream(len(x), batch_size, what, stateful)
    return batch_size


def _fit_loaders(model, x, y, validation_data, validation_split, config: TrainConfig):
    if isinstance(x, DataLoader):
        if validation_split:
            raise ConfigError("fit: `validation_split` needs arrays; with a DataLoader pass validation_data")
        val = validation_data if isinstance(validation_data, DataLoader) or validation_data is None \
            else _loader(*validation_data, config.batch_size, shuffle=False)
        return x, val
    x, y = _tensor(x, "x"), _tensor(y, "y")
    if len(x) != len(y):
        raise DataError(f"fit: x has {len(x)} samples but y has {len(y)}")
    stateful = model.stateful_label()
    if validation_data is None and validation_split:
        if not 0.0 < validation_split < 1.0:
            raise ConfigError(f"fit: `validation_split` must be in (0, 1), got {validation_split}")
        held_out = int(round(len(x) * validation_split))
        if stateful:  # whole batches of streams: row b still continues row b
            held_out -= held_out % config.batch_size
        cut = len(x) - held_out
        if cut < 1 or cut >= len(x):
            raise DataError(f"fit: validation_split={validation_split} leaves an empty split of {len(x)} samples")
        validation_data = (x[cut:], y[cut:])
        x, y = x[:cut], y[:cut]
    if stateful:
        _check_stream(len(x), config.batch_size, "fit", stateful)
    train = _loader(x, y, config.batch_size, shuffle=config.shuffle)
    val = None
    if validation_data is not None:
        val = validation_data if isinstance(validation_data, DataLoader) else \
            _loader(*validation_data, config.batch_size, shuffle=False, names=("validation x", "validation y"))
    return train, val


def _check_targets(model, loader: DataLoader, cfg: dict) -> None:
    """One batch through the model and the loss, so that an output that does not fit the
    targets is reported against the last layer before any training starts."""
    batch = next(iter(loader), None)
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        return  # the engine explains malformed batches
    x, y = batch
    was_training = model.training
    model.eval()
    model.reset_states()
    try:
        with torch.no_grad():
            y_pred = model(x[:2])  # a layer's own error names that layer: let it through
    finally:
        model.train(was_training)
        model.reset_states()  # the probe must not leave a 2-row state behind
    try:
        get_loss(cfg["loss"], from_logits=cfg["from_logits"])(y_pred, y[:2])
    except ShapeError as exc:
        last = model.layers[-1]
        label = getattr(last, "label", type(last).__name__)
        raise ShapeError(f"{label} (the last layer) outputs {tuple(y_pred.shape[1:])} per sample but the "
                         f"targets have shape {tuple(y.shape[1:])}: {exc}") from None


def _validated(schema: type[pydantic.BaseModel], values: dict, where: str):
    try:
        return schema.model_validate(values)
    except pydantic.ValidationError as exc:
        raise ConfigError(f"{where}: {describe_validation(exc)}") from None


def _check_stream(n: int, batch_size: int, what: str, layer: str) -> None:
    if n % batch_size:
        raise DataError(f"{what}: {layer} is stateful, but {n} samples do not make whole batches of "
                        f"{batch_size}: a stream laid out by seqlab.data.streams.stream_chunks does")


def _tensor(a, name: str) -> torch.Tensor:
    """Arrays to tensors (floats as float32), refusing empty or non-finite data by name."""
    if a is None:
        raise DataError(f"{name} is missing")
    t = a if torch.is_tensor(a) else torch.from_numpy(np.array(a))  # a copy: arrays may be read-only views
    if t.is_floating_point() and t.dtype == torch.float64 and not torch.is_tensor(a):
        t = t.float()
    if t.dim() == 0 or len(t) == 0:
        raise DataError(f"{name} is empty")
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        bad = torch.nonzero(~torch.isfinite(t))[0].tolist()
        raise DataError(f"{name} contains NaN or Inf (first at index {tuple(bad)})")
    return t


def _loader(x, y, batch_size: int, shuffle: bool, names=("x", "y")) -> DataLoader:
    tensors = [_tensor(x, names[0])] + ([] if y is None else [_tensor(y, names[1])])
    if len(tensors) == 2 and len(tensors[0]) != len(tensors[1]):
        raise DataError(f"{names[0]} has {len(tensors[0])} samples but {names[1]} has {len(tensors[1])}")
    return DataLoader(TensorBatches(*tensors), batch_size=batch_size, shuffle=shuffle,
                      collate_fn=TensorBatches.collate)
