"""Run directories: ``train`` a config into one, ``evaluate`` and ``predict`` from one.

A run flows one way: data (read, validate, split, scale, window) -> spec -> model -> engine ->
run directory. Everything is validated before the directory is touched, so a bad config or bad
data leaves the disk as it was. A run directory holds::

    config.yaml          the resolved run config (data paths absolute)
    preprocessing.json   scaler statistics / vocabulary / label names
    model.json           layer spec, input shape, compile settings
    weights.safetensors  the trained weights (the best epoch when early stopping ran)
    metrics.csv          one row per epoch
    metrics.json         test metrics beside the baselines
    checkpoints/         last and best weights, optimizer state, for --resume
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from seqlab.data.registry import BUILTIN, resolve
from seqlab.errors import RunDirError
from seqlab.models import Sequential, load_model
from seqlab.models import io
from seqlab.models.spec import layers_from_spec
from seqlab.tasks import forecasting, images, text
from seqlab.tasks.config import RunConfig, load_config, parse_config
from seqlab.tasks.prepared import Prepared

CONFIG_FILE, PREPROCESSING_FILE, METRICS_FILE = "config.yaml", "preprocessing.json", "metrics.json"


def train(config_path: str | Path | None = None, overrides: list[str] = (), out: str | Path | None = None,
          overwrite: bool = False, resume: bool = False, progress: bool = False) -> dict:
    """Train the config (the embedded default when None) into the run directory ``out``.

    Returns ``{"test": {...}, "baseline": {...}, "run_dir": ..., "epochs": n, "history": {...}}``.
    """
    if resume:
        if out is None or not (Path(out) / CONFIG_FILE).is_file():
            raise RunDirError(f"--resume needs an existing run directory with {CONFIG_FILE}, got {out}")
        config_path = Path(out) / CONFIG_FILE
    config, base = load_config(config_path, list(overrides))
    out = Path(out) if out is not None else Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    if out.exists() and any(out.iterdir()) and not (overwrite or resume):
        raise RunDirError(f"{out}: run directory already exists; pass --overwrite to replace it "
                          "or --resume to continue it")
    config = _with_absolute_paths(config, base)
    prepared = prepare(config, base)
    if config.train.seed is not None:
        torch.manual_seed(config.train.seed)  # initial weights, before the engine seeds training
    model = Sequential(layers_from_spec(config.model, str(config_path or "default config")),
                       input_shape=prepared.input_shape)
    model.compile(**config.compile.model_dump())

    if overwrite and out.exists() and not resume:
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    io.atomic_write_text(out / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    io.write_json(out / PREPROCESSING_FILE, prepared.state)
    train_options = config.train.model_dump(exclude={"epochs", "batch_size", "shuffle", "progress"})
    history = model.fit(prepared.x_train, prepared.y_train, validation_data=(prepared.x_val, prepared.y_val),
                        epochs=config.train.epochs, batch_size=config.train.batch_size,
                        shuffle=config.train.shuffle, verbose=int(progress), run_dir=out, resume=resume,
                        **train_options)
    model.save(out)
    result = score_run(model, prepared)
    result.update(run_dir=str(out), epochs=len(history.epoch), history=history.history)
    io.write_json(out / METRICS_FILE, result)
    return result


def evaluate(run_dir: str | Path) -> dict:
    """Rebuild the run's test split from its config and score the saved model on it."""
    run_dir = _run_dir(run_dir)
    config, base = load_config(run_dir / CONFIG_FILE)
    model = load_model(run_dir)
    result = score_run(model, prepare(config, base))
    result["run_dir"] = str(run_dir)
    return result


def predict(run_dir: str | Path, input_file: str | Path) -> list[dict]:
    """Predictions for ``input_file`` with the run's model and preprocessing, one record each."""
    run_dir = _run_dir(run_dir)
    state = io.read_json(run_dir / PREPROCESSING_FILE)
    model = load_model(run_dir)
    path = resolve(str(input_file))
    if state["kind"] == "series":
        return forecasting.format_predictions(model.predict(forecasting.predict_inputs(path, state)), state)
    if state["kind"] == "text":
        x, texts = text.predict_inputs(path, state)
        return text.format_predictions(model.predict(x), state, texts)
    return images.format_predictions(model.predict(images.predict_inputs(path, state)), state)


def prepare(config: RunConfig, base: Path) -> Prepared:
    data, loss, seed = config.data, config.compile.loss, config.train.seed or 0
    if data.kind == "series":
        return forecasting.prepare(data, base)
    if data.kind == "text":
        return text.prepare(data, loss, base, seed)
    return images.prepare(data, loss, base, seed)


def score_run(model: Sequential, prepared: Prepared) -> dict:
    """Test metrics of the model and of each baseline, by the same functions."""
    y_pred = model.predict(prepared.x_test)
    kind = prepared.state["kind"]
    result = {"test": score(kind, y_pred, prepared.y_test),
              "baseline": {name: score(kind, pred, prepared.y_test) for name, pred in prepared.baselines.items()}}
    if len(result["baseline"]) == 1:  # the single baseline at the top level, as the CLI contract shows
        (name, metrics), = result["baseline"].items()
        result["baseline"] = {"name": name, **metrics}
    return result


def score(kind: str, y_pred: np.ndarray, y_true: np.ndarray) -> dict:
    """Series: MSE and MAE (standardised scale). Classification: accuracy."""
    if kind == "series":
        err = y_pred.reshape(y_true.shape) - y_true
        return {"mse": float(np.mean(err ** 2)), "mae": float(np.mean(np.abs(err)))}
    if y_pred.shape[1] == 1:
        predicted, actual = (y_pred[:, 0] >= 0.5).astype(int), y_true.reshape(-1).astype(int)
    else:
        predicted = y_pred.argmax(axis=1)
        actual = y_true.argmax(axis=1) if y_true.ndim == 2 else y_true
    return {"accuracy": float(np.mean(predicted == actual)), "n": int(len(actual))}


def _with_absolute_paths(config: RunConfig, base: Path) -> RunConfig:
    data = config.data.model_copy()
    for key in ("path", "test_path"):
        value = getattr(data, key, None)
        if value and value not in BUILTIN:
            setattr(data, key, str(resolve(value, base).resolve()))
    return parse_config({**config.model_dump(mode="json"), "data": data.model_dump(mode="json")}, "config")


def _run_dir(run_dir: str | Path) -> Path:
    run_dir = Path(run_dir)
    if not (run_dir / CONFIG_FILE).is_file():
        raise RunDirError(f"{run_dir}: not a seqlab run directory ({CONFIG_FILE} is missing)")
    return run_dir
