"""``AnomalyDetector``: flag anomalous rows of a series, in the scikit-learn manner.

It fits on the first part of a series with no labels (NAB's probationary period by default),
scores every row, and raises an alarm where the score passes a threshold fitted on validation
(peaks over threshold). ``evaluate`` needs the anomaly windows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from seqlab.data import memory
from seqlab.data.nab import NabSeries
from seqlab.errors import DataError
from seqlab.tasks.estimator import Estimator


class AnomalyDetector(Estimator):
    """LSTM forecaster residuals, LSTM/Conv1D autoencoders, or the rolling z-score.

    Args:
        model: ``lstm-forecast``, ``lstm-ae``, ``conv-ae``, ``zscore``, ``"auto"`` or a mapping.
        fit_fraction: the share of the series fitted on (default: NAB's probationary 15 %).
        val_fraction: the share of the fitted part held out to fit the threshold.
        epochs, max_time_s, batch_size, seed, options, verbose, out, overwrite, resume: see
            :class:`~seqlab.tasks.estimator.Estimator`.

    ``fit(X)`` takes a DataFrame with ``timestamp`` and ``value`` columns (or a DatetimeIndex and
    one column), a pandas Series with a DatetimeIndex, or a NAB-style CSV path.
    """

    kind = "anomaly"
    command = "anomaly"
    data_params = ("fit_fraction", "val_fraction")
    run_module = "seqlab.tasks.anomaly.run"
    config_class = "seqlab.tasks.anomaly.config:AnomalyConfig"
    train_function = "fit"

    def __init__(self, model="auto", *, fit_fraction=None, val_fraction=None, epochs=None, max_time_s=None,
                 batch_size=None, seed=0, options=None, verbose=False, out=None,
                 overwrite=False, resume=False):
        self._store(locals())

    def fit(self, X, y=None) -> AnomalyDetector:
        """Fit on the series ``X`` (no labels: ``y`` is ignored)."""
        with self._spec(X, _series, "series") as spec:
            return self._fit_spec(spec)

    def predict(self, X, streaming: bool = False) -> pd.DataFrame:
        """Every row's anomaly ``score`` and ``alarm`` (score above the fitted threshold), by timestamp."""
        self._check_fitted()
        with self._spec(X, _series, "series") as spec:
            out = self._run_module().predict(self.run_dir_, spec, streaming)
        return pd.DataFrame({"score": out["scores"], "alarm": out["alarms"]},
                            index=pd.DatetimeIndex(out["timestamps"], name="timestamp"))

    def evaluate(self, X, windows, key: str | None = None) -> dict:
        """Point-wise and window-wise F1 and NAB scores beside the z-score baseline.

        ``windows``: the anomaly windows as ``(start, end)`` timestamps, or NAB's
        ``combined_windows.json``, where the series is found by the path ``X`` or by ``key``
        (``realTraffic/speed_6005.csv``) for a series given in memory.
        """
        from seqlab.data.nab import read_label_windows

        self._check_fitted()
        run = self._run_module()
        if isinstance(X, (str, Path)) and isinstance(windows, (str, Path)) and key is None:
            return self.evaluate_result(run.score(self.run_dir_, str(X), str(windows)))
        if isinstance(windows, (str, Path)):
            if key is None:
                raise DataError(f"{windows}: name the series' entry with key= (e.g. 'realTraffic/speed_6005.csv')")
            windows = read_label_windows(windows, key)
        pairs = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in windows]
        with memory.lend(_series(X), "series") as spec, memory.lend(pairs, "windows") as labels:
            return self.evaluate_result(run.score(self.run_dir_, spec, labels))


def _series(X) -> NabSeries:
    """``X`` as a checked NabSeries (timestamps in order, finite values)."""
    if isinstance(X, (str, Path)):
        from seqlab.data.nab import read_nab_series

        return read_nab_series(X)
    if isinstance(X, pd.DataFrame):
        if isinstance(X.index, pd.DatetimeIndex) and "value" not in X.columns and X.shape[1] == 1:
            X = X.iloc[:, 0]
        elif "timestamp" in X.columns and "value" in X.columns:
            X = pd.Series(X["value"].to_numpy(), index=pd.DatetimeIndex(pd.to_datetime(X["timestamp"])))
        elif isinstance(X.index, pd.DatetimeIndex) and "value" in X.columns:
            X = X["value"]
        else:
            raise DataError("DataFrame: columns timestamp and value are needed (or a DatetimeIndex and one column); "
                            f"got {', '.join(map(str, X.columns))}")
    if not isinstance(X, pd.Series) or not isinstance(X.index, pd.DatetimeIndex):
        raise DataError(f"X: a DataFrame or a pandas Series with a DatetimeIndex is needed, got {type(X).__name__}")
    values = pd.to_numeric(X, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise DataError(f"X: row {bad[0] + 1} ({X.index[bad[0]]}) is missing, non-numeric or infinite")
    back = np.flatnonzero(np.diff(X.index.asi8) < 0)
    if back.size:
        raise DataError(f"X: timestamp {X.index[back[0] + 1]} at row {back[0] + 2} is earlier than the row before; "
                        "sort the rows by time")
    return NabSeries(Path("memory:series"), X.index, values)
