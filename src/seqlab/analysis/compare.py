"""``compare``: several architectures trained on one task under one budget, ranked in a leaderboard.

Every architecture sees the same data, split, training budget (epochs, and ``max_time_s`` of
wall clock if set) and seeds; each (architecture, seed) pair is one training run. The
leaderboard gives, per architecture, the mean ± standard deviation over seeds of the task's
test metrics, the training time and epochs, and the parameters, one-sequence inference latency
and peak training-step memory (:mod:`seqlab.analysis.measure`), ranked by the task's metric, with
the task's baselines beside it. Choices (early stopping, the best epoch) use the validation
split only; the test split is scored once per run.

A comparison folder holds ``config.yaml``, ``leaderboard.json``, ``report.html`` and, under
``models/<architecture>/``, the run of the first seed of each architecture (a run directory
that ``seqlab evaluate``, ``seqlab explain`` and ``seqlab analyze gradients`` read).

Example config::

    data: {kind: synthetic, task: adding, length: 200}
    models: [rnn, lstm, gru, tcn]        # default: every architecture the task allows
    seeds: [0, 1, 2]
    train: {epochs: 10, batch_size: 64, gradient_clip_val: 1.0, max_time_s: 120}
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pydantic
import torch
import yaml
from pydantic import Field

from seqlab.analysis import measure
from seqlab.analysis.targets import refuse_task_config
from seqlab.configbase import Strict, read_yaml_mapping
from seqlab.data.text import Vocabulary
from seqlab.errors import ConfigError, describe_validation
from seqlab.models import Sequential
from seqlab.models.io import atomic_write_text, write_json
from seqlab.models.spec import layers_from_spec
from seqlab.models.zoo import (ARCHITECTURES, TaskShape, architecture_spec, check_architectures,
                               default_architectures)
from seqlab.tasks import runs
from seqlab.tasks.config import DataConfig, RunConfig, SyntheticData, apply_override
from seqlab.tasks.prepared import Prepared
from seqlab.tasks.rundir import CONFIG_FILE, check_out, staged_run
from seqlab.training.config import EarlyStoppingConfig, OptimizerConfig, TrainConfig

log = logging.getLogger(__name__)

LEADERBOARD_FILE, REPORT_FILE = "leaderboard.json", "report.html"


def _default_train() -> TrainConfig:
    return TrainConfig(epochs=10, batch_size=64, gradient_clip_val=1.0,
                       early_stopping=EarlyStoppingConfig(patience=3))


class CompareConfig(Strict):
    """A comparison: the task's data, the architectures, their width, the seeds and the budget.

    The loss follows the task (MSE for series and the adding problem, cross-entropy on logits
    for classes), so only the optimizer may be set. A ``train`` section given in part keeps the
    other defaults (10 epochs, batch 64, clipping at 1, early stopping with patience 3).
    """

    data: DataConfig = SyntheticData()
    models: list[str] | None = None
    units: int = Field(64, ge=1)
    seeds: list[int] = Field([0, 1, 2], min_length=1)
    optimizer: OptimizerConfig = OptimizerConfig()
    train: TrainConfig = Field(default_factory=_default_train)


def load_compare_config(path: str | Path, overrides: list[str] = ()) -> tuple[CompareConfig, Path]:
    """Read a comparison config and apply ``key=value`` overrides; returns it and its folder."""
    path = Path(path)
    raw = read_yaml_mapping(path, "data, models, seeds, units, optimizer, train")
    refuse_task_config(path, raw, "`seqlab compare` trains architectures from a comparison config, or ranks "
                       "finished runs", "train one run per model with `{command} --config {config} --model NAME "
                       "--out runs/NAME`, then rank them with `seqlab compare runs/NAME ...`")
    for item in overrides:
        apply_override(raw, item, str(path))
    return parse_compare_config(raw, str(path)), path.resolve().parent


def parse_compare_config(raw: dict, source: str) -> CompareConfig:
    if "model" in raw and "models" not in raw:
        raise ConfigError(f"{source}: `model` is a single run's layer list; a comparison names "
                          "architectures under `models` (e.g. models: [lstm, gru, tcn])")
    if isinstance(raw.get("train"), dict):  # a partly given section keeps the other defaults
        train = {**_default_train().model_dump(), **raw["train"]}
        given = raw["train"].get("early_stopping")
        if isinstance(given, dict):
            train["early_stopping"] = {**_default_train().early_stopping.model_dump(), **given}
        raw = {**raw, "train": train}
    try:
        config = CompareConfig.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation(exc)}") from None
    try:
        task_of(config.data)
        unknown = [name for name in config.models or [] if name not in ARCHITECTURES]
        if unknown:
            raise ConfigError(f"models: unknown architecture {unknown[0]!r}; known: {', '.join(ARCHITECTURES)}")
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    if len(config.seeds) < 3:
        log.warning("%s: %d seed(s); a leaderboard's spread needs at least 3", source, len(config.seeds))
    return config


# -- the task --------------------------------------------------------------------------------

def task_of(data: Any) -> dict[str, Any]:
    """Loss, logits flag, metric to rank by (and its direction) and extra metrics of a data kind."""
    regression = data.kind == "series" or (data.kind == "synthetic" and data.task == "adding")
    if regression:
        return {"loss": "mse", "from_logits": False, "metrics": [], "rank_by": "mse", "higher_is_better": False}
    if data.kind == "synthetic":  # copy memory: the per-step loss is the published figure
        return {"loss": "sparse_categorical_crossentropy", "from_logits": True, "metrics": [],
                "rank_by": "loss", "higher_is_better": False}
    if data.kind == "mnist" and data.layout == "image":
        raise ConfigError("data.layout: 'image' is not a sequence; compare MNIST as rows, pixels or permuted")
    return {"loss": "sparse_categorical_crossentropy", "from_logits": True, "metrics": ["accuracy"],
            "rank_by": "accuracy", "higher_is_better": True}


def task_shape(prepared: Prepared) -> TaskShape:
    state, x, y = prepared.state, prepared.x_train, prepared.y_train
    if state["kind"] == "text":
        vocab = len(Vocabulary.from_dict(state["vocab"]).tokens)
        return TaskShape(length=x.shape[1], n_outputs=len(state["labels"]), vocab=vocab)
    if state["kind"] == "mnist":
        return TaskShape(length=x.shape[1], n_outputs=10)
    if state["kind"] == "synthetic" and state["task"] == "copy":
        return TaskShape(length=x.shape[1], n_outputs=10, per_step=True)
    return TaskShape(length=x.shape[1], n_outputs=int(np.prod(y.shape[1:])))


def prepare_comparison(config: CompareConfig, base: Path) -> tuple[CompareConfig, Prepared, TaskShape, list[str]]:
    """The data every architecture shares (split by the first seed), the task's shape and the
    architectures to train (``models``, or every one the task allows)."""
    first = runs.with_absolute_paths(run_config(config, [{"dense": {"units": 1}}], config.seeds[0]), base)
    config = config.model_copy(update={"data": first.data})
    prepared = runs.prepare(first, base)
    shape = task_shape(prepared)
    names = config.models or default_architectures(shape)
    check_architectures(names, shape)
    return config, prepared, shape, names


def run_config(config: CompareConfig, spec: list, seed: int) -> RunConfig:
    """The single-run config of one architecture and seed of a comparison."""
    task = task_of(config.data)
    return RunConfig(data=config.data, model=spec,
                     compile={"optimizer": config.optimizer, "loss": task["loss"], "metrics": task["metrics"],
                              "from_logits": task["from_logits"]},
                     train=config.train.model_copy(update={"seed": seed}))


# -- training one architecture --------------------------------------------------------------

def train_one(config: RunConfig, prepared: Prepared) -> tuple[Sequential, dict]:
    """Train one (architecture, seed) run; returns the model and its measurements."""
    torch.manual_seed(config.train.seed or 0)
    model = Sequential(layers_from_spec(config.model, "compare"), input_shape=prepared.input_shape)
    model.compile(**config.compile.model_dump())
    options = config.train.model_dump(exclude={"epochs", "batch_size", "shuffle", "progress"})
    start = time.perf_counter()
    history = model.fit(prepared.x_train, prepared.y_train, validation_data=(prepared.x_val, prepared.y_val),
                        epochs=config.train.epochs, batch_size=config.train.batch_size,
                        shuffle=config.train.shuffle, **options)
    train_time = time.perf_counter() - start
    scored = runs.score_run(model, prepared)
    batch = slice(0, min(config.train.batch_size, len(prepared.x_train)))
    x_batch, y_batch = torch.tensor(prepared.x_train[batch]), torch.tensor(prepared.y_train[batch])
    record = {
        "test": scored["test"],
        "params": measure.parameter_count(model),
        "train_time_s": train_time,
        "epochs": len(history.epoch),
        "val_loss": float(min(history.history["val_loss"])),
        "history": history.history,
        "latency_ms": measure.latency_ms(model, torch.tensor(prepared.x_test[:1])),
        "peak_memory_mb": measure.training_memory_mb(
            model, x_batch, y_batch, config.compile.loss, config.compile.from_logits,
            measure.optimizer_states(config.compile.optimizer.name, config.compile.optimizer.momentum)),
    }
    return model, {**record, "baseline": scored["baseline"]}


# -- the comparison -------------------------------------------------------------------------

def compare(config: CompareConfig | str | Path, out: str | Path | None = None, *, overrides: list[str] = (),
            base: Path | None = None, overwrite: bool = False, on_run=None) -> dict:
    """Train every architecture of ``config`` with every seed and rank them.

    Args:
        config: a :class:`CompareConfig` or the path of its YAML.
        out: the comparison folder to write (see the module docstring); None writes nothing.
        overrides: ``key=value`` overrides of a YAML config (``train.epochs=3``).
        base: the folder relative data paths are read from (the YAML's folder by default).
        overwrite: replace an existing comparison folder.
        on_run: called with ``(architecture, seed, record)`` after every run (progress).

    Returns:
        ``{"task", "rank_by", "higher_is_better", "seeds", "leaderboard": [...], "baselines",
        "runs": [...], "out"}``; each leaderboard row has ``model``, ``rank``, the metrics as
        ``{"mean", "std"}``, ``params``, ``train_time_s``, ``epochs``, ``latency_ms`` and
        ``peak_memory_mb``.
    """
    if not isinstance(config, CompareConfig):
        config, base = load_compare_config(config, list(overrides))
    base = base or Path.cwd()
    out = Path(out) if out is not None else None
    if out is not None:
        check_out(out, overwrite, resume_hint=False)
    task = task_of(config.data)
    config, prepared, shape, names = prepare_comparison(config, base)

    records, firsts = [], {}
    for name in names:
        spec = architecture_spec(name, shape, config.units)
        for seed in config.seeds:
            model, record = train_one(run_config(config, spec, seed), prepared)
            record.update(model=name, seed=seed)
            records.append(record)
            log.info("compare: %s seed %d: %s", name, seed, record["test"])
            if on_run is not None:
                on_run(name, seed, record)
            if seed == config.seeds[0]:
                firsts[name] = (model, run_config(config, spec, seed), record)
    baselines = by_name(records[0]["baseline"])
    for record in records:
        record.pop("baseline")
    result = {"task": config.data.model_dump(mode="json"), "rank_by": task["rank_by"],
              "higher_is_better": task["higher_is_better"], "seeds": config.seeds,
              "budget": {"epochs": config.train.epochs, "max_time_s": config.train.max_time_s},
              "leaderboard": leaderboard(records, task["rank_by"], task["higher_is_better"]),
              "baselines": baselines, "runs": records, "out": None if out is None else str(out)}
    if out is not None:
        _write(out, config, result, prepared, firsts)
    return result


def leaderboard(records: list[dict], rank_by: str, higher_is_better: bool) -> list[dict]:
    """One row per architecture: mean ± std over its seeds, ranked by ``rank_by``'s mean."""
    rows = []
    for name in dict.fromkeys(r["model"] for r in records):
        mine = [r for r in records if r["model"] == name]
        row: dict[str, Any] = {"model": name, "seeds": len(mine)}
        for key in mine[0]["test"]:
            row[key] = mean_std([r["test"][key] for r in mine])
        for key in ("train_time_s", "epochs", "val_loss", "latency_ms", "peak_memory_mb"):
            row[key] = mean_std([r[key] for r in mine])
        row["params"] = mine[0]["params"]
        rows.append(row)
    return ranked(rows, rank_by, higher_is_better)


def ranked(rows: list[dict], rank_by: str, higher_is_better: bool) -> list[dict]:
    """``rows`` sorted best first by ``row[rank_by]["mean"]``, each given its ``rank``."""
    sign = -1.0 if higher_is_better else 1.0
    rows = sorted(rows, key=lambda row: sign * row[rank_by]["mean"])
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return rows


def by_name(baselines: dict) -> dict[str, dict]:
    """Baselines as ``{name: metrics}`` (``score_run`` puts a single one at the top level)."""
    if "name" in baselines:
        rest = {k: v for k, v in baselines.items() if k != "name"}
        return {baselines["name"]: rest}
    return baselines


def mean_std(values: list[float]) -> dict[str, float]:
    """Mean and sample standard deviation (None for a single value: no spread is measured)."""
    a = np.asarray(values, dtype=np.float64)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else None}


def _write(out: Path, config: CompareConfig, result: dict, prepared: Prepared, firsts: dict) -> None:
    from seqlab.analysis.reports import comparison_report

    with staged_run(out) as work:
        atomic_write_text(work / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
        for name, (model, cfg, record) in firsts.items():
            folder = work / "models" / name
            folder.mkdir(parents=True)
            runs.write_run(folder, model, cfg, prepared.state,
                           {"test": record["test"], "baseline": result["baselines"], "seed": cfg.train.seed,
                            "history": record["history"]})
        write_json(work / LEADERBOARD_FILE, result)
        comparison_report(result).write(work / REPORT_FILE)


def compare_runs(run_dirs: list[str | Path]) -> dict:
    """A leaderboard of finished runs of ``seqlab train`` (one seed each), each scored again on
    its own rebuilt test split; runs of the task commands go to
    :func:`seqlab.analysis.task_compare.compare_task_runs`. The runs must be of one task: the same ``data`` section, loss
    and test data (a split or vocabulary that depends on the seed makes the test data differ).

    Raises:
        ConfigError: fewer than two runs, or runs of different tasks (the message names the two
            runs and what differs).
    """
    from seqlab.models import load_model
    from seqlab.tasks.config import load_config
    from seqlab.analysis.outputs import trained_run_dir
    from seqlab.analysis.targets import run_kind

    if len(run_dirs) < 2:
        raise ConfigError("compare: give one comparison config, or two or more run directories")
    if any(run_kind(trained_run_dir(d)) not in runs.STATE_KEYS for d in run_dirs):
        from seqlab.analysis.task_compare import compare_task_runs

        return compare_task_runs(run_dirs)
    loaded = []
    for run_dir in map(trained_run_dir, run_dirs):
        config, base = load_config(run_dir / CONFIG_FILE)
        loaded.append((run_dir, config, runs.prepare(config, base)))
    first_dir, first, first_data = loaded[0]
    for run_dir, config, prepared in loaded[1:]:
        _same_task(first_dir, first, first_data, run_dir, config, prepared)
    task = task_of(first.data)
    rank_by, higher = task["rank_by"], task["higher_is_better"]
    records = []
    for run_dir, config, prepared in loaded:
        model = load_model(run_dir)
        scored = runs.score_run(model, prepared)
        records.append({"model": run_dir.name, "seed": config.train.seed, "test": scored["test"],
                        "params": measure.parameter_count(model),
                        "latency_ms": measure.latency_ms(model, torch.tensor(prepared.x_test[:1])),
                        "baseline": scored["baseline"]})
    if rank_by not in records[0]["test"]:  # a run trained with another loss: rank by what it reports
        rank_by = next(iter(records[0]["test"]))
        higher = rank_by == "accuracy"
    rows = [{"model": r["model"], "seeds": 1, **{k: mean_std([v]) for k, v in r["test"].items()},
             "params": r["params"], "latency_ms": mean_std([r["latency_ms"]])} for r in records]
    baselines = by_name(records[0]["baseline"])
    for record in records:
        record.pop("baseline")
    return {"task": first.data.model_dump(mode="json"), "rank_by": rank_by, "higher_is_better": higher,
            "seeds": None, "budget": None, "leaderboard": ranked(rows, rank_by, higher), "baselines": baselines,
            "runs": records, "out": None}


def _same_task(a_dir: Path, a: RunConfig, a_data: Prepared, b_dir: Path, b: RunConfig, b_data: Prepared) -> None:
    da, db = a.data.model_dump(), b.data.model_dump()
    differs = next((f"data.{k}: {da.get(k)!r} vs {db.get(k)!r}" for k in da if da.get(k) != db.get(k)), None)
    if differs is None and a.compile.loss != b.compile.loss:
        differs = f"compile.loss: {a.compile.loss!r} vs {b.compile.loss!r}"
    if differs is None and not (np.array_equal(a_data.x_test, b_data.x_test) and np.array_equal(a_data.y_test, b_data.y_test)):
        differs = "the test data (the split or the vocabulary follows train.seed)"
    if differs is not None:
        raise ConfigError(f"compare: {a_dir} and {b_dir} are different tasks ({differs}); "
                          "compare runs trained on the same data")
