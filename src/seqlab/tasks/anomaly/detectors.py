r"""Detectors: train a network on a standardised series, turn it into one anomaly score per row.

- ``lstm-forecast``: the forecast residual, s_t = |z_t - \hat{z}_t| with \hat{z}_t the forecast of
  z_t made from z_1..z_{t-1} (s_0 = 0). Trained on the series as one stream (truncated BPTT
  over consecutive chunks of ``window`` rows, the state carried across them), and scored the same
  way, so :class:`StreamScorer` reproduces the batch scores one row at a time.
- ``lstm-ae``, ``conv-ae``: the reconstruction error of the window ending at each row,
  s_t = mean_{k < W} (z_{t-k} - \hat{z}_{t-k})^2 (s_t = 0 for t < W - 1). Trained on every
  window of the training part, shuffled.
- ``zscore``: the rolling z-score, nothing to train.

All scores are causal: s_t reads rows up to t only.

Symbols: N rows, W window, H hidden size.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from seqlab.data.streams import stream_chunks
from seqlab.errors import DataError
from seqlab.models.anomaly import LSTMForecaster, RollingZScore
from seqlab.models.anomaly.baseline import EPS
from seqlab.training import engine
from seqlab.training.config import OptimizerConfig, TrainConfig

EVAL_BATCH = 512
STREAM_PARTS = 1  # the forecaster trains on one stream: a batch is one chunk


def min_rows(name: str, window: int) -> int:
    """The fewest training rows ``name`` can learn from."""
    return 2 * window + 1 if name == "lstm-forecast" else window + 1


def _tensor(a: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32)


def windows(z: np.ndarray, W: int) -> np.ndarray:
    """Every window of W consecutive rows: (N - W + 1, W, 1)."""
    return np.lib.stride_tricks.sliding_window_view(np.asarray(z, dtype=np.float32), W)[..., None]


# --------------------------------------------------------------------------------------------
# Training


def _forecast_loaders(z_train: np.ndarray, z_val: np.ndarray, W: int):
    x, y = stream_chunks(z_train[:-1, None], STREAM_PARTS, W, targets=z_train[1:, None])  # (K, W, 1) each
    train = DataLoader(TensorDataset(_tensor(x), _tensor(y)), batch_size=STREAM_PARTS, shuffle=False)
    steps = min(W, len(z_val) - 1)
    xv, yv = stream_chunks(z_val[:-1, None], STREAM_PARTS, steps, targets=z_val[1:, None])
    val = DataLoader(TensorDataset(_tensor(xv), _tensor(yv)), batch_size=STREAM_PARTS, shuffle=False)
    return train, val


def _window_loaders(z_train: np.ndarray, z_val: np.ndarray, W: int, batch_size: int):
    x = _tensor(windows(z_train, W))
    train = DataLoader(TensorDataset(x, x), batch_size=batch_size, shuffle=True)
    xv = _tensor(windows(z_val, W))
    return train, DataLoader(TensorDataset(xv, xv), batch_size=EVAL_BATCH, shuffle=False)


def train_detector(net: torch.nn.Module, z_train: np.ndarray, z_val: np.ndarray, optimizer: OptimizerConfig,
                   train: TrainConfig) -> dict:
    """Train ``net`` in place with the engine; returns ``{"epochs", "val_loss"}``.

    ``z_val`` for the autoencoders must hold at least one window; it should start with the last
    W - 1 training rows so that every validation row ends a window.
    """
    if isinstance(net, RollingZScore):
        return {"epochs": 0, "val_loss": None}
    W = net.config.window
    if isinstance(net, LSTMForecaster):
        train_loader, val_loader = _forecast_loaders(z_train, z_val, W)
        config = train.model_copy(update={"shuffle": False})
        net.rnn.stateful = True  # carry the state chunk to chunk (the engine resets it each epoch)
        try:
            history = engine.fit(net, loss="mse", metrics=[], optimizer=optimizer, train_loader=train_loader,
                                 val_loader=val_loader, config=config)
        finally:
            net.rnn.stateful = False
            net.rnn.reset_states()
    else:
        train_loader, val_loader = _window_loaders(z_train, z_val, W, train.batch_size)
        history = engine.fit(net, loss="mse", metrics=[], optimizer=optimizer, train_loader=train_loader,
                             val_loader=val_loader, config=train)
    net.eval()
    val = [v for v in history.history.get("val_loss", []) if v is not None]
    return {"epochs": len(history.epoch), "val_loss": min(val) if val else None}


# --------------------------------------------------------------------------------------------
# Scoring


@torch.no_grad()
def forecasts(net: LSTMForecaster, z: np.ndarray) -> np.ndarray:
    """(N,) one-step forecasts: element t is the forecast of z_{t+1} from z_0..z_t."""
    net.eval()
    return net(_tensor(z)[None, :, None])[0, :, 0].double().numpy()


def reconstructions(net: torch.nn.Module, z: np.ndarray) -> np.ndarray:
    """(N - W + 1, W) reconstruction of every window."""
    x = _tensor(windows(z, net.config.window))
    out = engine.predict(net, DataLoader(TensorDataset(x), batch_size=EVAL_BATCH, shuffle=False))
    return out[..., 0].double().numpy()


def scores(net: torch.nn.Module, z: np.ndarray) -> np.ndarray:
    """(N,) anomaly scores of the standardised series ``z`` (see the module docstring)."""
    z = np.asarray(z, dtype=np.float64)
    out = np.zeros(len(z))
    if isinstance(net, RollingZScore):
        return net.scores(z)
    if isinstance(net, LSTMForecaster):
        out[1:] = np.abs(z[1:] - forecasts(net, z)[:-1])
        return out
    W = net.config.window
    if len(z) < W:
        raise DataError(f"the series has {len(z)} rows, fewer than the window of {W} the model reads")
    err = (windows(z, W)[..., 0] - reconstructions(net, z)) ** 2  # (N - W + 1, W)
    out[W - 1:] = err.mean(axis=1)
    return out


def validation_skill(net: torch.nn.Module, z: np.ndarray, start: int) -> float | None:
    """The model's error on rows ``start:`` over a trivial model's error there (below 1: better).

    The forecaster is compared with persistence (\\hat{z}_{t+1} = z_t) over the same rows, an
    autoencoder with each window's own mean as its reconstruction. None for the z-score.
    """
    if isinstance(net, RollingZScore):
        return None
    z = np.asarray(z, dtype=np.float64)
    if isinstance(net, LSTMForecaster):
        f = forecasts(net, z)
        model = np.mean((z[start:] - f[start - 1:-1]) ** 2)
        trivial = np.mean((z[start:] - z[start - 1:-1]) ** 2)
    else:
        W = net.config.window
        x = windows(z, W)[..., 0][max(start - W + 1, 0):]  # windows that end in the validation rows
        model = np.mean((x - reconstructions(net, z[max(start - W + 1, 0):])) ** 2)
        trivial = np.mean((x - x.mean(axis=1, keepdims=True)) ** 2)
    return float(model / max(trivial, 1e-12))


class StreamScorer:
    """Scores one row at a time, carrying the forecaster's (h, c) or the z-score's lookback:
    ``update(z_t)`` returns s_t, equal to ``scores(net, z)[t]`` (no window is re-encoded).

    Example:
        >>> from seqlab.models.anomaly import DetectorConfig
        >>> net = LSTMForecaster(DetectorConfig(name="lstm-forecast", hidden=4))
        >>> z = np.sin(np.arange(50) / 3)
        >>> s = StreamScorer(net)
        >>> bool(np.allclose([s.update(v) for v in z], scores(net, z), atol=1e-5))
        True
    """

    def __init__(self, net: torch.nn.Module) -> None:
        if not isinstance(net, (LSTMForecaster, RollingZScore)):
            raise DataError(f"streaming scores need a detector that carries its state (lstm-forecast or zscore); "
                            f"{net.config.name} reconstructs whole windows")
        self.net = net.eval()
        self.state = None  # (h, c) of the forecaster
        self.forecast: float | None = None  # \hat{z}_t, made at t - 1
        self.past: list[float] = []  # the z-score's last W rows

    @torch.no_grad()
    def update(self, value: float) -> float:
        if isinstance(self.net, RollingZScore):
            return self._update_zscore(float(value))
        score = 0.0 if self.forecast is None else abs(float(value) - self.forecast)
        y, self.state = self.net.step(torch.tensor([[[float(value)]]]), self.state)  # (1, 1, 1); each (1, 1, H)
        self.forecast = float(y[0, 0, 0])
        return score

    def _update_zscore(self, value: float) -> float:
        W = self.net.config.window
        score = 0.0
        if len(self.past) == W:
            past = np.asarray(self.past)
            score = abs(value - past.mean()) / (past.std() + EPS)
        self.past = (self.past + [value])[-W:]
        return float(score)
