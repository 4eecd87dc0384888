"""A forecasting run's data: read and check the series, choose columns, split, scale, window.

``prepare_series(ForecastData)`` reads the file (built-in names bring their own timestamp
column, target and missing-value policy), picks input and target columns for the M/S/MS
setting, splits chronologically (the ETT protocol or fractions or row counts), fits the scaler on
the training rows only, and builds calendar marks when asked. ``SeriesSetup.dataset(split)``
serves every window of a split, sliding by one, none dropped.

Symbols: N rows, C input channels, K targets, L lookback, H horizon, F calendar marks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset
from torch.utils.data import Dataset

from seqlab.data import memory
from seqlab.data.calendar import calendar_features, future_timestamps, infer_frequency, rows_per_day
from seqlab.data.registry import BUILTIN, builtin_info, resolve
from seqlab.data.series import read_header, read_series
from seqlab.data.windows import StandardScaler, ett_borders, ett_rows_per_day, fraction_borders
from seqlab.errors import ConfigError, DataError
from seqlab.models.forecast import ForecastShape
from seqlab.tasks.forecasting.config import ForecastData

SPLITS = ("train", "val", "test")


@dataclass
class SeriesSetup:
    """The series of one run, ready to window.

    Attributes:
        columns: input columns, in the order of x's channels (C).
        targets: forecast columns (K), each also an input.
        values: (N, C) the raw values, float64.
        scaler: fitted on the training rows only.
        borders: ``[start, end)`` rows of train, validation, test; validation and test start L
            rows early, so their first window's lookback is the previous split's end.
        timestamps: (N,) or None; freq: their pandas frequency alias, or None.
        marks: (N, F) calendar features or None; mark_names: their names.
        season: the seasonal period in rows (24 for hourly data), or None.
    """

    data: ForecastData
    source: str
    columns: list[str]
    targets: list[str]
    values: np.ndarray
    scaler: StandardScaler
    borders: list[tuple[int, int]]
    timestamps: pd.DatetimeIndex | None = None
    freq: str | None = None
    marks: np.ndarray | None = None
    mark_names: list[str] = field(default_factory=list)
    season: int | None = None

    @property
    def tau(self) -> np.ndarray:
        """(N,) absolute step index of every row (a learned cycle reads its phase from it)."""
        return step_index(self.timestamps, self.freq, len(self.values))

    @property
    def target_idx(self) -> tuple[int, ...]:
        return tuple(self.columns.index(t) for t in self.targets)

    @property
    def scaled(self) -> np.ndarray:
        """(N, C) standardised values, float32."""
        return self.scaler.transform(self.values).astype(np.float32)

    @property
    def shape(self) -> ForecastShape:
        return ForecastShape(lookback=self.data.lookback, horizon=self.data.horizon, n_inputs=len(self.columns),
                             target_idx=self.target_idx, n_marks=len(self.mark_names), season=self.season)

    def rows(self, split: str) -> tuple[int, int]:
        if split not in SPLITS:
            raise ConfigError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
        return self.borders[SPLITS.index(split)]

    def dataset(self, split: str, teacher: bool = False) -> WindowDataset:
        """Every (input, target) window of ``split``; ``teacher`` adds ``y`` to the inputs (seq2seq)."""
        start, end = self.rows(split)
        return WindowDataset(self.scaled[start:end], None if self.marks is None else self.marks[start:end],
                             self.data.lookback, self.data.horizon, self.target_idx, teacher,
                             where=f"{split} split of {self.source}", tau=self.tau[start:end])

    def unscale(self, y: np.ndarray) -> np.ndarray:
        """Standardised targets (..., K) back in the data's units."""
        return unscale(y, self.scaler, list(self.target_idx))

    def state(self) -> dict:
        """What predict needs to repeat the preprocessing, JSON-safe."""
        return {"kind": "forecast", "columns": self.columns, "targets": self.targets,
                "timestamp_col": self.data.timestamp_col, "freq": self.freq, "lookback": self.data.lookback,
                "horizon": self.data.horizon, "scaler": self.scaler.to_dict(), "mark_names": self.mark_names,
                "season": self.season, "borders": [list(b) for b in self.borders], "source": self.source,
                "missing": self.data.missing}


def unscale(y: np.ndarray, scaler: StandardScaler, idx: list[int]) -> np.ndarray:
    """Values (..., K) of columns ``idx`` on the standardised scale, back in the data's units."""
    return y * scaler.scale_[idx] + scaler.mean_[idx]


class WindowDataset(Dataset):
    """Windows of a scaled series sliding by one: item i reads rows [i, i + L) and predicts [i + L, i + L + H).

    Items are ``({"x": (L, C), "tau": (), "marks": (L + H, F), "y": (H, K)}, y)``; ``tau`` is the
    absolute step index of the window's first row, ``marks`` only when the series has them and
    ``y`` among the inputs only for teacher forcing.
    """

    def __init__(self, scaled: np.ndarray, marks: np.ndarray | None, lookback: int, horizon: int,
                 target_idx: tuple[int, ...], teacher: bool = False, where: str = "series",
                 tau: np.ndarray | None = None) -> None:
        n = len(scaled) - lookback - horizon + 1
        if n < 1:
            raise DataError(f"the {where} has {len(scaled)} rows, too few for one window of lookback {lookback} "
                            f"+ horizon {horizon} = {lookback + horizon} rows; use a shorter lookback or horizon, "
                            "or a longer series")
        self.z = torch.from_numpy(np.ascontiguousarray(scaled))  # (N', C)
        self.marks = None if marks is None else torch.from_numpy(np.ascontiguousarray(marks))  # (N', F)
        self.lookback, self.horizon, self.n = lookback, horizon, n
        self.target_idx = list(target_idx)
        self.teacher = teacher
        self.tau = torch.from_numpy(np.asarray(tau if tau is not None else np.arange(len(scaled)), dtype=np.int64))

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        L, H = self.lookback, self.horizon
        y = self.z[i + L:i + L + H, self.target_idx]  # (H, K)
        item = {"x": self.z[i:i + L], "tau": self.tau[i]}  # (L, C), ()
        if self.marks is not None:
            item["marks"] = self.marks[i:i + L + H]  # (L + H, F)
        if self.teacher:
            item["y"] = y
        return item, y

    def targets(self) -> np.ndarray:
        """(n, H, K) every window's targets, in order."""
        idx = np.arange(self.n)[:, None] + self.lookback + np.arange(self.horizon)[None]  # (n, H)
        return self.z.numpy()[idx][:, :, self.target_idx]

    def inputs(self) -> np.ndarray:
        """(n, L, C) every window's inputs, in order."""
        idx = np.arange(self.n)[:, None] + np.arange(self.lookback)[None]  # (n, L)
        return self.z.numpy()[idx]


def step_index(timestamps: pd.DatetimeIndex | None, freq: str | None, n_rows: int) -> np.ndarray:
    """(N,) int64 steps since 1970-01-01 at the series' frequency (row numbers without timestamps).

    Fixed steps count whole steps since the epoch (hourly: hours, so ``% 24`` is the hour of
    day); calendar frequencies count months, quarters or years, business days count business
    days. The same timestamp always gets the same index, whichever file or window it comes from.
    """
    if timestamps is None or freq is None:
        return np.arange(n_rows, dtype=np.int64)
    stamps = pd.DatetimeIndex(timestamps)
    if stamps.tz is not None:
        stamps = stamps.tz_convert("UTC").tz_localize(None)
    offset = to_offset(freq)
    if isinstance(offset, offsets.Tick):  # a fixed length: hours, minutes, days, ...
        return np.asarray((stamps - pd.Timestamp(0)) // pd.Timedelta(offset), dtype=np.int64)
    months = np.asarray(stamps.year * 12 + stamps.month - 1, dtype=np.int64)
    if isinstance(offset, offsets.Week):
        return np.asarray((stamps - pd.Timestamp(0)).days // 7, dtype=np.int64)
    if isinstance(offset, offsets.BusinessDay):
        return np.busday_count(np.datetime64("1970-01-01"), stamps.values.astype("datetime64[D]")).astype(np.int64)
    if isinstance(offset, (offsets.QuarterBegin, offsets.QuarterEnd)):
        return months // 3
    if isinstance(offset, (offsets.YearBegin, offsets.YearEnd)):
        return months // 12
    return months


def season_of(freq: str | None) -> int | None:
    """The usual seasonal period of a frequency: a day of sub-daily rows, a week of days, a year of weeks, months or quarters."""
    if freq is None:
        return None
    try:
        return rows_per_day(freq)
    except (DataError, ConfigError):
        pass
    offset = to_offset(freq)
    for types, period in (((offsets.Day,), 7), ((offsets.BusinessDay,), 5), ((offsets.Week,), 52),
                          ((offsets.MonthBegin, offsets.MonthEnd, offsets.BusinessMonthBegin,
                            offsets.BusinessMonthEnd), 12),
                          ((offsets.QuarterBegin, offsets.QuarterEnd), 4)):
        if isinstance(offset, types):
            return period
    return None


def read_table(data: ForecastData, base: Path | None = None) -> tuple[pd.DataFrame, ForecastData, str]:
    """Read ``data.path`` with the built-in's defaults filled in; returns the frame, the filled config, the source."""
    info = builtin_info(data.path) if data.path.lower() in BUILTIN else None
    lent = memory.lookup(data.path)
    path = Path(data.path) if lent is not None else resolve(data.path, base)
    updates: dict = {}
    if data.timestamp_col is None:
        updates["timestamp_col"] = info.timestamp_col if info else _first_column(lent if lent is not None else path)
    if data.missing is None:
        updates["missing"] = info.missing if info else "error"
    if data.split is None:
        updates["split"] = "ett" if path.name.lower().startswith("ett") else [0.7, 0.1, 0.2]
    data = data.model_copy(update=updates)
    frame = read_series(data.path if lent is not None else path, timestamp_col=data.timestamp_col, missing=data.missing)
    if data.target is None:
        value_cols = [c for c in frame.columns if c != data.timestamp_col and c not in data.covariates]
        target = info.target if info and info.target in value_cols else value_cols[-1]
        data = data.model_copy(update={"target": target})
    source = data.path if info or lent is not None else str(path.resolve())
    return frame, data.model_copy(update={"path": source}), source


def _first_column(source: Path | pd.DataFrame) -> str:
    """The first column of a file or frame, the timestamp column by convention when none is named."""
    return str(source.columns[0]) if isinstance(source, pd.DataFrame) else read_header(source)[0]


def choose_columns(frame: pd.DataFrame, data: ForecastData) -> tuple[list[str], list[str]]:
    """Input and target columns for the M / S / MS setting."""
    value_cols = [str(c) for c in frame.columns if c != data.timestamp_col]
    for col in [data.target, *data.covariates]:
        if col not in value_cols:
            raise DataError(f"{data.path}: column '{col}' not found; value columns: {', '.join(value_cols)}")
    if data.target in data.covariates:
        raise ConfigError(f"column '{data.target}' is both the target and a covariate; a covariate is an input only")
    if data.features == "S":
        return [data.target, *data.covariates], [data.target]
    if data.features == "MS":
        return value_cols, [data.target]
    return value_cols, [c for c in value_cols if c not in data.covariates]


def split_borders(data: ForecastData, n_rows: int, timestamps: pd.DatetimeIndex | None) -> list[tuple[int, int]]:
    L = data.lookback
    if data.split == "ett":
        if timestamps is None:
            raise ConfigError("split 'ett' picks hourly or 15-minute borders from the timestamps; the series has none")
        return ett_borders(n_rows, L, rows_per_day=ett_rows_per_day(timestamps))
    split = data.split
    if all(float(v).is_integer() and v >= 1 for v in split):  # row counts
        n_train, n_val, n_test = (int(v) for v in split)
        if n_train + n_val + n_test > n_rows:
            raise DataError(f"split {n_train},{n_val},{n_test} needs {n_train + n_val + n_test} rows, "
                            f"the series has {n_rows}")
        val_end = n_train + n_val
        return [(0, n_train), (n_train - L, val_end), (val_end - L, val_end + n_test)]
    return fraction_borders(n_rows, L, tuple(split))


def prepare_series(data: ForecastData, base: Path | None = None, *, split: bool = True) -> SeriesSetup:
    """Read, check, split and scale ``data``; see the module docstring.

    ``split=False`` (backtests, which split by folds) ignores ``data.split``: no borders, and the
    scaler is left unfitted for the caller to fit on its own training rows.
    """
    frame, data, source = read_table(data, base)
    columns, targets = choose_columns(frame, data)
    values = frame[columns].to_numpy(dtype=np.float64)  # (N, C)
    timestamps = pd.DatetimeIndex(frame[data.timestamp_col]) if data.timestamp_col else None
    freq = infer_frequency(timestamps) if timestamps is not None and len(timestamps) >= 3 else None
    borders, scaler = [], StandardScaler()
    if split:
        try:
            borders = split_borders(data, len(values), timestamps)
        except DataError as exc:
            raise DataError(f"{source}: {exc}") from None
        if borders[0][1] <= data.lookback:
            raise DataError(f"{source}: the training split has {borders[0][1]} rows, not more than the lookback "
                            f"{data.lookback}")
        scaler.fit(values[borders[0][0]:borders[0][1]])
    marks, mark_names = None, []
    if data.calendar:
        if timestamps is None or freq is None:
            raise ConfigError("calendar features need a timestamp column with a regular frequency")
        marks, mark_names = calendar_features(timestamps, freq)
    return SeriesSetup(data=data, source=source, columns=columns, targets=targets, values=values, scaler=scaler,
                       borders=borders, timestamps=timestamps, freq=freq, marks=marks, mark_names=mark_names,
                       season=season_of(freq))


def history_inputs(frame: pd.DataFrame, state: dict, source: str = "history") -> tuple[dict[str, torch.Tensor],
                                                                                      pd.DatetimeIndex | None]:
    """The model input for forecasting past the end of ``frame``: its last L rows, standardised.

    Returns the input dict (batch of one) and the H future timestamps (None without timestamps).
    """
    L, H = state["lookback"], state["horizon"]
    values = frame[state["columns"]].to_numpy(dtype=np.float64)
    if len(values) < L:
        raise DataError(f"{source}: the history has {len(values)} rows; forecasting needs the last lookback = {L} rows")
    scaler = StandardScaler.from_dict(state["scaler"])
    item = {"x": torch.from_numpy(scaler.transform(values[-L:]).astype(np.float32))[None]}  # (1, L, C)
    future = None
    ts_col = state["timestamp_col"]
    stamps = pd.DatetimeIndex(frame[ts_col]) if ts_col is not None else None
    item["tau"] = torch.from_numpy(step_index(stamps, state["freq"], len(values))[-L:][:1])  # (1,)
    if ts_col is not None and state["freq"] is not None:
        freq = infer_frequency(stamps) if len(stamps) >= 3 else state["freq"]
        if to_offset(freq) != to_offset(state["freq"]):
            raise DataError(f"{source}: its timestamps step by '{freq}', the model was trained on '{state['freq']}' data")
        future = future_timestamps(stamps[-1], state["freq"], H)
        if state["mark_names"]:
            marks, _ = calendar_features(stamps[-L:].append(future), state["freq"])
            item["marks"] = torch.from_numpy(marks)[None]  # (1, L + H, F)
    return item, future
