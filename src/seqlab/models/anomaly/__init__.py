"""Anomaly-detection networks: a one-step LSTM forecaster (residuals), LSTM and Conv1D
autoencoders (reconstruction error), and the rolling z-score baseline.

Example:
    >>> type(build_detector(DetectorConfig(name="conv-ae"))).__name__
    'ConvAutoencoder'
"""

from __future__ import annotations

from torch import nn

from seqlab.errors import ConfigError
from seqlab.models.anomaly.autoencoders import ConvAutoencoder, LSTMAutoencoder
from seqlab.models.anomaly.baseline import RollingZScore
from seqlab.models.anomaly.config import MODEL_NAMES, DetectorConfig
from seqlab.models.anomaly.forecaster import LSTMForecaster

NETWORKS = {"lstm-forecast": LSTMForecaster, "lstm-ae": LSTMAutoencoder, "conv-ae": ConvAutoencoder,
            "zscore": RollingZScore}


def build_detector(config: DetectorConfig) -> nn.Module:
    """The network ``config`` names, with fresh weights."""
    if config.name == "conv-ae" and config.window % 4:
        raise ConfigError(f"model.window: conv-ae halves the window twice, so it must be a multiple of 4, "
                          f"got {config.window}")
    return NETWORKS[config.name](config)


__all__ = ["MODEL_NAMES", "DetectorConfig", "build_detector", "LSTMForecaster", "LSTMAutoencoder",
           "ConvAutoencoder", "RollingZScore"]
