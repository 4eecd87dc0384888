"""What the analysis tools need from a trained run, whatever task trained it.

Each task's run directory holds a different network with a different input (a window dict for
forecasting, padded token ids for text, spectrogram frames for speech, a source sentence and an
output for translation). One small adapter per task, a :class:`Target`, chosen by the ``kind``
of the run's ``preprocessing.json``, gives the tools the same five things:

- ``net``: the trained network, in eval mode;
- ``examples(source, n)``: n inputs from the run's own held-out data (``source="test"``) or from
  a file the task's ``predict`` reads, as the network reads them (:class:`Examples`);
- ``output(x, fixed)``: one scalar per example, the output being explained (the predicted
  class's logit, the mean forecast over the horizon, the next token's log-probability, ...),
  with ``choose`` fixing what it refers to (the predicted class) once, at the inputs;
- ``loss(examples)``: the task's training loss on examples with their held-out truth (gradient flow);
- ``feature_names``, ``embeddings`` (token inputs are attributed at their embedding vectors)
  and ``describe`` (the prediction of each example, in the task's terms).

A tool that has no meaning for a run (attributions of a parameter-free detector) raises
:class:`AnalysisNotApplicable`, whose message says why and what to use instead.

The adapters live in :mod:`seqlab.analysis.series_targets` (forecast, classify, speech, anomaly),
:mod:`seqlab.analysis.token_targets` (text, generate, translate) and
:mod:`seqlab.analysis.generic_target` (runs of ``seqlab train CONFIG``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from seqlab.errors import ConfigError, RunDirError
from seqlab.models.io import read_json
from seqlab.tasks.rundir import PREPROCESSING_FILE
from seqlab.tasks.runfiles import existing_run_dir


class AnalysisNotApplicable(ConfigError):
    """An analysis tool that has no meaning for a run of this task; the message says why."""


@dataclass
class Examples:
    """N inputs of one run, as its network reads them.

    Attributes:
        x: what attributions are taken over: (N, T, D) floats, or (N, T) token ids.
        fixed: batch-first tensors the network also reads and that stay as they are (lengths,
            calendar marks, the decoder's input); their order is the order ``output`` gets them in.
        names: where each example comes from (a test window, a file, a line).
        lengths: the real steps of each example (padding follows).
        tokens: the token strings of each example (token inputs), else None.
        y: the held-out truth the task's loss compares with (None for inputs given without it).
        info: per-example facts for the report (the actual label, the reference translation).
    """

    x: torch.Tensor
    fixed: dict[str, torch.Tensor]
    names: list[str]
    lengths: list[int]
    tokens: list[list[str]] | None = None
    y: Any = None
    info: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.x)


class Target:
    """A trained run as the analysis tools see it (see the module docstring). Subclasses set
    ``kind`` (the preprocessing kind they read), ``command`` (what trains such a run) and
    ``rank_by`` (the metric ``compare`` ranks runs by, and whether higher is better)."""

    kind: ClassVar[str] = ""
    command: ClassVar[str] = ""
    rank_by: ClassVar[tuple[str, bool]] = ("loss", False)
    token_separator = " "  # between shown tokens ("" for characters)

    def __init__(self, run_dir: Path, net: nn.Module, config: Any, feature_names: list[str], note: str,
                 embeddings: list[nn.Module] | None = None) -> None:
        self.run_dir, self.net, self.config = run_dir, net, config
        self.feature_names, self.note = feature_names, note
        self.embeddings = embeddings or []

    @property
    def task(self) -> dict:
        """The run's data section, JSON-safe (what ``compare`` checks runs share)."""
        return {"kind": self.kind, **self.config.data.model_dump(mode="json")}

    def examples(self, source: str | Path, n: int) -> Examples:
        """``n`` inputs spread over the run's held-out data (``source="test"``), or the first ``n`` of
        a file the task's ``predict`` reads."""
        raise NotImplementedError

    def choose(self, ex: Examples) -> dict[str, torch.Tensor]:
        """What the explained output refers to, fixed at the inputs (the predicted class); none by default."""
        return {}

    def output(self, x: torch.Tensor, fixed: dict[str, torch.Tensor]) -> torch.Tensor:
        """(N,) the explained output of each example."""
        raise NotImplementedError

    def describe(self, ex: Examples, fixed: dict[str, torch.Tensor], i: int) -> dict:
        """The prediction of example i, in the task's terms (``prediction``, ``label``, ...)."""
        return {}

    def attention(self, ex: Examples, fixed: dict[str, torch.Tensor]) -> list | None:
        """Per example, attention weights over its steps (or a matrix), where the model has them."""
        return None

    def loss(self, ex: Examples) -> torch.Tensor:
        """The task's training loss on ``ex`` against its held-out truth ``ex.y``."""
        raise AnalysisNotApplicable(f"{self.run_dir}: a {self.kind} run has no loss to trace")

    def evaluate(self) -> dict:
        """The run scored again on its held-out data by its task's own ``evaluate``."""
        raise AnalysisNotApplicable(f"{self.run_dir}: a {self.kind} run cannot be scored again here")

    def extras(self, ex: Examples, repeats: int, max_depth: int, seed: int) -> dict:
        """Run-level explanations beyond the examples (permutation importance, a surrogate)."""
        return {}


def spread(total: int, n: int) -> list[int]:
    """``n`` indices spread evenly over ``range(total)`` (every one when ``total <= n``).

    Example:
        >>> spread(10, 3), spread(2, 5)
        ([0, 4, 9], [0, 1])
    """
    if total <= n:
        return list(range(total))
    return np.linspace(0, total - 1, n).round().astype(int).tolist()


def run_kind(run_dir: str | Path) -> str:
    """The ``kind`` a run's preprocessing.json names."""
    path = existing_run_dir(run_dir) / PREPROCESSING_FILE
    state = read_json(path) if path.is_file() else None
    kind = state.get("kind") if isinstance(state, dict) else None
    if not isinstance(kind, str):
        raise RunDirError(f"{path}: missing or not a seqlab preprocessing file (no `kind`)")
    return kind


#: The module of each run kind's adapter, imported when a run of that kind is analysed.
ADAPTER_MODULES = {
    "forecast": "series_targets", "time-series-classification": "series_targets",
    "speech-recognition": "series_targets", "anomaly": "series_targets",
    "text-classification": "token_targets", "language-model": "token_targets", "translation": "token_targets",
    **{kind: "generic_target" for kind in ("series", "text", "mnist", "synthetic")},
}


def adapter(kind: str) -> type[Target]:
    """The adapter class of runs of ``kind``."""
    module = importlib.import_module(f"seqlab.analysis.{ADAPTER_MODULES[kind]}")
    return next(cls for cls in module.TARGETS if cls.kind in (kind, ""))


def load_target(run_dir: str | Path) -> Target:
    """The adapter of the run in ``run_dir``, with its network loaded."""
    run_dir = existing_run_dir(run_dir)
    kind = run_kind(run_dir)
    if kind not in ADAPTER_MODULES:
        raise RunDirError(f"{run_dir / PREPROCESSING_FILE}: unknown run kind {kind!r}; the analysis tools read "
                          f"runs of {', '.join(sorted(ADAPTER_MODULES))}")
    return adapter(kind).load(run_dir)


def given_file(source: str | Path) -> Path:
    """An input file given to a tool; an error naming it when it is missing."""
    path = Path(source)
    if not path.exists():
        raise ConfigError(f"{path}: input not found (give a file the run's predict reads, or 'test')")
    return path


def task_config_commands(path: Path) -> list[str]:
    """The task commands whose config ``path`` validates as (``seqlab forecast train``, ...)."""
    from seqlab.tasks.anomaly.config import load_anomaly_config
    from seqlab.tasks.classify.config import load_classify_config
    from seqlab.tasks.forecasting.config import load_forecast_config
    from seqlab.tasks.generate.config import load_generate_config
    from seqlab.tasks.speech.config import load_speech_config
    from seqlab.tasks.text.config import load_text_config
    from seqlab.tasks.translate.config import load_translate_config

    loaders = {"seqlab forecast train": load_forecast_config, "seqlab text train": load_text_config,
               "seqlab classify train": load_classify_config, "seqlab speech train": load_speech_config,
               "seqlab anomaly fit": load_anomaly_config, "seqlab generate train": load_generate_config,
               "seqlab translate train": load_translate_config}
    found = []
    for command, load in loaders.items():
        try:
            load(path)
        except (ConfigError, ValueError, OSError):
            continue
        found.append(command)
    return found


def refuse_task_config(source: Path, raw: dict, tool: str, what_to_do: str) -> None:
    """Raise :class:`AnalysisNotApplicable` when ``raw`` is a task command's config (its ``data``
    has no ``kind``, or its ``model`` is a name rather than a list of layers): ``tool`` reads
    ``seqlab train`` and comparison configs; ``what_to_do`` says how to get there from a task config
    (``{command}`` and ``{config}`` are filled in)."""
    data, model = raw.get("data"), raw.get("model")
    if not ((isinstance(data, dict) and "kind" not in data) or (model is not None and not isinstance(model, list))):
        return
    commands = task_config_commands(source)
    command = commands[0] if len(commands) == 1 else "seqlab <task> train"
    which = f" of `{'` or `'.join(commands)}`" if commands else ""
    raise AnalysisNotApplicable(f"{source}: a task config{which}, not a `seqlab train` or comparison config (whose "
                                f"`data` has a `kind` and whose `model` is a list of layers); {tool}: "
                                + what_to_do.format(command=command, config=source))
