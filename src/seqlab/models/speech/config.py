"""What a speech classifier is asked to do (``SpeechShape``) and how it is built (``SpeechModelConfig``).

``SpeechShape`` comes from the data (feature width D, number of classes); ``SpeechModelConfig``
from the user. Every model reads a (B, T, D) sequence of feature frames with its lengths.

=========  ==============================================================================  =======
model      network                                                                         pooling
=========  ==============================================================================  =======
lstm       LSTM (units) -> pooling -> Dense                                                 mean
gru        GRU (units) -> pooling -> Dense                                                  mean
bilstm     BiLSTM (units per direction) -> pooling -> Dense                                 mean
bigru      BiGRU (units per direction) -> pooling -> Dense                                  mean
conv1d     [Conv1D(k) -> LayerNorm -> ReLU -> MaxPool(2)] x conv_layers -> mean+max -> Dense  mean+max
cnn-rnn    [Conv1D(k) -> LayerNorm -> ReLU -> MaxPool(2)] x conv_layers -> BiGRU -> Dense   mean
=========  ==============================================================================  =======

SpecAugment (Park et al. 2019) masks ``freq_masks`` bands of up to ``freq_mask`` features and
``time_masks`` spans of up to ``time_mask`` frames of each utterance while training (off at
evaluation); ``spec_augment: false`` turns it off.

Example:
    >>> c = SpeechModelConfig(name="cnn-rnn")
    >>> c.units, c.filters, c.blocks, c.cell, c.bidirectional
    (64, 64, 2, 'gru', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from seqlab.configbase import Strict

ModelName = Literal["lstm", "gru", "bilstm", "bigru", "conv1d", "cnn-rnn"]
MODEL_NAMES: tuple[str, ...] = ModelName.__args__

# name -> (recurrent cell, bidirectional, convolutional front end)
MODEL_PARTS: dict[str, tuple[str | None, bool, bool]] = {
    "lstm": ("lstm", False, False),
    "gru": ("gru", False, False),
    "bilstm": ("lstm", True, False),
    "bigru": ("gru", True, False),
    "conv1d": (None, False, True),
    "cnn-rnn": ("gru", True, True),
}


@dataclass(frozen=True)
class SpeechShape:
    """The sizes the data fixes: ``feature_dim`` D per frame and ``num_classes``."""

    feature_dim: int
    num_classes: int


class SpeechModelConfig(Strict):
    """A speech classifier: its name and hyperparameters."""

    name: ModelName = Field(description="the network; see the table in the module docstring")
    units: int = Field(64, ge=1, description="recurrent units per direction")
    num_layers: int = Field(1, ge=1, description="stacked recurrent layers")
    filters: int = Field(64, ge=1, description="filters of each convolution (conv1d, cnn-rnn)")
    kernel_size: int = Field(5, ge=1, description="frames each convolution sees")
    conv_layers: int | None = Field(None, ge=1, description="conv blocks; None: 3 for conv1d, 2 for cnn-rnn")
    dropout: float = Field(0.3, ge=0.0, lt=1.0, description="dropout before the output layer")
    spec_augment: bool = Field(True, description="SpecAugment masking while training")
    freq_mask: int = Field(6, ge=0, description="widest masked band, in features")
    time_mask: int = Field(8, ge=0, description="widest masked span, in frames")
    freq_masks: int = Field(1, ge=0, description="frequency masks per utterance")
    time_masks: int = Field(1, ge=0, description="time masks per utterance")

    @property
    def cell(self) -> str | None:
        return MODEL_PARTS[self.name][0]

    @property
    def bidirectional(self) -> bool:
        return MODEL_PARTS[self.name][1]

    @property
    def convolutional(self) -> bool:
        return MODEL_PARTS[self.name][2]

    @property
    def blocks(self) -> int:
        """Conv blocks actually built (0 for the recurrent models)."""
        if not self.convolutional:
            return 0
        return self.conv_layers if self.conv_layers is not None else (3 if self.name == "conv1d" else 2)
