"""Training configuration: what the engine needs to know, as validated pydantic models.

Every model forbids unknown keys, so a typo (``epoch: 10``) is an error that names the key instead
of a silently ignored setting. Values that only make sense together (a schedule's own fields, an
optimizer's momentum) are checked together, and the message says which key to remove or add.

Example:
    >>> cfg = TrainConfig(epochs=3, early_stopping={"patience": 2}, lr_schedule={"name": "step", "step_size": 1})
    >>> cfg.early_stopping.monitor, cfg.lr_schedule.gamma
    ('val_loss', 0.1)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from seqlab.configbase import Strict


_Strict = Strict  # the name the config modules of every layer above use


class EarlyStoppingConfig(_Strict):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``monitor`` is a History key: ``loss``, a metric name, or either with a ``val_`` prefix. When
    early stopping is configured, ``fit`` restores the weights of the best epoch at the end
    (Keras ``restore_best_weights=True``).
    """

    monitor: str = "val_loss"
    patience: int = Field(5, ge=0)
    min_delta: float = Field(0.0, ge=0.0)
    mode: Literal["min", "max"] = "min"


# Which optional fields each schedule reads, and the defaults it uses when they are left out
# (None: required). Anything else set on a ScheduleConfig is an error that names the key.
SCHEDULE_FIELDS: dict[str, dict[str, float | int | None]] = {
    "step": {"step_size": None, "gamma": 0.1},  # lr *= gamma every step_size epochs
    "exponential": {"gamma": None},  # lr *= gamma every epoch
    "cosine": {"t_max": None},  # cosine from lr to 0 over t_max epochs (default: all epochs)
    "plateau": {"factor": 0.1, "patience": 10},  # lr *= factor after patience epochs without improvement
    "onecycle": {"max_lr": None},  # one cycle per run, stepped every batch (default max_lr: the optimizer lr)
}


class ScheduleConfig(_Strict):
    """A learning-rate schedule; only the fields of the chosen ``name`` may be set.

    - ``step``: lr × ``gamma`` (0.1) every ``step_size`` epochs (required).
    - ``exponential``: lr × ``gamma`` (required) every epoch.
    - ``cosine``: cosine annealing to 0 over ``t_max`` epochs (default: the run's epochs).
    - ``plateau``: lr × ``factor`` (0.1) after ``patience`` (10) epochs without improvement of
      ``val_loss`` (``loss`` when there is no validation data).
    - ``onecycle``: the 1cycle policy over the whole run, stepped every batch, peaking at ``max_lr``
      (default: the optimizer's lr).

    Defaults that do not depend on the run are filled in, so ``model_dump()`` shows what is used.
    """

    name: Literal["step", "exponential", "cosine", "plateau", "onecycle"]
    step_size: int | None = Field(None, gt=0)
    gamma: float | None = Field(None, gt=0.0)
    t_max: int | None = Field(None, gt=0)
    factor: float | None = Field(None, gt=0.0, lt=1.0)
    patience: int | None = Field(None, ge=0)
    max_lr: float | None = Field(None, gt=0.0)

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("name") in SCHEDULE_FIELDS:
            data = dict(data)
            for key, default in SCHEDULE_FIELDS[data["name"]].items():
                if default is not None and data.get(key) is None:
                    data[key] = default
        return data

    @model_validator(mode="after")
    def _fields_match_schedule(self) -> ScheduleConfig:
        allowed = SCHEDULE_FIELDS[self.name]
        for key in ("step_size", "gamma", "t_max", "factor", "patience", "max_lr"):
            if getattr(self, key) is not None and key not in allowed:
                raise ValueError(
                    f"lr_schedule.{key} does not apply to schedule {self.name!r} "
                    f"(it reads: {', '.join(allowed)}); remove {key!r}"
                )
        if self.name in ("step", "exponential"):
            missing = [k for k in allowed if getattr(self, k) is None]
            if missing:
                raise ValueError(f"lr_schedule {self.name!r} needs {', '.join(missing)}; add it to the schedule")
        return self


class OptimizerConfig(_Strict):
    """A torch optimizer by name; ``momentum`` is read by ``sgd`` and ``rmsprop`` only.

    Other hyperparameters are torch's defaults (Adam ``betas=(0.9, 0.999)``, ``eps=1e-8``;
    RMSprop ``alpha=0.99``), not Keras' (``rho=0.9``, ``epsilon=1e-7``).
    """

    name: Literal["adam", "adamw", "rmsprop", "sgd"] = "adam"
    lr: float = Field(1e-3, gt=0.0)
    weight_decay: float = Field(0.0, ge=0.0)
    momentum: float = Field(0.0, ge=0.0)

    @model_validator(mode="after")
    def _momentum_only_where_read(self) -> OptimizerConfig:
        if self.momentum and self.name in ("adam", "adamw"):
            raise ValueError(
                f"optimizer.momentum is not used by {self.name!r} (only by sgd and rmsprop); remove 'momentum'"
            )
        return self


class TrainConfig(_Strict):
    """How to train: epochs (and a wall-clock budget), batching, clipping, early stopping,
    schedule, seeding and devices.

    ``batch_size``, ``shuffle`` and ``num_workers`` describe the loaders; ``engine.make_loader``
    builds one from them. ``accelerator``, ``devices`` and ``strategy`` pass through to the
    Lightning ``Trainer`` (``devices=2, strategy="ddp", accelerator="cpu"`` trains on two CPU
    processes). ``progress`` shows Lightning's rich progress bar; training is silent otherwise.
    """

    epochs: int = Field(10, ge=1)
    max_time_s: float | None = Field(None, gt=0)  # a wall-clock budget: training stops when it is spent
    batch_size: int = Field(32, ge=1)
    shuffle: bool = True
    gradient_clip_val: float | None = Field(None, gt=0.0)
    gradient_clip_algorithm: Literal["norm", "value"] = "norm"
    early_stopping: EarlyStoppingConfig | None = None
    lr_schedule: ScheduleConfig | None = None
    seed: int | None = 0
    deterministic: bool = False
    accelerator: str = "auto"
    devices: int | str = 1
    strategy: str = "auto"
    progress: bool = False
    num_workers: int = Field(0, ge=0)
