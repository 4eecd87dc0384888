"""What a time-series classifier is asked to do (``TSCShape``) and how it is built (``TSCConfig``).

``TSCShape`` comes from the data (channels D, number of classes); ``TSCConfig`` from the user.
Fields left at ``None`` take the model's default (:data:`MODEL_DEFAULTS`); ``resolved()`` fills them
(fields a model does not read stay ``None``).

=========  ==================================================================  ====================
model      network                                                             defaults
=========  ==================================================================  ====================
fcn        Wang et al. 2017: 3 x (Conv1D -> BN -> ReLU), global average pool    filters 128/256/128,
                                                                               kernels 8/5/3
resnet     Wang et al. 2017: 3 residual blocks of 3 convs each, GAP             filters 64/128/128,
                                                                               kernels 8/5/3
lstm-fcn   Karim et al. 2017: LSTM branch (+dropout) beside the FCN, concat      units 64, dropout .8
bigru      BiGRU -> final states of both directions -> Dense                    units 64
lstm       the seeds' LSTM -> Dense (final state)                               units 100
=========  ==================================================================  ====================

Example:
    >>> TSCConfig(name="fcn").resolved().filters
    [128, 256, 128]
    >>> TSCConfig(name="lstm").resolved().units
    100
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, model_validator

from seqlab.configbase import Strict

ModelName = Literal["fcn", "resnet", "lstm-fcn", "bigru", "lstm"]
MODEL_NAMES: tuple[str, ...] = ModelName.__args__

MODEL_DEFAULTS: dict[str, dict] = {
    "fcn": {"filters": [128, 256, 128], "kernel_sizes": [8, 5, 3]},
    "resnet": {"filters": [64, 128, 128], "kernel_sizes": [8, 5, 3]},
    "lstm-fcn": {"filters": [128, 256, 128], "kernel_sizes": [8, 5, 3], "units": 64, "dropout": 0.8},
    "bigru": {"units": 64, "dropout": 0.2},
    "lstm": {"units": 100, "dropout": 0.0},
}


@dataclass(frozen=True)
class TSCShape:
    """The sizes the data fixes: ``channels`` (D, dimensions of each step) and ``num_classes``."""

    channels: int
    num_classes: int


class TSCConfig(Strict):
    """A time-series classifier: its name and hyperparameters (None = the model's default)."""

    name: ModelName = Field(description="the network; see the table in the module docstring")
    filters: list[int] | None = Field(None, description="filters of each conv block (fcn, resnet, lstm-fcn)")
    kernel_sizes: list[int] | None = Field(None, description="kernel of each conv (one per block; resnet: per conv of a block)")
    units: int | None = Field(None, ge=1, description="recurrent units per direction (lstm-fcn, bigru, lstm)")
    dropout: float | None = Field(None, ge=0.0, lt=1.0, description="dropout on the recurrent features")

    @model_validator(mode="after")
    def _sizes(self) -> TSCConfig:
        for key in ("filters", "kernel_sizes"):
            value = getattr(self, key)
            if value is not None and any(v < 1 for v in value):
                raise ValueError(f"{key} must be positive integers, got {value}")
        r = self.resolved()
        if self.name in ("fcn", "lstm-fcn") and (not r.filters or len(r.filters) != len(r.kernel_sizes)):
            raise ValueError(f"filters and kernel_sizes need one entry per conv block, got {r.filters} and "
                             f"{r.kernel_sizes}")
        if self.name == "resnet" and (not r.filters or not r.kernel_sizes):
            raise ValueError("resnet needs filters (one per block) and kernel_sizes (one per conv of a block)")
        return self

    def resolved(self) -> TSCConfig:
        """A copy with every None replaced by the model's default."""
        defaults = MODEL_DEFAULTS[self.name]
        return self.model_copy(update={k: v for k, v in defaults.items() if getattr(self, k) is None})
