"""What every classifier estimator shares: labels of the type given, ``predict`` from ``predict_proba``.

A task's classifier (text, series, speech) states how its inputs are lent to the reader
(:meth:`ClassifierEstimator._lend`) and how the fitted network scores them
(:meth:`ClassifierEstimator.predict_proba`); labels, ``classes_``, ``predict`` and ``evaluate``
are here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seqlab.data import memory
from seqlab.errors import DataError
from seqlab.models import io
from seqlab.tasks.classification import classification_scores
from seqlab.tasks.estimator import ESTIMATOR_FILE, Estimator


def label_kind(labels: Sequence) -> str:
    """``"int"`` when every label is an integer (numpy's too, not bool), else ``"str"``."""
    ints = all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in labels)
    return "int" if ints and len(labels) else "str"


def check_pairs(n_inputs: int, labels: Sequence | None, what: str) -> list[str]:
    """The labels as strings (the run's label names), one per input."""
    if labels is None:
        raise DataError(f"{what}: labels are needed to fit (fit(X, y))")
    if len(labels) != n_inputs:
        raise DataError(f"{what}: {n_inputs} inputs but {len(labels)} labels")
    return [str(v) for v in labels]


class ClassifierEstimator(Estimator):
    """Labels in, labels out: ``classes_`` holds them in the run's order, as the type they were given."""

    def _lend(self, X, y=None) -> tuple[object, str]:
        """What the task's reader takes for ``X`` (and labels ``y``), and a label for messages."""
        raise NotImplementedError

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes) class probabilities, columns in the order of ``classes_``."""
        raise NotImplementedError

    def fit(self, X, y=None) -> ClassifierEstimator:
        """Train on inputs ``X`` with labels ``y``, or on a path (file, folder or built-in name) alone."""
        if isinstance(X, (str, Path)) and y is None:
            self._label_kind = "str"
            return self._fit_spec(str(X))
        lent, label = self._lend(X, y)
        self._label_kind = label_kind(list(y))
        with memory.lend(lent, label) as key:
            self._fit_spec(key, **self._memory_data_keys())
        return self

    def _memory_data_keys(self) -> dict:
        """Data keys a fit on data in memory sets (no test file to look for, say)."""
        return {}

    def _load(self, run_dir: Path) -> None:
        super()._load(run_dir)
        kind = getattr(self, "_label_kind", None)
        saved = run_dir / ESTIMATOR_FILE
        if kind is None and saved.is_file():
            kind = io.read_json(saved).get("label_kind")
        names = self.preprocessing_["labels"]
        as_int = kind == "int" and all(_is_int(n) for n in names)
        self._label_kind = "int" if as_int else "str"
        self.classes_ = np.array([int(n) for n in names] if as_int else list(names), dtype=object if not as_int else None)

    def _estimator_state(self) -> dict:
        return {"label_kind": self._label_kind}

    def predict(self, X) -> np.ndarray:
        """The most probable class of each input, as the type of the labels given to ``fit``."""
        self._check_fitted()
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def evaluate(self, X, y=None) -> dict:
        """Accuracy, macro-F1, per-class scores and the confusion matrix on ``X`` (labels ``y``), beside
        the majority-class baseline of those labels."""
        self._check_fitted()
        if y is None:
            raise DataError(f"{type(self).__name__}.evaluate: labels are needed (evaluate(X, y))")
        names = [str(c) for c in self.classes_]
        index = {n: i for i, n in enumerate(names)}
        unknown = sorted({str(v) for v in y} - set(index))
        if unknown:
            raise DataError(f"{type(self).__name__}.evaluate: labels {unknown[:10]} were not seen in fit "
                            f"(known: {names[:20]})")
        truth = np.array([index[str(v)] for v in y])
        probs = self.predict_proba(X)
        majority = np.full_like(truth, np.bincount(truth, minlength=len(names)).argmax())
        return self.evaluate_result({**classification_scores(truth, probs.argmax(axis=1), names),
                                     "baselines": {"majority_class": classification_scores(truth, majority, names)},
                                     "model": self.model_name_, "run_dir": str(self.run_dir_)})


def _is_int(name: str) -> bool:
    return name.lstrip("-").isdigit()
