"""Forecasting models: one ``Forecaster`` around each core network, built from a config.

``build_forecaster(ForecasterConfig(name=...), ForecastShape(...))`` makes any of
:data:`MODEL_NAMES`: recurrent (``lstm``, ``gru``, ``rnn``, ``stacked-lstm``, ``seq2seq``,
``segrnn``), convolutional (``cnn``, ``tcn``), linear (``linear`` = NLinear, ``dlinear``) and
the parameter-free baselines (``naive``, ``seasonal-naive``, ``mean``).

Example:
    >>> import torch
    >>> shape = ForecastShape(lookback=48, horizon=24, n_inputs=7, target_idx=(6,), season=24)
    >>> [build_forecaster(ForecasterConfig(name=n), shape)(torch.randn(2, 48, 7)).shape[1:]
    ...  for n in ("linear", "seasonal-naive")]
    [torch.Size([24, 1]), torch.Size([24, 1])]
"""

from seqlab.models.forecast.config import (BASELINES, MODEL_DEFAULTS, MODEL_NAMES, ForecasterConfig,
                                           ForecastShape)
from seqlab.models.forecast.forecaster import Forecaster, build_forecaster

__all__ = ["BASELINES", "MODEL_DEFAULTS", "MODEL_NAMES", "ForecastShape", "ForecasterConfig",
           "Forecaster", "build_forecaster"]
