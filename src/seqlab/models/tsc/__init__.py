"""Time-series classifiers: FCN, ResNet, LSTM-FCN, BiGRU and the seeds' LSTM -> Dense.

``build_tsc(TSCConfig(name=...), TSCShape(channels, num_classes))`` makes any of
:data:`MODEL_NAMES`; see :mod:`seqlab.models.tsc.config` for the table of models. Inputs are
``{"x": (B, T, D), "lengths": (B,)}``, outputs logits (B, K).

Example:
    >>> import torch
    >>> net = build_tsc(TSCConfig(name="fcn", filters=[4, 4, 4]), TSCShape(1, 2))
    >>> net.eval()({"x": torch.randn(2, 10, 1), "lengths": torch.tensor([10, 6])}).shape
    torch.Size([2, 2])
"""

from __future__ import annotations

from torch import nn

from seqlab.models.tsc.config import MODEL_DEFAULTS, MODEL_NAMES, TSCConfig, TSCShape
from seqlab.models.tsc.conv import FCN, ResNet
from seqlab.models.tsc.recurrent import LSTMFCN, RecurrentClassifier

_BUILDERS = {"fcn": FCN, "resnet": ResNet, "lstm-fcn": LSTMFCN, "bigru": RecurrentClassifier,
             "lstm": RecurrentClassifier}


def build_tsc(config: TSCConfig, shape: TSCShape) -> nn.Module:
    """The classifier ``config`` names, sized for ``shape``, with fresh weights."""
    config = config.resolved()
    return _BUILDERS[config.name](config, shape)


__all__ = ["MODEL_DEFAULTS", "MODEL_NAMES", "TSCConfig", "TSCShape", "FCN", "ResNet", "LSTMFCN",
           "RecurrentClassifier", "build_tsc"]
