"""Training configs: defaults, validation, and unknown keys that name themselves."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from seqlab.training.config import EarlyStoppingConfig, OptimizerConfig, ScheduleConfig, TrainConfig


def test_defaults():
    cfg = TrainConfig()
    assert (cfg.epochs, cfg.batch_size, cfg.shuffle, cfg.seed, cfg.deterministic) == (10, 32, True, 0, False)
    assert (cfg.accelerator, cfg.devices, cfg.strategy, cfg.progress, cfg.num_workers) == ("auto", 1, "auto", False, 0)
    assert cfg.gradient_clip_val is None and cfg.gradient_clip_algorithm == "norm"
    assert EarlyStoppingConfig().model_dump() == {"monitor": "val_loss", "patience": 5, "min_delta": 0.0, "mode": "min"}
    assert OptimizerConfig().model_dump() == {"name": "adam", "lr": 1e-3, "weight_decay": 0.0, "momentum": 0.0}


def test_nested_dicts_as_from_yaml():
    cfg = TrainConfig.model_validate(
        {"epochs": 3, "devices": 2, "strategy": "ddp", "accelerator": "cpu",
         "early_stopping": {"monitor": "val_accuracy", "mode": "max", "patience": 2},
         "lr_schedule": {"name": "step", "step_size": 2}}
    )
    assert cfg.early_stopping.mode == "max" and cfg.devices == 2
    assert cfg.lr_schedule.gamma == 0.1  # the schedule's default is filled in
    assert TrainConfig(devices="auto").devices == "auto"


@pytest.mark.parametrize(
    ("model", "data", "key"),
    [
        (TrainConfig, {"epochz": 3}, "epochz"),
        (TrainConfig, {"early_stopping": {"patiense": 3}}, "early_stopping.patiense"),
        (TrainConfig, {"lr_schedule": {"name": "cosine", "tmax": 3}}, "lr_schedule.tmax"),
        (OptimizerConfig, {"name": "sgd", "learning_rate": 0.1}, "learning_rate"),
        (EarlyStoppingConfig, {"baseline": 0.1}, "baseline"),
    ],
)
def test_unknown_keys_are_named(model, data, key):
    with pytest.raises(ValidationError) as err:
        model.model_validate(data)
    assert key in str(err.value)
    assert "Extra inputs are not permitted" in str(err.value)


def test_schedule_fields_must_fit_the_schedule():
    with pytest.raises(ValidationError, match="t_max"):
        ScheduleConfig(name="step", step_size=1, t_max=4)
    with pytest.raises(ValidationError, match="step_size"):
        ScheduleConfig(name="step")
    with pytest.raises(ValidationError, match="gamma"):
        ScheduleConfig(name="exponential")
    with pytest.raises(ValidationError, match="name"):
        ScheduleConfig(name="warmup")
    plateau = ScheduleConfig(name="plateau").model_dump(exclude_none=True)
    assert plateau == {"name": "plateau", "factor": 0.1, "patience": 10}


def test_values_are_checked():
    with pytest.raises(ValidationError, match="momentum"):
        OptimizerConfig(name="adam", momentum=0.9)
    assert OptimizerConfig(name="rmsprop", momentum=0.9).momentum == 0.9
    for bad in ({"lr": 0}, {"name": "lbfgs"}, {"weight_decay": -1}):
        with pytest.raises(ValidationError):
            OptimizerConfig(**bad)
    for bad in ({"epochs": 0}, {"gradient_clip_val": -1.0}, {"gradient_clip_algorithm": "l2"}, {"batch_size": 0}):
        with pytest.raises(ValidationError):
            TrainConfig(**bad)
    with pytest.raises(ValidationError):
        EarlyStoppingConfig(mode="up")
