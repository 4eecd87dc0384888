"""``Forecaster``: forecast a DataFrame's next ``horizon`` rows, in the scikit-learn manner.

Example:
    >>> import seqlab
    >>> from seqlab.data.series import read_series
    >>> df = read_series("etth1", columns=["OT"]).iloc[:2000]
    >>> f = seqlab.Forecaster(model="dlinear", lookback=48, horizon=12, epochs=1).fit(df)
    >>> f.predict(df).shape
    (12, 1)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seqlab.errors import DataError
from seqlab.tasks.estimator import Estimator

TIMESTAMP_NAMES = ("date", "ds", "timestamp", "time", "datetime")


class Forecaster(Estimator):
    """Forecast the next ``horizon`` steps of one or more columns from the last ``lookback`` steps.

    Args:
        model: a forecasting family (``segrnn``, ``cycle-segrnn``, ``lstm``, ``dlinear``, ...),
            ``"auto"`` (candidates trained and the best kept by validation MSE), or a mapping of its keys.
        lookback: L, input steps. horizon: H, forecast steps.
        target: the column to forecast (default: the last value column).
        features: ``S`` the target alone, ``MS`` every column in and the target out, ``M`` every column.
        timestamp_col: the timestamp column; None detects it (a DatetimeIndex, a datetime column,
            or a column named date/ds/timestamp/time/datetime).
        covariates, calendar, missing, split: as the ``data`` keys of ``seqlab forecast train``.
        epochs, max_time_s, batch_size, seed, options, verbose, out, overwrite, resume: see
            :class:`~seqlab.tasks.estimator.Estimator`.

    Fitted attributes: ``model_`` (the network), ``config_``, ``preprocessing_``, ``run_dir_``,
    ``fit_result_`` (validation and test scores beside the baselines).
    """

    kind = "forecast"
    command = "forecast"
    data_params = ("lookback", "horizon", "target", "features", "timestamp_col", "covariates", "calendar",
                   "missing", "split")
    run_module = "seqlab.tasks.forecasting.run"
    config_class = "seqlab.tasks.forecasting.config:ForecastConfig"

    def __init__(self, model="auto", *, lookback=96, horizon=24, target=None, features="S", timestamp_col=None,
                 covariates=None, calendar=False, missing=None, split=None, epochs=None, max_time_s=None,
                 batch_size=None, seed=0, options=None, verbose=False, out=None,
                 overwrite=False, resume=False):
        self._store(locals())

    def fit(self, data: pd.DataFrame | str | Path) -> Forecaster:
        """Train on ``data``: a DataFrame with a timestamp (column or index), or a CSV/Parquet path or built-in name."""
        found = {"timestamp_col": self._frame(data)[1]} if isinstance(data, pd.DataFrame) else {}
        with self._spec(data, lambda df: self._frame(df)[0], "DataFrame") as spec:
            return self._fit_spec(spec, **found)

    def predict(self, data: pd.DataFrame | str | Path) -> pd.DataFrame:
        """The ``horizon`` rows after the end of ``data``, in the data's units: a DataFrame indexed by
        the future timestamps (or ``step``), one column per target."""
        self._check_fitted()
        with self._spec(data, self._history, "DataFrame") as spec:
            result = self._run_module().predict(self.run_dir_, spec)
        return result.set_index(result.columns[0])

    def evaluate(self, data: pd.DataFrame | str | Path, split: str = "test") -> dict:
        """Scores of the model and of the baselines on ``split`` of ``data``, split as in training."""
        self._check_fitted()
        with self._spec(data, self._history, "DataFrame") as spec:
            return self.evaluate_result(self._run_module().evaluate(self.run_dir_, split, spec))

    def _history(self, df: pd.DataFrame) -> pd.DataFrame:
        return self._frame(df, self.preprocessing_["timestamp_col"])[0]

    def _frame(self, df: pd.DataFrame, ts: str | None = None) -> tuple[pd.DataFrame, str | None]:
        """``df`` with its timestamps as a column, and that column's name."""
        ts = ts or self.timestamp_col
        if isinstance(df.index, pd.DatetimeIndex):
            name = df.index.name or "timestamp"
            return df.rename_axis(name).reset_index(), ts or name
        if ts is not None:
            if ts not in df.columns:
                raise DataError(f"DataFrame: timestamp column '{ts}' not found; columns: {', '.join(map(str, df.columns))}")
            return df, ts
        found = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
        found = found or [c for c in df.columns if str(c).lower() in TIMESTAMP_NAMES]
        if not found:
            raise DataError("DataFrame: no timestamp column found (no DatetimeIndex, no datetime column, none named "
                            f"{'/'.join(TIMESTAMP_NAMES)}); name it with Forecaster(timestamp_col=...)")
        return df, str(found[0])
