"""One config for every anomaly detector: its name and the few sizes it reads.

Example:
    >>> DetectorConfig(name="conv-ae").window
    32
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from seqlab.configbase import Strict

MODEL_NAMES = ("lstm-forecast", "lstm-ae", "conv-ae", "zscore")


class DetectorConfig(Strict):
    """A detector and its sizes.

    Args:
        name: ``lstm-forecast`` (residuals of a one-step LSTM forecaster, scored as a stream),
            ``lstm-ae`` (LSTM autoencoder of windows), ``conv-ae`` (Conv1D autoencoder of windows)
            or ``zscore`` (the trivial baseline: distance to the rolling mean in rolling standard
            deviations).
        hidden: H, the LSTM units (the forecaster and ``lstm-ae``) or the Conv1D filters of the
            first layer (``conv-ae``; the bottleneck has H / 2 filters over window / 4 steps).
        window: the autoencoders' window length, the z-score's lookback, and the forecaster's
            chunk of truncated backpropagation through time.
    """

    name: Literal["lstm-forecast", "lstm-ae", "conv-ae", "zscore"]
    hidden: int = Field(16, ge=2)
    window: int = Field(32, ge=4)
