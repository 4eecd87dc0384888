"""fit / evaluate / predict on real data: history, clipping, early stopping, schedules, NaN, seeding."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest
import torch
from lightning.pytorch.callbacks import Callback

from seqlab.errors import ConfigError, DataError, NonFiniteLossError
from seqlab.training.config import OptimizerConfig, TrainConfig
from seqlab.training.engine import History, evaluate, fit, make_loader, predict

from ._data import loader, small_net

CPU = {"accelerator": "cpu"}


def _read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_fit_history_evaluate_predict(ett_scaled):
    x, y = ett_scaled
    train, val = loader(x[:400], y[:400], shuffle=True), loader(x[400:], y[400:])
    net = small_net()
    history = fit(net, loss="mse", metrics=["mae", "rmse"], optimizer=OptimizerConfig(lr=0.01),
                  train_loader=train, val_loader=val, config=TrainConfig(epochs=5, **CPU))
    assert isinstance(history, History)
    assert list(history.history) == ["loss", "mae", "rmse", "val_loss", "val_mae", "val_rmse"]
    assert history.epoch == [0, 1, 2, 3, 4] and all(len(v) == 5 for v in history.history.values())
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.lr == [0.01] * 5

    net.train()
    preds = predict(net, val)
    assert preds.shape == (80, 1) and not preds.requires_grad
    assert net.training  # predict puts the net back in its mode
    e = preds.numpy().astype(np.float64) - y[400:].numpy()
    scores = evaluate(net, loss="mse", metrics=["mae"], loader=val)
    assert scores["loss"] == pytest.approx(np.mean(e**2), rel=1e-5)
    assert scores["mae"] == pytest.approx(np.mean(np.abs(e)), rel=1e-5)
    # the last epoch's validation values are those of the final weights
    assert history.history["val_loss"][-1] == pytest.approx(scores["loss"], rel=1e-5)
    assert predict(net, torch.utils.data.DataLoader(x[400:], batch_size=32)).shape == (80, 1)  # x-only batches


def test_classification_accuracy_matches_predictions(italy):
    x, labels = italy
    net = small_net(n_in=24, n_out=1)
    val = loader(x[800:], labels[800:])
    history = fit(net, loss="binary_crossentropy", metrics=["accuracy"], optimizer=OptimizerConfig(lr=0.01),
                  train_loader=loader(x[:800], labels[:800], shuffle=True), val_loader=val,
                  config=TrainConfig(epochs=3, **CPU), from_logits=True)
    logits = predict(net, val)[:, 0].numpy()
    expected = np.mean((logits > 0) == (labels[800:].numpy() > 0.5))
    assert history.history["val_accuracy"][-1] == pytest.approx(expected)
    assert history.history["val_accuracy"][-1] > 0.8  # a real fit of ItalyPowerDemand


class GradProbe(Callback):
    """Records the gradients the optimizer stepped with (read after each step, before the next zero_grad)."""

    def __init__(self) -> None:
        self.max_abs: list[float] = []
        self.norms: list[float] = []

    def on_train_start(self, trainer, pl_module):
        def after_step(optimizer, args, kwargs):
            grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
            self.max_abs.append(max(g.abs().max().item() for g in grads))
            self.norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())

        self.handle = trainer.optimizers[0].register_step_post_hook(after_step)

    def on_train_end(self, trainer, pl_module):
        self.handle.remove()


def _probe(ett, **clip) -> GradProbe:
    x, y = ett  # raw oil temperatures: large errors, large gradients
    probe = GradProbe()
    fit(small_net(), loss="mse", metrics=[], optimizer=OptimizerConfig(name="sgd", lr=1e-3),
        train_loader=loader(x, y), config=TrainConfig(epochs=1, **CPU, **clip), callbacks=[probe])
    return probe


def test_gradient_clipping_by_value_and_norm(ett):
    free = _probe(ett)
    assert len(free.max_abs) == 15 and max(free.max_abs) > 1.0 and max(free.norms) > 1.0
    by_value = _probe(ett, gradient_clip_val=0.5, gradient_clip_algorithm="value")
    assert max(by_value.max_abs) <= 0.5 + 1e-6
    assert max(by_value.max_abs) == pytest.approx(0.5)  # it did clip
    by_norm = _probe(ett, gradient_clip_val=1.0, gradient_clip_algorithm="norm")
    assert max(by_norm.norms) <= 1.0 + 1e-5
    assert max(by_norm.norms) == pytest.approx(1.0, rel=1e-4)


def test_early_stopping_stops_on_a_plateau(ett_scaled):
    x, y = ett_scaled
    config = TrainConfig(epochs=30, early_stopping={"monitor": "loss", "patience": 3, "min_delta": 1e-3}, **CPU)
    history = fit(small_net(), loss="mse", metrics=[], optimizer=OptimizerConfig(name="sgd", lr=1e-7),
                  train_loader=loader(x, y), config=config)
    assert len(history.epoch) == 4  # epoch 0 sets the best, three epochs without improvement stop it


def test_early_stopping_monitor_must_be_logged(ett_scaled):
    x, y = ett_scaled
    with pytest.raises(ConfigError, match="val_loss"):  # default monitor, but no validation data
        fit(small_net(), loss="mse", metrics=[], optimizer=OptimizerConfig(), train_loader=loader(x, y),
            config=TrainConfig(epochs=2, early_stopping={}, **CPU))


def test_lr_schedule_shows_in_metrics_csv(ett_scaled, tmp_path):
    x, y = ett_scaled
    config = TrainConfig(epochs=4, lr_schedule={"name": "step", "step_size": 1, "gamma": 0.5}, **CPU)
    history = fit(small_net(), loss="mse", metrics=["mae"], optimizer=OptimizerConfig(lr=0.02),
                  train_loader=loader(x, y), config=config, run_dir=tmp_path)
    rows = _read_csv(tmp_path / "metrics.csv")
    assert list(rows[0]) == ["epoch", "loss", "mae", "lr"]
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]
    assert [float(r["lr"]) for r in rows] == pytest.approx([0.02, 0.01, 0.005, 0.0025])
    assert [float(r["loss"]) for r in rows] == pytest.approx(history.history["loss"])

    onecycle = fit(small_net(), loss="mse", metrics=[], optimizer=OptimizerConfig(lr=0.02),
                   train_loader=loader(x, y), config=TrainConfig(epochs=4, lr_schedule={"name": "onecycle"}, **CPU))
    assert onecycle.lr[0] < onecycle.lr[1] and onecycle.lr[-1] < onecycle.lr[1]  # stepped per batch: up, then down


def test_nan_in_the_data_names_epoch_and_step(ett_scaled):
    x, y = ett_scaled
    y = y.clone()
    y[70] = float("nan")  # batch 70 // 16 = 4 of the first epoch
    net = small_net()
    with pytest.raises(NonFiniteLossError) as err:
        fit(net, loss="mse", metrics=[], optimizer=OptimizerConfig(), train_loader=loader(x, y, batch_size=16),
            config=TrainConfig(epochs=3, **CPU))
    assert type(err.value) is NonFiniteLossError  # not wrapped by Lightning
    assert "epoch 0" in str(err.value) and "step 4 " in str(err.value) and "nan" in str(err.value)
    assert all(torch.isfinite(p).all() for p in net.parameters())  # stopped before the bad update


class ExplodesAt(torch.nn.Module):
    """Wraps a net; its output becomes Inf on the ``at``-th training call."""

    def __init__(self, net: torch.nn.Module, at: int) -> None:
        super().__init__()
        self.net, self.at, self.calls = net, at, 0

    def forward(self, x):
        out = self.net(x)
        if self.training:
            self.calls += 1
            if self.calls == self.at:
                return out * float("inf")
        return out


def test_inf_in_a_later_epoch_names_epoch_and_step(ett_scaled):
    x, y = ett_scaled  # 480 rows, batches of 32: 15 steps per epoch
    with pytest.raises(NonFiniteLossError, match=r"epoch 1 \(0-based\), step 3 of the epoch \(global step 18\)"):
        fit(ExplodesAt(small_net(), at=15 + 4), loss="mse", metrics=[], optimizer=OptimizerConfig(),
            train_loader=loader(x, y), config=TrainConfig(epochs=3, **CPU))


def _seeded_run(ett_scaled, seed):
    x, y = ett_scaled
    net = small_net(seed=1, dropout=0.3)
    history = fit(net, loss="mse", metrics=["mae"], optimizer=OptimizerConfig(lr=0.01),
                  train_loader=loader(x, y, shuffle=True), config=TrainConfig(epochs=3, seed=seed, **CPU))
    return history, net.state_dict()


def test_seeding_gives_identical_runs(ett_scaled):
    first, weights = _seeded_run(ett_scaled, seed=7)
    torch.rand(5)  # disturb the global RNG in between
    second, weights_again = _seeded_run(ett_scaled, seed=7)
    assert first.history == second.history
    assert all(torch.equal(weights[k], weights_again[k]) for k in weights)
    third, other = _seeded_run(ett_scaled, seed=8)
    assert third.history != first.history
    assert not all(torch.equal(weights[k], other[k]) for k in weights)


def test_deterministic_mode_is_scoped_to_fit(ett_scaled):
    x, y = ett_scaled
    before = torch.are_deterministic_algorithms_enabled()
    seen = []

    class Look(Callback):
        def on_train_start(self, trainer, pl_module):
            seen.append(torch.are_deterministic_algorithms_enabled())

    fit(small_net(), loss="mse", metrics=[], optimizer=OptimizerConfig(), train_loader=loader(x, y),
        config=TrainConfig(epochs=1, deterministic=True, **CPU), callbacks=[Look()])
    assert seen == [True]
    assert torch.are_deterministic_algorithms_enabled() == before


@pytest.mark.parametrize("validation", [True, False])
def test_quiet_and_writes_nothing_without_run_dir(ett_scaled, tmp_path, monkeypatch, capfd, validation):
    x, y = ett_scaled
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(small_net(), loss="mse", metrics=["mae"], optimizer=OptimizerConfig(), train_loader=loader(x, y),
            val_loader=loader(x[:64], y[:64]) if validation else None,
            config=TrainConfig(epochs=2, early_stopping={"patience": 1, "monitor": "loss"}, **CPU))
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # no banners, summary or progress bar
    assert [str(w.message) for w in caught] == []
    assert list(tmp_path.iterdir()) == []


def test_batches_must_be_pairs(ett_scaled):
    x, _ = ett_scaled
    with pytest.raises(DataError, match=r"\(x, y\)"):
        fit(small_net(), loss="mse", metrics=[], optimizer=OptimizerConfig(),
            train_loader=torch.utils.data.DataLoader(x, batch_size=32), config=TrainConfig(epochs=1, **CPU))


def test_progress_bar_only_when_asked(ett_scaled):
    x, y = ett_scaled
    bars = []

    class Look(Callback):
        def on_train_start(self, trainer, pl_module):
            bars.append(type(trainer.progress_bar_callback).__name__ if trainer.progress_bar_callback else None)

    for progress in (False, True):
        fit(small_net(), loss="mse", metrics=[], optimizer=OptimizerConfig(), train_loader=loader(x, y),
            config=TrainConfig(epochs=1, progress=progress, **CPU), callbacks=[Look()])
    assert bars == [None, "RichProgressBar"]


def test_make_loader_follows_the_config(ett_scaled):
    x, y = ett_scaled
    config = TrainConfig(batch_size=50, shuffle=True)
    train = make_loader(torch.utils.data.TensorDataset(x, y), config)
    test = make_loader(torch.utils.data.TensorDataset(x, y), config, train=False)
    assert train.batch_size == 50 and len(train) == 10
    assert isinstance(train.sampler, torch.utils.data.RandomSampler)
    assert isinstance(test.sampler, torch.utils.data.SequentialSampler)
    with pytest.raises(DataError, match="no batches"):
        evaluate(small_net(), loss="mse", metrics=[], loader=[])
