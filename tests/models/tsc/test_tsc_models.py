"""Time-series classifiers: masked batch norm against torch, padding never changes a prediction,
and every family learns a real UCR slice (ItalyPowerDemand) well beyond the majority class."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from seqlab.data.ucr import read_series
from seqlab.errors import ShapeError
from seqlab.models.tsc import MODEL_NAMES, TSCConfig, TSCShape, build_tsc
from seqlab.models.tsc.blocks import MaskedBatchNorm
from seqlab.tasks.classify.data import SeriesDataset, normalize, pad_series
from seqlab.training import engine
from seqlab.training.config import OptimizerConfig, TrainConfig

TINY = {"fcn": {"filters": [8, 16, 8]}, "resnet": {"filters": [4, 8, 8]},
        "lstm-fcn": {"units": 8, "filters": [8, 16, 8]}, "bigru": {"units": 8}, "lstm": {"units": 16}}


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models train faster on one thread than on two that spin against each other (and other jobs)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_masked_batch_norm_matches_torch_on_real_steps():
    torch.manual_seed(0)
    x = torch.randn(3, 7, 4)
    lengths = torch.tensor([7, 5, 2])
    mask = torch.arange(7)[None, :] < lengths[:, None]
    ours, ref = MaskedBatchNorm(4), torch.nn.BatchNorm1d(4)
    with torch.no_grad():
        ours.weight.uniform_(0.5, 2)
        ours.bias.normal_()
    ref.load_state_dict({**ours.state_dict(), "num_batches_tracked": torch.tensor(0)})
    # no mask: torch's BatchNorm1d on (B, C, T)
    torch.testing.assert_close(ours(x), ref(x.transpose(1, 2)).transpose(1, 2))
    torch.testing.assert_close(ours.running_var, ref.running_var)
    # a mask: the statistics of the real steps only, i.e. BatchNorm1d over the real steps laid side by side
    ours2, ref2 = MaskedBatchNorm(4), torch.nn.BatchNorm1d(4)
    y = ours2(x, mask)
    real = x[mask]  # (N, C)
    torch.testing.assert_close(y[mask], ref2(real))
    torch.testing.assert_close(ours2.running_mean, ref2.running_mean)
    torch.testing.assert_close(ours2.running_var, ref2.running_var)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_padding_never_changes_a_prediction(name):
    torch.manual_seed(1)
    net = build_tsc(TSCConfig(name=name, **TINY[name]), TSCShape(3, 4))
    series = [torch.randn(T, 3) for T in (11, 4, 8)]
    # a few training steps so that batch norm's running statistics are not the identity
    net.train()
    for _ in range(2):
        net(pad_series([(s, torch.tensor(0)) for s in series])[0]).sum().backward()
    net.eval()
    batch = net(pad_series([(s,) for s in series])[0])  # (3, 4), padded to 11
    alone = torch.cat([net(pad_series([(s,)])[0]) for s in series])
    torch.testing.assert_close(batch, alone, atol=1e-5, rtol=1e-5)


def test_wrong_input_shape_is_a_shape_error():
    net = build_tsc(TSCConfig(name="fcn", **TINY["fcn"]), TSCShape(2, 3))
    with pytest.raises(ShapeError, match=r"FCN expects x \(B, T, 2\)"):
        net({"x": torch.randn(2, 5, 3), "lengths": torch.tensor([5, 5])})


@pytest.fixture(scope="module")
def italy(shared_data):
    """ItalyPowerDemand: 67 training days, the first 300 test days (24 hourly values each)."""
    folder = shared_data / "ucr" / "ItalyPowerDemand"
    out = []
    for split, n in (("TRAIN", None), ("TEST", 300)):
        s = read_series(folder / f"ItalyPowerDemand_{split}.ts")
        x = [normalize(v, {"mode": "series"}) for v in s.series[:n]]
        y = np.asarray([int(v) - 1 for v in s.labels[:n]])
        out.append((x, y))
    return out


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_each_family_beats_the_majority_class(italy, name):
    (x_train, y_train), (x_test, y_test) = italy
    torch.manual_seed(0)
    net = build_tsc(TSCConfig(name=name, **TINY[name]), TSCShape(1, 2))
    loader = DataLoader(SeriesDataset(x_train, y_train), batch_size=8, shuffle=True, collate_fn=pad_series)
    engine.fit(net, loss="sparse_categorical_crossentropy", metrics=["accuracy"], from_logits=True,
               optimizer=OptimizerConfig(lr=1e-2), train_loader=loader,
               config=TrainConfig(epochs=15, accelerator="cpu", seed=0))
    logits = engine.predict(net, DataLoader(SeriesDataset(x_test), batch_size=300, collate_fn=pad_series))
    accuracy = float((logits.argmax(1).numpy() == y_test).mean())
    majority = max(np.mean(y_test == 0), np.mean(y_test == 1))
    assert accuracy > majority + 0.2, (name, accuracy, majority)  # majority ~0.5; 1-NN DTW 0.95 on the full test set
