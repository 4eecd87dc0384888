"""Checkpoints: safetensors + JSON only, best and last, resume equal to an uninterrupted run."""

from __future__ import annotations

import csv
import json
import os
import pickle
import shutil
import time
from pathlib import Path

import pytest
import torch
from lightning.pytorch.callbacks import Callback
from safetensors import safe_open
from safetensors.torch import load_file

from seqlab.errors import ConfigError, RunDirError, WeightsError
from seqlab.training.checkpoint import from_json, to_json
from seqlab.training.config import OptimizerConfig, TrainConfig
from seqlab.training.engine import fit

from ._data import loader, small_net

CPU = {"accelerator": "cpu"}


def _no_pickle(*args, **kwargs):
    raise AssertionError("pickle used while training")


def test_checkpoint_files_hold_no_pickle(ett_scaled, tmp_path, monkeypatch):
    x, y = ett_scaled
    for target, name in ((torch, "save"), (pickle, "dump"), (pickle, "dumps"), (pickle, "Pickler")):
        monkeypatch.setattr(target, name, _no_pickle)
    net = small_net()
    fit(net, loss="mse", metrics=["mae"], optimizer=OptimizerConfig(lr=0.01), train_loader=loader(x[:400], y[:400]),
        val_loader=loader(x[400:], y[400:]), config=TrainConfig(epochs=3, **CPU), run_dir=tmp_path)
    monkeypatch.undo()

    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["checkpoints/best.safetensors", "checkpoints/last.json", "checkpoints/last.optimizer.safetensors",
                     "checkpoints/last.safetensors", "metrics.csv"]
    for path in tmp_path.rglob("*.safetensors"):
        assert not path.read_bytes().startswith((b"\x80", b"PK"))  # neither a pickle nor torch's zip
        with safe_open(str(path), framework="pt") as fh:
            assert fh.metadata()["epoch"] == "2"
    weights = load_file(str(tmp_path / "checkpoints" / "last.safetensors"))
    assert all(torch.equal(weights[k], v) for k, v in net.state_dict().items())
    fresh = small_net(seed=5)
    fresh.load_state_dict(weights)  # loadable into the network as it is

    optimizer = load_file(str(tmp_path / "checkpoints" / "last.optimizer.safetensors"))
    assert {"state.0.exp_avg", "state.0.exp_avg_sq", "state.0.step", "state.3.exp_avg"} <= set(optimizer)
    assert optimizer["state.0.exp_avg"].shape == net[0].weight.shape
    meta = json.loads((tmp_path / "checkpoints" / "last.json").read_text())
    assert (meta["epoch"], meta["global_step"], meta["monitor"]) == (2, 39, "val_loss")
    assert meta["optimizer"]["param_groups"][0]["lr"] == 0.01
    assert meta["history"]["val_loss"][meta["best_epoch"]] == meta["best_score"] == min(meta["history"]["val_loss"])
    with open(tmp_path / "metrics.csv", newline="") as fh:
        assert [row["epoch"] for row in csv.DictReader(fh)] == ["0", "1", "2"]


class CrashAt(Callback):
    """Kill the run as epoch ``epoch`` starts (the checkpoint of the epoch before is on disk)."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer, pl_module):
        if trainer.current_epoch == self.epoch:
            raise RuntimeError("simulated crash")


def _run(ett_scaled, run_dir, epochs, resume=False, callbacks=None, **config):
    x, y = ett_scaled
    torch.manual_seed(123)  # the same initial weights for every run
    net = small_net(seed=3, dropout=0.2)
    history = fit(net, loss="mse", metrics=["mae"], optimizer=OptimizerConfig(lr=0.01),
                  train_loader=loader(x[:400], y[:400], shuffle=True), val_loader=loader(x[400:], y[400:]),
                  config=TrainConfig(epochs=epochs, seed=11, **CPU, **config), run_dir=run_dir, resume=resume,
                  callbacks=callbacks)
    return net, history


def _assert_same_run(whole, whole_history, resumed, history):
    assert history.epoch == [0, 1, 2, 3]
    for key, values in whole_history.history.items():
        assert history.history[key] == pytest.approx(values, rel=1e-5), key
    assert history.lr == pytest.approx(whole_history.lr)
    for key, value in whole.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[key], value, rtol=1e-5, atol=1e-6)


def test_train_two_then_resume_to_four_equals_four(ett_scaled, tmp_path):
    schedule = {"name": "step", "step_size": 1, "gamma": 0.7}
    whole, whole_history = _run(ett_scaled, tmp_path / "whole", 4, lr_schedule=schedule, early_stopping={"patience": 3})
    _run(ett_scaled, tmp_path / "split", 2, lr_schedule=schedule, early_stopping={"patience": 3})
    resumed, history = _run(ett_scaled, tmp_path / "split", 4, resume=True, lr_schedule=schedule,
                            early_stopping={"patience": 3})
    _assert_same_run(whole, whole_history, resumed, history)
    with open(tmp_path / "split" / "metrics.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]  # appended, numbering continued
    assert [float(r["loss"]) for r in rows] == pytest.approx(history.history["loss"])
    meta = json.loads((tmp_path / "split" / "checkpoints" / "last.json").read_text())
    assert meta["epoch"] == 3 and meta["global_step"] == 4 * 13


@pytest.mark.parametrize(
    "schedule",
    [{"name": "plateau", "patience": 0, "factor": 0.5}, {"name": "onecycle"}, {"name": "cosine"}],
)
def test_resume_after_a_crash_equals_an_uninterrupted_run(ett_scaled, tmp_path, schedule):
    whole, whole_history = _run(ett_scaled, tmp_path / "whole", 4, lr_schedule=schedule)
    with pytest.raises(RuntimeError, match="simulated crash"):
        _run(ett_scaled, tmp_path / "crash", 4, lr_schedule=schedule, callbacks=[CrashAt(2)])
    resumed, history = _run(ett_scaled, tmp_path / "crash", 4, resume=True, lr_schedule=schedule)
    _assert_same_run(whole, whole_history, resumed, history)


def test_resuming_a_finished_run_trains_nothing(ett_scaled, tmp_path):
    net, history = _run(ett_scaled, tmp_path, 2)
    again, history_again = _run(ett_scaled, tmp_path, 2, resume=True)
    assert history_again.history == history.history and history_again.epoch == [0, 1]
    assert all(torch.equal(again.state_dict()[k], v) for k, v in net.state_dict().items())


def test_early_stopping_restores_the_best_weights(ett_scaled, tmp_path):
    x, y = ett_scaled
    # validation targets of the opposite sign: every epoch that fits y makes val_loss worse
    config = TrainConfig(epochs=20, early_stopping={"patience": 2}, **CPU)
    args = dict(loss="mse", metrics=[], optimizer=OptimizerConfig(lr=0.01), train_loader=loader(x, y),
                val_loader=loader(x[:100], -y[:100]))
    net = small_net()
    history = fit(net, **args, config=config, run_dir=tmp_path)
    val = history.history["val_loss"]
    assert len(val) == 3 and val[0] < val[1] < val[2]  # stopped after two epochs without improvement

    best = load_file(str(tmp_path / "checkpoints" / "best.safetensors"))
    last = load_file(str(tmp_path / "checkpoints" / "last.safetensors"))
    first_epoch = small_net()
    fit(first_epoch, **args, config=TrainConfig(epochs=1, **CPU))
    for key, value in net.state_dict().items():
        assert torch.equal(value, best[key])  # the net holds the best epoch's weights ...
        assert torch.equal(value, first_epoch.state_dict()[key])  # ... which are epoch 0's
    assert not all(torch.equal(best[k], last[k]) for k in best)

    in_memory = small_net()  # without a run_dir the best weights are kept in memory
    fit(in_memory, **args, config=config)
    assert all(torch.equal(in_memory.state_dict()[k], v) for k, v in net.state_dict().items())
    # resuming an early-stopped run trains no more epochs and keeps the best weights
    resumed = small_net()
    history_again = fit(resumed, **args, config=config, run_dir=tmp_path, resume=True)
    assert history_again.epoch == [0, 1, 2]
    assert all(torch.equal(resumed.state_dict()[k], v) for k, v in net.state_dict().items())


def test_resume_errors(ett_scaled, tmp_path):
    x, y = ett_scaled
    args = dict(loss="mse", optimizer=OptimizerConfig(), train_loader=loader(x, y), config=TrainConfig(epochs=2, **CPU))
    with pytest.raises(RunDirError, match="last.json"):
        fit(small_net(), metrics=[], **args, run_dir=tmp_path / "empty", resume=True)
    with pytest.raises(ConfigError, match="run_dir"):
        fit(small_net(), metrics=[], **args, resume=True)
    fit(small_net(), metrics=[], **args, run_dir=tmp_path / "a")
    with pytest.raises(ConfigError, match="mae"):
        fit(small_net(), metrics=["mae"], **args, run_dir=tmp_path / "a", resume=True)
    with pytest.raises(WeightsError, match="missing"):
        fit(small_net(n_out=2), metrics=[], **args, run_dir=tmp_path / "a", resume=True)
    # files from different epochs (a crash between two writes) are noticed, not mixed
    fit(small_net(), metrics=[], loss="mse", optimizer=OptimizerConfig(), train_loader=loader(x, y),
        config=TrainConfig(epochs=1, **CPU), run_dir=tmp_path / "b")
    older = tmp_path / "b" / "checkpoints" / "last.safetensors"
    shutil.copy(older, tmp_path / "a" / "checkpoints" / "last.safetensors")
    with pytest.raises(WeightsError, match="epoch 0"):
        fit(small_net(), metrics=[], **args, run_dir=tmp_path / "a", resume=True)


def test_json_encoding_keeps_non_finite_floats():
    state = {"best": float("inf"), "worse": -float("inf"), "betas": (0.9, 0.999), "lr": torch.tensor(0.5),
             "n": [1, None]}
    text = json.dumps(to_json(state), allow_nan=False)  # strict JSON
    back = from_json(json.loads(text))
    assert back == {"best": float("inf"), "worse": -float("inf"), "betas": [0.9, 0.999], "lr": 0.5, "n": [1, None]}


# --------------------------------------------------------------------------------------------
# A checkpoint is one folder, replaced as a unit


def test_a_save_cut_anywhere_leaves_one_complete_checkpoint(ett_scaled, tmp_path):
    from seqlab.training.checkpoint import NEW_DIR, OLD_DIR, checkpoint_dir, load_last

    _run(ett_scaled, tmp_path / "a", 2)
    run_dir = tmp_path / "a"
    # killed while writing the next one: a partial .checkpoints.new beside the complete checkpoints/
    (run_dir / NEW_DIR).mkdir()
    (run_dir / NEW_DIR / "last.safetensors").write_bytes(b"half a file")
    assert checkpoint_dir(run_dir) == run_dir / "checkpoints"
    assert load_last(run_dir, small_net(seed=3, dropout=0.2)).epochs_completed == 2
    # killed between the two renames: only .checkpoints.old holds the checkpoint
    os.replace(run_dir / "checkpoints", run_dir / OLD_DIR)
    assert checkpoint_dir(run_dir) == run_dir / OLD_DIR
    assert load_last(run_dir, small_net(seed=3, dropout=0.2)).epochs_completed == 2
    # and resuming from there completes the run as if nothing had happened
    whole, whole_history = _run(ett_scaled, tmp_path / "whole", 4)
    resumed, history = _run(ett_scaled, run_dir, 4, resume=True)
    _assert_same_run(whole, whole_history, resumed, history)
    assert sorted(p.name for p in run_dir.iterdir()) == ["checkpoints", "metrics.csv"]
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "best.safetensors", "last.json", "last.optimizer.safetensors", "last.safetensors"]


CHILD = '''
import json, sys, time
import numpy as np, pandas as pd, torch
from lightning.pytorch.callbacks import Callback
sys.path.insert(0, sys.argv[3])
from training._data import loader, small_net
from seqlab.training import checkpoint
from seqlab.training.config import OptimizerConfig, TrainConfig
from seqlab.training.engine import fit

torch.set_num_threads(1)
frame = pd.read_csv(sys.argv[2], nrows=480)
x = frame[["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL"]].to_numpy(dtype=np.float32)
x = torch.tensor((x - x.mean(axis=0)) / x.std(axis=0))
y = torch.tensor(frame[["OT"]].to_numpy(dtype=np.float32))
y = (y - y.mean()) / y.std()

write = checkpoint.write_synced
def slow_write(path, data):  # checkpoint writes take long enough to be killed in
    time.sleep(0.04)
    write(path, data)
checkpoint.write_synced = slow_write
save = checkpoint.save_unit
def announced(run_dir, files, keep=()):
    epoch = json.loads(files["last.json"])["epoch"]
    print(f"writing {epoch}", flush=True)
    folder = save(run_dir, files, keep)
    print(f"saved {epoch}", flush=True)
    return folder
checkpoint.save_unit = announced

class Slow(Callback):
    def on_train_batch_end(self, *args):
        time.sleep(0.01)

torch.manual_seed(123)
net = small_net(seed=3, dropout=0.2)
print("start", flush=True)
fit(net, loss="mse", metrics=["mae"], optimizer=OptimizerConfig(lr=0.01),
    train_loader=loader(x[:400], y[:400], shuffle=True), val_loader=loader(x[400:], y[400:]),
    config=TrainConfig(epochs=int(sys.argv[4]), seed=11, accelerator="cpu"), run_dir=sys.argv[1],
    callbacks=[Slow()])
print("done", flush=True)
'''


def test_kill_9_at_random_moments_loses_no_finished_epoch(ett_scaled, tmp_path):
    """kill -9 during training and during checkpoint writes; every resume continues from the last
    checkpoint the child finished writing, and ends equal to an uninterrupted run."""
    import random
    import signal
    import subprocess
    import sys

    from seqlab.training.checkpoint import checkpoint_dir, load_last

    from ._data import DATA

    epochs = 6
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    tests = Path(__file__).resolve().parents[1]
    whole, whole_history = _run(ett_scaled, tmp_path / "whole", epochs)
    rng = random.Random(16)
    # (the line to wait for, the longest pause after it): in a checkpoint write, or in training
    moments = [("writing 1", 0.15), ("writing 3", 0.15), ("saved 0", 0.2), ("saved 2", 0.2)]
    for trial, (trigger, longest) in enumerate(moments):
        run_dir = tmp_path / f"run{trial}"
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        child = subprocess.Popen([sys.executable, str(script), str(run_dir), str(DATA / "ett" / "ETTh1.csv"),
                                  str(tests), str(epochs)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=env)
        lines = []
        for line in child.stdout:
            lines.append(line.strip())
            if line.strip() in (trigger, "done"):
                break
        assert trigger in lines, (lines, child.stderr.read()[-2000:] if child.poll() is not None else "")
        time.sleep(rng.uniform(0.0, longest))
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        lines += rest.split()
        saved = [int(l.split()[1]) for l in lines if l.startswith("saved")]
        assert "done" not in lines, f"trial {trial}: the child finished before it was killed"
        on_disk = load_last(run_dir, small_net(seed=3, dropout=0.2)).meta["epoch"]
        # the last checkpoint written is there (or the next one, if the kill fell after its rename)
        assert on_disk in (saved[-1], saved[-1] + 1), (trial, saved, on_disk)
        assert checkpoint_dir(run_dir) is not None
        resumed, history = _run(ett_scaled, run_dir, epochs, resume=True)
        assert history.epoch == list(range(epochs))
        for key, values in whole_history.history.items():
            assert history.history[key] == pytest.approx(values, rel=1e-5), (trial, key)
        for key, value in whole.state_dict().items():
            torch.testing.assert_close(resumed.state_dict()[key], value, rtol=1e-5, atol=1e-6)
