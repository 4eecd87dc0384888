"""Optimizers and schedules built from configs; schedules stepped by hand against their formulas."""

from __future__ import annotations

import math

import pytest
import torch

from seqlab.training.config import OptimizerConfig, ScheduleConfig
from seqlab.training.optim import build_optimizer, build_scheduler


def _params():
    return torch.nn.Linear(6, 1).parameters()


@pytest.mark.parametrize(
    ("name", "cls"),
    [("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW), ("rmsprop", torch.optim.RMSprop),
     ("sgd", torch.optim.SGD)],
)
def test_build_optimizer(name, cls):
    momentum = 0.9 if name in ("sgd", "rmsprop") else 0.0
    opt = build_optimizer(_params(), OptimizerConfig(name=name, lr=0.05, weight_decay=0.01, momentum=momentum))
    assert type(opt) is cls
    group = opt.param_groups[0]
    assert group["lr"] == 0.05 and group["weight_decay"] == 0.01
    if momentum:
        assert group["momentum"] == 0.9


def _lrs(config: ScheduleConfig, epochs: int = 6, steps_per_epoch: int = 1, lr: float = 0.1) -> tuple[list, dict]:
    opt = build_optimizer(_params(), OptimizerConfig(name="sgd", lr=lr))
    sched = build_scheduler(opt, config, steps_per_epoch=steps_per_epoch, epochs=epochs)
    lrs = []
    for _ in range(epochs * (steps_per_epoch if sched["interval"] == "step" else 1)):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched["scheduler"].step()
    return lrs, sched


def test_step_exponential_cosine():
    lrs, sched = _lrs(ScheduleConfig(name="step", step_size=2, gamma=0.5))
    assert sched["interval"] == "epoch"
    assert lrs == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    lrs, _ = _lrs(ScheduleConfig(name="exponential", gamma=0.9))
    assert lrs == pytest.approx([0.1 * 0.9**k for k in range(6)])
    lrs, _ = _lrs(ScheduleConfig(name="cosine"), epochs=6)  # t_max defaults to the run's epochs
    assert lrs == pytest.approx([0.05 * (1 + math.cos(math.pi * k / 6)) for k in range(6)])


def test_plateau_and_onecycle():
    opt = build_optimizer(_params(), OptimizerConfig(lr=0.1))
    plateau = build_scheduler(opt, ScheduleConfig(name="plateau", patience=0, factor=0.5), 5, 4, monitor="loss")
    assert plateau["monitor"] == "loss" and plateau["interval"] == "epoch"
    for value in (1.0, 1.0, 1.0):  # no improvement after the first: halve each time
        plateau["scheduler"].step(value)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025)

    lrs, sched = _lrs(ScheduleConfig(name="onecycle"), epochs=4, steps_per_epoch=5, lr=0.1)
    assert sched["interval"] == "step" and sched["scheduler"].total_steps == 20
    assert max(lrs) == pytest.approx(0.1, rel=1e-3)  # max_lr defaults to the optimizer's lr
    assert lrs[0] < 0.01 and lrs[-1] < 0.001  # warm up, then anneal below the start
    assert build_scheduler(opt, None, 5, 4) is None
