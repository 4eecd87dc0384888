"""The anomaly networks: shapes, state carried across chunks, the z-score against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from seqlab.data.nab import read_nab_series
from seqlab.errors import ConfigError
from seqlab.models.anomaly import DetectorConfig, build_detector
from seqlab.models.anomaly.baseline import EPS


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks on two shared cores: several times faster
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def speed(shared_data):
    values = read_nab_series(shared_data / "anomaly" / "nab" / "realTraffic" / "speed_6005.csv").values
    return (values - values.mean()) / values.std()


def test_shapes_and_parameters():
    x = torch.randn(4, 32, 1)
    for name in ("lstm-ae", "conv-ae", "lstm-forecast"):
        net = build_detector(DetectorConfig(name=name, hidden=8))
        assert net(x).shape == (4, 32, 1) and sum(p.numel() for p in net.parameters()) > 0
    assert list(build_detector(DetectorConfig(name="zscore")).parameters()) == []
    with pytest.raises(ConfigError, match="multiple of 4, got 30"):
        build_detector(DetectorConfig(name="conv-ae", window=30))


def test_forecaster_state_carried_over_chunks_equals_one_pass(speed):
    torch.manual_seed(0)
    net = build_detector(DetectorConfig(name="lstm-forecast", hidden=8)).eval()
    x = torch.as_tensor(speed[:600], dtype=torch.float32)[None, :, None]  # (1, 600, 1)
    with torch.no_grad():
        whole = net(x)
        state, parts = None, []
        for chunk in x.split(37, dim=1):
            y, state = net.step(chunk, state)
            parts.append(y)
    assert torch.allclose(torch.cat(parts, dim=1), whole, atol=1e-5)


def test_zscore_matches_pandas_rolling(speed):
    W = 24
    z = build_detector(DetectorConfig(name="zscore", window=W)).scores(speed)
    past = pd.Series(speed).shift(1).rolling(W)
    expected = ((pd.Series(speed) - past.mean()).abs() / (past.std(ddof=0) + EPS)).fillna(0.0).to_numpy()
    assert np.allclose(z, expected, atol=1e-8) and z[:W].max() == 0.0


def test_autoencoder_learns_real_windows(speed):
    """A hundred and fifty Adam steps on real windows bring the reconstruction below each window's own mean."""
    torch.manual_seed(0)
    x = torch.as_tensor(np.lib.stride_tricks.sliding_window_view(speed[:400], 16)[::2, :, None].copy(),
                        dtype=torch.float32)  # (193, 16, 1)
    trivial = float(((x - x.mean(dim=1, keepdim=True)) ** 2).mean())
    for name in ("conv-ae", "lstm-ae"):
        net = build_detector(DetectorConfig(name=name, hidden=16, window=16))
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        for _ in range(150):
            opt.zero_grad()
            loss = ((net(x) - x) ** 2).mean()
            loss.backward()
            opt.step()
        assert loss.item() < 0.8 * trivial, (name, loss.item(), trivial)
