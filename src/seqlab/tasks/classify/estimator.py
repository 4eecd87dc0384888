"""``SeriesClassifier``: classify whole series (UCR/UEA-style), in the scikit-learn manner.

Example:
    >>> import numpy as np, seqlab
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (20, 50, 1)), rng.normal(0, 1, (20, 50, 1)).cumsum(axis=1)])
    >>> clf = seqlab.SeriesClassifier(model="fcn", epochs=3).fit(X, ["noise"] * 20 + ["walk"] * 20)
    >>> clf.predict_proba(X[:3]).shape, list(clf.classes_)
    ((3, 2), ['noise', 'walk'])
"""

from __future__ import annotations

import numpy as np

from seqlab.data.ucr import SeriesSet
from seqlab.errors import DataError
from seqlab.tasks.classifier import ClassifierEstimator, check_pairs


class SeriesClassifier(ClassifierEstimator):
    """A time-series classifier: FCN, ResNet, LSTM-FCN, BiGRU, ... (Fawaz et al.'s recipe).

    Args:
        model: a family (``fcn``, ``resnet``, ``lstm-fcn``, ``bigru``, ``lstm``), ``"auto"`` or a mapping.
        normalize: ``auto``, ``series`` (z-normalise each series), ``channel`` or ``none``.
        val_fraction: the share of the training series held out for validation (0: none).
        missing: NaN inside a series: ``auto``, ``error`` or ``interpolate``.
        epochs, max_time_s, batch_size, seed, options, verbose, out, overwrite, resume: see
            :class:`~seqlab.tasks.estimator.Estimator`.

    ``fit(X, y)`` takes X as an (n, T, D) or (n, T) array, or a list of (T_i, D) arrays of unequal
    lengths; or a UCR/UEA file or folder (``.ts``, ``.arff``, ``.tsv``).
    """

    kind = "time-series-classification"
    command = "classify"
    data_params = ("normalize", "val_fraction", "missing")
    run_module = "seqlab.tasks.classify.run"
    config_class = "seqlab.tasks.classify.config:ClassifyConfig"

    def __init__(self, model="auto", *, normalize=None, val_fraction=None, missing=None, epochs=None,
                 max_time_s=None, batch_size=None, seed=0, options=None, verbose=False, out=None,
                 overwrite=False, resume=False):
        self._store(locals())

    def _lend(self, X, y=None) -> tuple[SeriesSet, str]:
        series = as_series_list(X)
        labels = check_pairs(len(series), y, "SeriesClassifier.fit")
        return SeriesSet(series=series, labels=labels, lines=list(range(len(series))), source="X", name="X"), "X"

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes) class probabilities of the series ``X`` (as in ``fit``), normalised as in training."""
        from seqlab.tasks.classify.data import check_dims, normalize
        from seqlab.tasks.classify.run import predict_proba

        self._check_fitted()
        series = as_series_list(X)
        check_dims(SeriesSet(series=series, labels=None, lines=list(range(len(series))), source="X"),
                   self.preprocessing_["dims"])
        return predict_proba(self.model_, [normalize(s, self.preprocessing_["normalizer"]) for s in series])


def as_series_list(X) -> list[np.ndarray]:
    """``X`` as a list of float64 (T_i, D) arrays: from (n, T, D), (n, T) (one dimension), or a list."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim == 2:
            X = X[:, :, None]
        if X.ndim != 3:
            raise DataError(f"X: an (n, T, D) or (n, T) array is needed, got shape {X.shape}")
        return [np.asarray(x, dtype=np.float64) for x in X]
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
        raise DataError(f"X: an array or a list of (T, D) arrays is needed, got {type(X).__name__}")
    out = []
    for i, x in enumerate(X):
        a = np.asarray(x, dtype=np.float64)
        a = a[:, None] if a.ndim == 1 else a
        if a.ndim != 2 or len(a) == 0:
            raise DataError(f"X[{i}]: a (T, D) or (T,) array with T >= 1 is needed, got shape {a.shape}")
        out.append(a)
    if not out:
        raise DataError("X: no series")
    return out
