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

import contextlib
from pathlib import Path

import numpy as np
import torch
import yaml

from seqlab.data.registry import BUILTIN, resolve
from seqlab.errors import ConfigError, DataError, RunDirError
from seqlab.models import Sequential, load_model
from seqlab.models import io
from seqlab.models.spec import layers_from_spec
from seqlab.tasks.results import standard_result
from seqlab.tasks import forecasting, images, synthetic
from seqlab.tasks.text import generic as text
from seqlab.tasks.config import RunConfig, load_config, parse_config
from seqlab.tasks.prepared import Prepared
from seqlab.tasks.rundir import CONFIG_FILE, check_out, default_run_dir, is_main_process, resume_source, staged_run
from seqlab.tasks.runfiles import existing_run_dir

PREPROCESSING_FILE, METRICS_FILE = "preprocessing.json", "metrics.json"


def train(config_path: str | Path | None = None, overrides: list[str] = (), out: str | Path | None = None,
          overwrite: bool = False, resume: bool = False, progress: bool = False) -> dict:
    """Train the config (the embedded default when None) into the run directory ``out``.

    A run trains in a staging folder beside ``out`` (:func:`seqlab.tasks.rundir.staged_run`) that
    is renamed to ``out`` only when it has finished, so a failure leaves the disk as it was
    (``--overwrite`` replaces a run directory seqlab wrote, never any other folder). ``resume=True``
    continues the run of ``out`` from its last checkpoint: an interrupted one, or a finished one
    trained further; only ``train.*`` keys may be overridden then. Without ``out`` the run goes to
    ``runs/<time>-<pid>``. Under DDP (``train.devices > 1``) the other ranks re-run this command:
    they train alongside rank 0 and write nothing.

    Returns ``{"test": {...}, "baseline": {...}, "run_dir": ..., "epochs": n, "history": {...}}``.
    """
    out = Path(out) if out is not None else default_run_dir()
    worker = not is_main_process()
    if not worker:
        check_out(out, overwrite, resume=resume)
    if resume:
        config_path = _resume_config(out, config_path, overrides)
    config, base = load_config(config_path, list(overrides))
    config = with_absolute_paths(config, base)
    prepared = prepare(config, base)
    if config.train.seed is not None:
        torch.manual_seed(config.train.seed)  # initial weights, before the engine seeds training
    model = Sequential(layers_from_spec(config.model, str(config_path or "default config")),
                       input_shape=prepared.input_shape)
    model.compile(**config.compile.model_dump())

    staged = contextlib.nullcontext(None) if worker else staged_run(out, overwrite=overwrite, resume=resume)
    with staged as work:  # None in the other DDP ranks: they write nothing
        if work is not None and not resume:  # the config first, so that a killed run can be resumed
            io.atomic_write_text(work / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
        train_options = config.train.model_dump(exclude={"epochs", "batch_size", "shuffle", "progress"})
        history = model.fit(prepared.x_train, prepared.y_train, validation_data=(prepared.x_val, prepared.y_val),
                            epochs=config.train.epochs, batch_size=config.train.batch_size,
                            shuffle=config.train.shuffle, verbose=int(progress), run_dir=work,
                            **train_options)  # staged_run(resume=True) makes fit continue its checkpoint
        result = score_run(model, prepared)
        result.update(run_dir=str(out), epochs=len(history.epoch), history=history.history)
        if work is not None:
            write_run(work, model, config, prepared.state, result)
    return result


def write_run(folder: Path, model: Sequential, config: RunConfig, state: dict, result: dict) -> None:
    """The files of a run directory: the model, its config, preprocessing and test metrics."""
    model.save(folder)
    io.atomic_write_text(folder / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    io.write_json(folder / PREPROCESSING_FILE, state)
    io.write_json(folder / METRICS_FILE, standard_result(result))


def _resume_config(out: Path, config_path, overrides) -> Path:
    source = resume_source(out)  # the interrupted run of out, if there is one
    if not (source / CONFIG_FILE).is_file():
        raise RunDirError(f"--resume needs an existing run directory with {CONFIG_FILE}, got {out}")
    if config_path is not None:
        raise ConfigError(f"--resume continues {out} with its own {CONFIG_FILE}; drop the CONFIG argument")
    for item in overrides:
        if not item.strip().startswith("train."):
            raise ConfigError(f"--set {item}: only train.* keys may change on --resume (data and model "
                              "must stay as the run was trained)")
    return source / CONFIG_FILE


def evaluate(run_dir: str | Path) -> dict:
    """Rebuild the run's test split from its config and score the saved model on it."""
    run_dir = existing_run_dir(run_dir)
    config, base = load_config(run_dir / CONFIG_FILE)
    model = load_model(run_dir)
    result = score_run(model, prepare(config, base))
    result["run_dir"] = str(run_dir)
    return result


def predict(run_dir: str | Path, input_file: str | Path) -> list[dict]:
    """Predictions for ``input_file`` with the run's model and preprocessing, one record each."""
    run_dir = existing_run_dir(run_dir)
    state = _preprocessing(run_dir)
    model = load_model(run_dir)
    path = resolve(str(input_file))
    if state["kind"] == "text" and path.suffix != ".npy":
        x, texts = text.predict_inputs(path, state)
        return text.format_predictions(model.predict(x), state, texts)
    y = model.predict(model_inputs(path, state, model.input_shape))
    if state["kind"] == "series":
        return forecasting.format_predictions(y, state)  # in the data's units
    if state["kind"] == "text":
        return text.format_predictions(y, state, [f"{path}[{i}]" for i in range(len(y))])
    if state["kind"] == "mnist":
        return images.format_predictions(y, state)
    return [{"prediction": p.tolist()} for p in y]


def model_inputs(path: Path, state: dict, input_shape: tuple | None = None) -> np.ndarray:
    """The model's inputs for a file of the run's kind: a series CSV, a text file (one text a
    line), an idx image file, or a ``.npy`` array of inputs as they enter the network (any kind:
    standardised series windows, token ids, ...), checked against ``input_shape`` (no batch axis)."""
    if path.suffix == ".npy":
        try:
            x = np.load(path, allow_pickle=False)  # never unpickles: only plain arrays load
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: not a .npy array of numbers ({exc})") from None
        if not np.issubdtype(x.dtype, np.number):
            raise DataError(f"{path}: a .npy array of numbers is needed, got dtype {x.dtype}")
        if state["kind"] == "synthetic" and state["task"] == "copy" and x.ndim == 2:
            x = synthetic.to_inputs(x, "copy")  # symbol ids -> one-hot
        x = x.astype(np.int64 if state["kind"] == "text" else np.float32)
        expected = tuple(input_shape) if input_shape is not None else None
        if expected is not None and (x.ndim != len(expected) + 1 or any(
                e is not None and e != g for e, g in zip(expected[1:], x.shape[2:]))):
            raise DataError(f"{path}: arrays of shape (N, {', '.join(map(str, expected))}) are needed "
                            f"(N inputs), got {x.shape}")
        return x
    if state["kind"] == "series":
        return forecasting.predict_inputs(path, state)
    if state["kind"] == "text":
        return text.predict_inputs(path, state)[0]
    if state["kind"] == "mnist":
        return images.predict_inputs(path, state)
    raise DataError(f"{path}: a {state['kind']} run reads its inputs from a .npy array")


def prepare(config: RunConfig, base: Path) -> Prepared:
    data, loss, seed = config.data, config.compile.loss, config.train.seed or 0
    if data.kind == "series":
        return forecasting.prepare(data, base)
    if data.kind == "text":
        prepared = text.prepare(data, loss, base, seed)
    elif data.kind == "synthetic":
        prepared = synthetic.prepare(data)
    else:
        prepared = images.prepare(data, loss, base, seed)
    prepared.state["from_logits"] = config.compile.from_logits  # how to read the model's outputs
    return prepared


def score_run(model: Sequential, prepared: Prepared) -> dict:
    """Test metrics of the model and of each baseline, by the same functions."""
    y_pred = model.predict(prepared.x_test)
    result = {"test": score(prepared.state, y_pred, prepared.y_test, prepared.state.get("from_logits", False)),
              "baseline": {name: score(prepared.state, pred, prepared.y_test)
                           for name, pred in prepared.baselines.items()}}
    if len(result["baseline"]) == 1:  # the single baseline at the top level, as the CLI contract shows
        (name, metrics), = result["baseline"].items()
        result["baseline"] = {"name": name, **metrics}
    return result


def score(state: dict, y_pred: np.ndarray, y_true: np.ndarray, from_logits: bool = False) -> dict:
    """Series: MSE and MAE (standardised scale). Classification: accuracy (a single output unit
    says class 1 from 0.5, or from 0 for logits). Synthetic: the task's."""
    kind = state["kind"]
    if kind == "synthetic":
        return synthetic.score(state["task"], y_pred, y_true)
    if kind == "series":
        err = y_pred.reshape(y_true.shape) - y_true
        return {"mse": float(np.mean(err ** 2)), "mae": float(np.mean(np.abs(err)))}
    if y_pred.shape[1] == 1:
        threshold = 0.0 if from_logits else 0.5
        predicted, actual = (y_pred[:, 0] >= threshold).astype(int), y_true.reshape(-1).astype(int)
    else:
        predicted = y_pred.argmax(axis=1)
        actual = y_true.argmax(axis=1) if y_true.ndim == 2 else y_true
    return {"accuracy": float(np.mean(predicted == actual)), "n": int(len(actual))}


def with_absolute_paths(config: RunConfig, base: Path) -> RunConfig:
    data = config.data.model_copy()
    for key in ("path", "test_path"):
        value = getattr(data, key, None)
        if value and value not in BUILTIN:
            setattr(data, key, str(resolve(value, base).resolve()))
    return parse_config({**config.model_dump(mode="json"), "data": data.model_dump(mode="json")}, "config")


STATE_KEYS = {"series": ("columns", "features", "target", "lookback", "horizon", "timestamp_col", "scaler"),
              "text": ("labels", "vocab", "max_len", "truncation", "text_col"),
              "mnist": ("layout", "labels"),
              "synthetic": ("task", "length")}


def _preprocessing(run_dir: Path) -> dict:
    """The run's preprocessing state, checked for the keys its kind needs."""
    path = run_dir / PREPROCESSING_FILE
    state = io.read_json(path) if path.is_file() else None
    kind = state.get("kind") if isinstance(state, dict) else None
    if kind not in STATE_KEYS:
        raise RunDirError(f"{path}: missing or not a seqlab preprocessing file (kind {kind!r})")
    missing = [k for k in STATE_KEYS[kind] if k not in state]
    if missing:
        raise RunDirError(f"{path}: missing keys {missing} for kind {kind!r}")
    return state
