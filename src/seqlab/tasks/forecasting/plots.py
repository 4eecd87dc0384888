"""Forecast figures as PNG files: one forecast against its context, and error by horizon step.

Figures are drawn on a bare ``matplotlib.figure.Figure`` with the Agg canvas, so nothing here
touches pyplot's global state or opens a window, and rendering works in threads and on servers.
Each PNG is rendered to memory and written with ``atomic_write_bytes``: a crash leaves either
the old file or the new one, never half a picture.

Symbols: L = lookback (context rows), H = horizon, C = channels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from seqlab.errors import ConfigError, DataError, ShapeError
from seqlab.tasks.figures import png_path, save_png

#: ``plot_forecast`` draws at most this many channels (the first ones); more are unreadable.
MAX_CHANNELS = 7


def _as_2d(name: str, arr: Any) -> np.ndarray:
    """(T,) or (T, C) -> float64 (T, C), finite and non-empty."""
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ShapeError(f"{name} must be a non-empty (steps, channels) array, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise DataError(f"{name} has {int((~np.isfinite(arr)).sum())} NaN/Inf value(s)")
    return arr


def plot_forecast(
    path: str | Path,
    history: np.ndarray,
    actual: np.ndarray | None,
    forecast: np.ndarray,
    *,
    timestamps: Sequence[Any] | np.ndarray | None = None,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> Path:
    """Draw one forecast after its lookback context, one subplot per channel, as a PNG.

    Without ``timestamps`` the x axis counts steps from the forecast origin: the context sits at
    ``-L+1 .. 0`` (0 is the last observed row) and the forecast at ``1 .. H`` (h steps ahead).
    A dashed vertical line marks the origin. Only the first ``MAX_CHANNELS`` channels are drawn;
    the title says so when some are left out.

    Args:
        path: the ``.png`` file to write (folders are created; an existing file is replaced).
        history: (L, C) the lookback rows the forecast was made from; (L,) for one channel.
        actual: (H, C) what really happened, or ``None`` for a forecast of the unknown future.
        forecast: (H, C) the forecast.
        timestamps: L + H time stamps (history rows, then forecast rows) for the x axis.
        columns: C channel names for the subplot labels; ``"channel 0"``, ... when ``None``.
        title: figure title; a default names the lookback and horizon.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ShapeError: the arrays disagree in channels, ``actual`` and ``forecast`` in steps, or
            ``timestamps`` / ``columns`` have the wrong length (the message names the shapes).
        DataError: an array holds NaN/Inf.
        ConfigError: ``path`` does not end in ``.png``.

    Example:
        >>> import tempfile
        >>> t = np.arange(36.0)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     out = plot_forecast(Path(d) / "f.png", np.sin(t[:24]), np.sin(t[24:]), np.sin(t[24:]) + 0.1)
        ...     out.read_bytes()[:4]
        b'\\x89PNG'
    """
    path = png_path(path)
    history = _as_2d("history", history)  # (L, C)
    forecast = _as_2d("forecast", forecast)  # (H, C)
    (n_hist, n_channels), n_steps = history.shape, forecast.shape[0]
    if forecast.shape[1] != n_channels:
        raise ShapeError(
            f"history {history.shape} and forecast {forecast.shape} must have the same number of channels"
        )
    if actual is not None:
        actual = _as_2d("actual", actual)  # (H, C)
        if actual.shape != forecast.shape:
            raise ShapeError(f"actual {actual.shape} and forecast {forecast.shape} must have the same shape (H, C)")
    names = [f"channel {c}" for c in range(n_channels)] if columns is None else [str(c) for c in columns]
    if len(names) != n_channels:
        raise ShapeError(f"columns has {len(names)} name(s), the arrays have {n_channels} channel(s)")

    if timestamps is None:
        x_hist = np.arange(-n_hist + 1, 1)  # (L,) ... -1, 0
        x_fut = np.arange(1, n_steps + 1)  # (H,) 1 .. H
        origin: Any = 0
        xlabel = "steps from the forecast origin"
    else:
        stamps = np.asarray(timestamps)
        if stamps.shape != (n_hist + n_steps,):
            raise ShapeError(
                f"timestamps must hold L + H = {n_hist} + {n_steps} = {n_hist + n_steps} stamps "
                f"(history, then forecast), got shape {stamps.shape}"
            )
        x_hist, x_fut = stamps[:n_hist], stamps[n_hist:]
        origin = x_hist[-1]
        xlabel = "time"

    shown = min(n_channels, MAX_CHANNELS)
    fig = Figure(figsize=(10, 1.0 + 2.0 * shown), layout="constrained")
    axes = fig.subplots(shown, 1, sharex=True, squeeze=False)[:, 0]
    for c, ax in enumerate(axes):
        # the forecast and actual lines start at the last observed point, so they join the context
        ax.plot(x_hist, history[:, c], color="0.35", lw=1.2, label="history")
        joined_x = np.concatenate([x_hist[-1:], x_fut])
        if actual is not None:
            joined = np.concatenate([history[-1:, c], actual[:, c]])
            ax.plot(joined_x, joined, color="tab:blue", lw=1.2, label="actual")
        ax.plot(joined_x, np.concatenate([history[-1:, c], forecast[:, c]]), color="tab:orange", lw=1.6, label="forecast")
        ax.axvline(origin, color="0.5", ls="--", lw=1, label="forecast origin")
        ax.set_ylabel(names[c])
        ax.grid(alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=4, fontsize="small")
    axes[-1].set_xlabel(xlabel)
    if title is None:
        title = f"forecast of {n_steps} step(s) from {n_hist} step(s) of context"
    if shown < n_channels:
        title += f" (first {shown} of {n_channels} channels)"
    fig.suptitle(title)
    return save_png(fig, path)


def plot_horizon_errors(
    path: str | Path,
    per_step: Mapping[str, np.ndarray],
    *,
    metric: str = "MSE",
    title: str | None = None,
) -> Path:
    """Draw an error metric against the forecast step, one line per model, as a PNG.

    Feed it ``metrics.per_horizon(y_true, y_pred)["mse"]`` of each model.

    Args:
        path: the ``.png`` file to write.
        per_step: model name -> (H,) error at steps 1 .. H. Models may have different horizons.
        metric: the y-axis label.
        title: figure title; defaults to "<metric> by horizon step".

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ConfigError: ``per_step`` is empty, or ``path`` does not end in ``.png``.
        ShapeError: an entry is not a non-empty 1-D array (the message names the model).
        DataError: an entry holds NaN/Inf.

    Example:
        >>> import tempfile
        >>> curves = {"naive": np.linspace(0.3, 0.9, 24), "lstm": np.linspace(0.3, 0.5, 24)}
        >>> with tempfile.TemporaryDirectory() as d:
        ...     plot_horizon_errors(Path(d) / "horizon.png", curves).stat().st_size > 1000
        True
    """
    path = png_path(path)
    if not per_step:
        raise ConfigError("per_step is empty; give at least one model name -> (H,) errors")
    curves = {}
    for name, values in per_step.items():
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1 or values.size == 0:
            raise ShapeError(
                f"per_step['{name}'] must be a non-empty (H,) array of errors by step, got shape {values.shape}"
            )
        if not np.isfinite(values).all():
            raise DataError(f"per_step['{name}'] has {int((~np.isfinite(values)).sum())} NaN/Inf value(s)")
        curves[str(name)] = values

    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    for name, values in curves.items():
        ax.plot(np.arange(1, values.size + 1), values, marker="o" if values.size <= 48 else None, ms=3, label=name)
    ax.set_xlabel("horizon step (h steps ahead)")
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title(title if title is not None else f"{metric} by horizon step")
    return save_png(fig, path)
