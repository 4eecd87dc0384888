"""The estimator base: scikit-learn's object life cycle over one task's run directory.

Every task's estimator (``Forecaster``, ``TextClassifier``, ...) states only its parts: its run
module (``train``, ``evaluate``, ``load_run``), its config class, the constructor arguments that
are keys of the config's ``data`` section, and how in-memory data becomes what the task's reader
returns. This base does the rest once:

- ``__init__`` stores its arguments and nothing else, so ``get_params``/``set_params`` and
  ``sklearn.base.clone`` come from ``sklearn.base.BaseEstimator``;
- ``fit`` builds the task config from the parameters, lends the data to the reader
  (:mod:`seqlab.data.memory`), trains through the task's own ``train`` (the same split, scaler,
  baselines, ``auto`` selection and run directory as the command line) into a private folder,
  and loads the result: fitted attributes end in ``_``;
- ``save(path)`` writes that run directory to ``path`` (staged, then renamed into place), and
  :func:`seqlab.load` returns the fitted estimator of any task's run. No pickle anywhere:
  safetensors, JSON and YAML.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import logging
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from seqlab.data import memory
from seqlab.models.io import write_json as atomic_write_json
from seqlab.tasks.results import standard_result
from seqlab.tasks.rundir import check_out, staged_run
from seqlab.tasks.taskconfig import parse_task_config

log = logging.getLogger(__name__)
ESTIMATOR_FILE = "estimator.json"
WHERE_PARAMS = ("out", "overwrite", "resume")  # where a fit writes: not saved with the model


class Estimator(BaseEstimator):
    """What every seqlab estimator shares (see the module docstring).

    Parameters shared by every estimator (each subclass's ``__init__`` lists them):
        model: a family name, ``"auto"`` (chosen on validation), or a mapping of the family's keys.
        epochs, max_time_s, batch_size: training length and batch; None takes the task's default.
        seed: the seed of the split and of training.
        options: any other config keys as a nested mapping, e.g. ``{"optimizer": {"lr": 1e-3}}``.
        verbose: show a progress bar while training.
        out: the run directory ``fit`` writes (None: a private temporary folder; ``save`` copies it).
            A fit stopped by a kill, SIGTERM or Ctrl-C keeps its last checkpoint beside ``out``,
            and the same estimator with ``resume=True`` continues it from there.
        overwrite: let ``fit`` replace a run directory seqlab wrote at ``out``.
        resume: continue the interrupted (or finished) run at ``out`` from its last checkpoint.
    """

    kind: ClassVar[str]  # the ``kind`` in the run's preprocessing.json
    command: ClassVar[str]  # the CLI group that writes the same runs
    data_params: ClassVar[tuple[str, ...]] = ()  # constructor arguments that are ``data.<name>`` config keys
    run_module: ClassVar[str]  # the task's run module: train(config, out, progress=...), load_run, evaluate
    config_class: ClassVar[str]  # "module:Class" of the task's config
    train_function: ClassVar[str] = "train"  # the run module's function that trains a config into a folder

    # -- parts each task states ------------------------------------------------------------------

    def _store(self, arguments: dict) -> None:
        """``__init__``'s body: keep every argument as it was given (scikit-learn's contract)."""
        for name in inspect.signature(type(self).__init__).parameters:
            if name != "self":
                setattr(self, name, arguments[name])

    @classmethod
    def _run_module(cls):
        return importlib.import_module(cls.run_module)

    @classmethod
    def _config_class(cls) -> type:
        module, name = cls.config_class.split(":")
        return getattr(importlib.import_module(module), name)

    def _train(self, config, out: Path) -> dict:
        train = getattr(self._run_module(), self.train_function)
        return train(config, out, progress=bool(self.verbose), overwrite=bool(self.overwrite), resume=bool(self.resume))

    def _load(self, run_dir: Path) -> None:
        """Set the fitted attributes from a run directory (``config_``, ``model_``, ...)."""
        config, net, state = self._run_module().load_run(run_dir)
        self.config_, self.model_, self.preprocessing_ = config, net, state

    # -- the life cycle --------------------------------------------------------------------------

    def _config(self, spec: str, **data_keys):
        """The task config of these parameters, reading its data from ``spec`` (a path or a memory key);
        ``data_keys`` are what fit found in the data itself (a DataFrame's timestamp column, say)."""
        data = {"path": spec, **{name: getattr(self, name) for name in self.data_params
                                 if getattr(self, name) is not None}, **data_keys}
        train = {key: getattr(self, key) for key in ("epochs", "max_time_s", "batch_size", "seed")
                 if getattr(self, key) is not None}
        raw = _merged({"data": data, "model": self.model, **({"train": train} if train else {})}, self.options or {})
        return parse_task_config(self._config_class(), raw, f"{type(self).__name__} parameters")

    @staticmethod
    @contextlib.contextmanager
    def _spec(data, convert, label: str) -> Iterator[str]:
        """Where the task's reader finds ``data``: a path (or built-in name) as it is, else
        ``convert(data)`` lent in memory under a key naming ``label``."""
        if isinstance(data, (str, Path)):
            yield str(data)
            return
        with memory.lend(convert(data), label) as key:
            yield key

    def _fit_spec(self, spec: str, **data_keys) -> Estimator:
        """Train on the data at ``spec`` into a private run directory and load it."""
        config = self._config(spec, **data_keys)
        if self.out is not None:
            out = Path(self.out)
        else:  # a private folder that lives as long as the estimator
            folder = Path(tempfile.mkdtemp(prefix=f"seqlab-{self.command}-"))
            weakref.finalize(self, shutil.rmtree, str(folder), True)
            out = folder / "run"
        result = self._train(config, out)
        self._adopt(out)
        self.fit_result_ = standard_result(result)
        return self

    def _adopt(self, run_dir: Path) -> None:
        self.run_dir_ = Path(run_dir)
        self._load(self.run_dir_)

    def _check_fitted(self) -> None:
        if not hasattr(self, "run_dir_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(...) first")

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write the fitted run directory to ``path`` (a new folder, or a seqlab run with ``overwrite``)."""
        self._check_fitted()
        out = Path(path)
        check_out(out, overwrite)
        with staged_run(out) as work:
            shutil.copytree(self.run_dir_, work, dirs_exist_ok=True)
            atomic_write_json(work / ESTIMATOR_FILE, {"estimator": type(self).__name__,
                                                      "params": _json_params({k: v for k, v in self.get_params().items()
                                                                          if k not in WHERE_PARAMS}),
                                                      **self._estimator_state()})
        return out

    def _estimator_state(self) -> dict:
        """What the estimator knows beyond the run directory (the type of the labels, say), JSON-safe."""
        return {}

    @property
    def model_name_(self) -> str:
        """The fitted model's family (``auto`` resolved to what it chose; ``ensemble`` for an ensemble)."""
        self._check_fitted()
        model = self.config_.model
        return model if isinstance(model, str) else model.name

    def evaluate_result(self, result: dict) -> dict:
        """A task's evaluation in the one result shape (``metrics``, ``baselines``, ``model``, ``run_dir``)."""
        return standard_result(result)

    @classmethod
    def _params_from_config(cls, config) -> dict:
        """Constructor arguments that reproduce a run's config (for a run written by the command line)."""
        model = config.model if isinstance(config.model, str) else config.model.name
        params = {"model": model, "epochs": config.train.epochs, "seed": config.train.seed}
        params.update({name: getattr(config.data, name) for name in cls.data_params})
        return params

    @classmethod
    def _from_run(cls, run_dir: Path, params: dict | None) -> Estimator:
        est = cls()
        est._adopt(run_dir)
        valid = est.get_params()
        given = params if params is not None else cls._params_from_config(est.config_)
        est.set_params(**{k: v for k, v in given.items() if k in valid})
        return est


def _merged(base: dict, extra: dict) -> dict:
    """``extra`` over ``base``, recursively for nested mappings."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _json_params(params: dict[str, Any]) -> dict:
    """The constructor arguments as JSON (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
