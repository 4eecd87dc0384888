"""Forecast plots of ETTh1 windows: valid PNGs, written atomically, clear errors for bad shapes."""

from pathlib import Path

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import seqlab.models.io
from seqlab.data.series import read_series
from seqlab.errors import ConfigError, DataError, ShapeError
from seqlab.tasks.forecasting.metrics import per_horizon
from seqlab.tasks.forecasting.plots import MAX_CHANNELS, plot_forecast, plot_horizon_errors

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
L, H, ORIGIN = 96, 48, 11520  # the first row of ETTh1's test split


@pytest.fixture(scope="module")
def etth1() -> pd.DataFrame:
    return read_series("etth1")


@pytest.fixture(scope="module")
def window(etth1):
    """(history (L, 7), actual (H, 7), repeat-last forecast (H, 7), L + H timestamps, columns)."""
    cols = [c for c in etth1.columns if c != "date"]
    v = etth1[cols].to_numpy()
    history, actual = v[ORIGIN - L : ORIGIN], v[ORIGIN : ORIGIN + H]
    forecast = np.repeat(history[-1:], H, axis=0)
    return history, actual, forecast, etth1["date"].to_numpy()[ORIGIN - L : ORIGIN + H], cols


def _read_png(path: Path) -> np.ndarray:
    assert path.read_bytes()[:8] == PNG_MAGIC
    return matplotlib.image.imread(path)  # (height, width, 4) RGBA


def test_forecast_png_one_row_per_channel(tmp_path, window):
    history, actual, forecast, stamps, cols = window
    out = plot_forecast(tmp_path / "f.png", history, actual, forecast, timestamps=stamps, columns=cols)
    assert out == tmp_path / "f.png"
    img = _read_png(out)
    assert img.shape == (100 * (1 + 2 * 7), 1000, 4)  # figsize (10, 1 + 2 per channel) at 100 dpi
    assert img[..., :3].std() > 0.05  # something was drawn
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png"]  # no temporary file left
    assert plt.get_fignums() == []  # pyplot's global state untouched


def test_future_forecast_without_actual_and_one_channel(tmp_path, window):
    history, _, forecast, _, _ = window
    out = plot_forecast(tmp_path / "sub" / "ot.png", history[:, 6], None, forecast[:, 6], columns=["OT"], title="OT")
    assert _read_png(out).shape == (300, 1000, 4)


def test_channels_beyond_the_cap_are_left_out(tmp_path, window):
    history, actual, forecast, _, _ = window
    history, actual, forecast = (np.concatenate([a, a[:, :3]], axis=1) for a in (history, actual, forecast))  # (T, 10)
    out = plot_forecast(tmp_path / "wide.png", history, actual, forecast)
    assert _read_png(out).shape[0] == 100 * (1 + 2 * MAX_CHANNELS)


def test_horizon_errors_png(tmp_path, window):
    history, actual, forecast, _, _ = window
    naive = per_horizon(actual[None], forecast[None])["mse"]  # (H,)
    mean = per_horizon(actual[None], np.repeat(history.mean(0, keepdims=True), H, 0)[None])["mse"]
    out = plot_horizon_errors(tmp_path / "h.png", {"naive": naive, "mean": mean[:24]})
    assert _read_png(out).shape == (450, 800, 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.png"]


def test_a_failed_write_keeps_the_old_file(tmp_path, window, monkeypatch):
    history, actual, forecast, _, _ = window
    path = tmp_path / "f.png"
    path.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(seqlab.models.io.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        plot_forecast(path, history, actual, forecast)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png"]


def test_replaces_an_existing_plot(tmp_path, window):
    history, actual, forecast, _, _ = window
    path = tmp_path / "f.png"
    path.write_bytes(b"old")
    plot_forecast(path, history, actual, forecast)
    assert path.read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda h, a, f: (h[:, :3], a, f), ShapeError, r"history \(96, 3\) and forecast \(48, 7\)"),
        (lambda h, a, f: (h, a[:24], f), ShapeError, r"actual \(24, 7\) and forecast \(48, 7\)"),
        (lambda h, a, f: (h, a, f[None]), ShapeError, r"forecast must be .* got shape \(1, 48, 7\)"),
        (lambda h, a, f: (h, a, np.where(f > 5, np.nan, f)), DataError, "forecast has .* NaN/Inf"),
    ],
)
def test_mismatched_shapes_are_named(tmp_path, window, change, error, message):
    history, actual, forecast, _, _ = window
    with pytest.raises(error, match=message):
        plot_forecast(tmp_path / "f.png", *change(history, actual, forecast))
    assert list(tmp_path.iterdir()) == []


def test_bad_labels_and_paths(tmp_path, window):
    history, actual, forecast, stamps, cols = window
    with pytest.raises(ShapeError, match=r"L \+ H = 96 \+ 48 = 144 stamps.*\(96,\)"):
        plot_forecast(tmp_path / "f.png", history, actual, forecast, timestamps=stamps[:L])
    with pytest.raises(ShapeError, match=r"columns has 6 name\(s\), the arrays have 7"):
        plot_forecast(tmp_path / "f.png", history, actual, forecast, columns=cols[:6])
    with pytest.raises(ConfigError, match="ending in .png"):
        plot_forecast(tmp_path / "f.pdf", history, actual, forecast)
    with pytest.raises(ConfigError, match="per_step is empty"):
        plot_horizon_errors(tmp_path / "h.png", {})
    with pytest.raises(ShapeError, match=r"per_step\['lstm'\] must be .* got shape \(2, 24\)"):
        plot_horizon_errors(tmp_path / "h.png", {"lstm": np.zeros((2, 24))})
    assert list(tmp_path.iterdir()) == []
