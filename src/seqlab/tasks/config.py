"""The run config: data + model + compile + train, read from YAML with ``--set key=value`` overrides.

Every section is a pydantic model with ``extra="forbid"``; errors name the file and the key.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import pydantic
import yaml
from pydantic import Field

from seqlab.configbase import Strict
from seqlab.errors import ConfigError, describe_validation
from seqlab.models.spec import layers_from_spec
from seqlab.training.config import OptimizerConfig, TrainConfig


class SeriesData(Strict):
    """Windows of a time series: ``lookback`` steps in, the next ``horizon`` steps of ``target`` out."""

    kind: Literal["series"] = "series"
    path: str = "etth1"
    timestamp_col: str | None = "date"
    target: list[str] = ["OT"]
    features: list[str] | None = None  # input columns; default: the targets (univariate, "S")
    lookback: int = Field(96, ge=1)
    horizon: int = Field(1, ge=1)
    split: Literal["ett"] | list[float] = "ett"  # the ETT protocol, or chronological fractions


class TextData(Strict):
    """Labelled texts (TSV/CSV/JSONL): word tokens, a vocabulary, padded id sequences."""

    kind: Literal["text"] = "text"
    path: str
    test_path: str | None = None  # default: carve the test split from `path`
    text_col: str = "sentence"
    label_col: str = "label"
    max_len: int = Field(64, ge=1)
    max_vocab: int | None = 20000
    min_freq: int = Field(1, ge=1)
    truncation: Literal["head", "tail", "head+tail"] = "head"
    val_fraction: float = Field(0.1, gt=0, lt=1)
    test_fraction: float = Field(0.1, gt=0, lt=1)
    limit: int | None = Field(None, ge=10)  # use only the first N training rows (quick runs)


class MnistData(Strict):
    """MNIST digits from idx files: images (28, 28, 1), rows as a sequence (28 steps of 28), or
    pixels as a sequence (784 steps of 1: sequential MNIST; ``permuted``: in one fixed shuffled order)."""

    kind: Literal["mnist"] = "mnist"
    path: str
    layout: Literal["image", "rows", "pixels", "permuted"] = "image"
    val_fraction: float = Field(0.1, gt=0, lt=1)
    limit: int | None = Field(None, ge=10)


class SyntheticData(Strict):
    """A long-memory benchmark generated on the fly (Bai et al. 2018): the adding problem (two
    marked numbers among ``length`` to sum) or copy memory (recall 10 symbols after ``length`` blanks)."""

    kind: Literal["synthetic"] = "synthetic"
    task: Literal["adding", "copy"] = "adding"
    length: int = Field(100, ge=2)
    n_train: int = Field(5000, ge=10)
    n_val: int = Field(1000, ge=10)
    n_test: int = Field(1000, ge=10)
    seed: int = 0


DataConfig = Annotated[Union[SeriesData, TextData, MnistData, SyntheticData], Field(discriminator="kind")]


class CompileConfig(Strict):
    optimizer: OptimizerConfig = OptimizerConfig()
    loss: str = "mse"
    metrics: list[str] = []
    from_logits: bool = False


class RunConfig(Strict):
    data: DataConfig = SeriesData()
    model: list[dict[str, dict[str, Any] | None]]
    compile: CompileConfig = CompileConfig()
    train: TrainConfig = TrainConfig()


DEFAULT_CONFIG = "default.yaml"


def load_config(path: str | Path | None = None, overrides: list[str] = ()) -> tuple[RunConfig, Path]:
    """Read a run config (the embedded default when ``path`` is None) and apply ``key=value`` overrides.

    Returns the config and the folder relative data paths are resolved against.
    """
    if path is None:
        source, base = f"<embedded {DEFAULT_CONFIG}>", Path.cwd()
        text = resources.files("seqlab.tasks").joinpath(DEFAULT_CONFIG).read_text(encoding="utf-8")
    else:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        source, base, text = str(path), path.resolve().parent, path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: a config must be a mapping with keys data, model, compile, train")
    for item in overrides:
        apply_override(raw, item, source)
    return parse_config(raw, source), base


def parse_config(raw: dict, source: str) -> RunConfig:
    try:
        config = RunConfig.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation(exc)}") from None
    layers_from_spec(config.model, source)  # layer names and arguments, checked now
    return config


def apply_override(raw: dict, item: str, source: str) -> None:
    """``train.epochs=3`` sets raw['train']['epochs'] = 3 (the value parsed as YAML)."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected key=value, e.g. train.epochs=3")
    key, value = item.split("=", 1)
    node = raw
    parts = key.strip().split(".")
    for part in parts[:-1]:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"--set {key}: `{part}` is not a section of {source}")
        node = node.setdefault(part, {})
    try:
        node[parts[-1]] = yaml.safe_load(value)
    except (yaml.YAMLError, TypeError) as exc:
        raise ConfigError(f"--set {key}: cannot set this value ({exc})") from None
