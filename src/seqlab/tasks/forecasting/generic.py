"""Time-series windows for the generic ``seqlab train`` (the forecasting task builds on these).

Columns are standardised with statistics of the training rows only; windows slide by one over
each split; the targets of a window are flattened to ``horizon * len(target)`` outputs, so
``Dense(horizon)`` is a direct multi-horizon head. Metrics are on the standardised scale, as
every published ETT figure is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqlab.data.registry import resolve
from seqlab.data.series import StandardScaler, ett_borders, fraction_borders, make_windows, read_series
from seqlab.errors import ConfigError
from seqlab.tasks.config import SeriesData
from seqlab.tasks.prepared import Prepared


def prepare(data: SeriesData, base: Path) -> Prepared:
    features = data.features or list(data.target)
    columns = list(dict.fromkeys(features + list(data.target)))
    path = resolve(data.path, base)
    frame = read_series(path, columns=columns, timestamp_col=data.timestamp_col)
    values = frame[columns].to_numpy(dtype=np.float64)  # (N, C)
    if data.split == "ett":
        borders = ett_borders(len(values), data.lookback, rows_per_day=_rows_per_day(frame, data))
    else:
        if len(data.split) != 3 or abs(sum(data.split) - 1.0) > 1e-6:
            raise ConfigError(f"data.split: expected 'ett' or three fractions summing to 1, got {data.split}")
        borders = fraction_borders(len(values), data.lookback, tuple(data.split))
    scaler = StandardScaler().fit(values[borders[0][0]:borders[0][1]])
    scaled = scaler.transform(values)
    inputs = [columns.index(c) for c in features]
    targets = [columns.index(c) for c in data.target]
    splits = []
    for start, end in borders:
        x, y = make_windows(scaled[start:end], data.lookback, data.horizon, inputs, targets)
        splits += [x, y.reshape(len(y), -1)]  # (n, L, C_in), (n, H * C_out)
    state = {"kind": "series", "columns": columns, "features": features, "target": list(data.target),
             "lookback": data.lookback, "horizon": data.horizon, "timestamp_col": data.timestamp_col,
             "scaler": scaler.to_dict(), "borders": [list(b) for b in borders]}
    prepared = Prepared(*splits, state=state)
    if all(t in features for t in data.target):
        # last value: every future step equals the last observed value of the target
        last = splits[4][:, -1, [features.index(t) for t in data.target]]  # (n, C_out)
        prepared.baselines["last_value"] = np.tile(last, (1, data.horizon))
    return prepared


def _rows_per_day(frame, data: SeriesData) -> int:
    """24 for hourly ETT, 96 for 15-minute ETT, from the spacing of the timestamps."""
    if data.timestamp_col is None or len(frame) < 2:
        return 24
    step = (frame[data.timestamp_col].iloc[1] - frame[data.timestamp_col].iloc[0]).total_seconds()
    return max(1, int(round(86400 / step))) if step > 0 else 24


def predict_inputs(path: Path, state: dict) -> np.ndarray:
    """The last ``lookback`` rows of a CSV with the training columns, standardised: (1, L, C_in)."""
    frame = read_series(path, columns=state["columns"], timestamp_col=state["timestamp_col"])
    values = frame[state["columns"]].to_numpy(dtype=np.float64)
    L = state["lookback"]
    if len(values) < L:
        from seqlab.errors import DataError
        raise DataError(f"{path}: needs at least lookback={L} rows to forecast, has {len(values)}")
    scaled = StandardScaler.from_dict(state["scaler"]).transform(values[-L:])
    idx = [state["columns"].index(c) for c in state["features"]]
    return scaled[None, :, idx].astype(np.float32)


def format_predictions(y: np.ndarray, state: dict) -> list[dict]:
    """One record per forecast step, in the original units of each target."""
    scaler = StandardScaler.from_dict(state["scaler"])
    idx = [state["columns"].index(c) for c in state["target"]]
    mean, scale = np.asarray(scaler.mean_)[idx], np.asarray(scaler.scale_)[idx]
    records = []
    for row in y.reshape(len(y), state["horizon"], len(idx)):
        for step, values in enumerate(row * scale + mean, start=1):
            records.append({"step": step, **{c: float(v) for c, v in zip(state["target"], values)}})
    return records
