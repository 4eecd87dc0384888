"""Real data slices for the training tests: ETTh1 rows (regression), UCR series (classification)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from ._data import DATA, read_ts

ETT_INPUTS = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL"]


@pytest.fixture(scope="session")
def ett() -> tuple[torch.Tensor, torch.Tensor]:
    """The first 480 hours of ETTh1: six load columns (standardised) -> oil temperature OT (N, 1), raw."""
    frame = pd.read_csv(DATA / "ett" / "ETTh1.csv", nrows=480)
    x = frame[ETT_INPUTS].to_numpy(dtype=np.float32)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    y = frame[["OT"]].to_numpy(dtype=np.float32)
    return torch.tensor(x), torch.tensor(y)


@pytest.fixture(scope="session")
def ett_scaled(ett) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = ett
    return x, (y - y.mean()) / y.std()


@pytest.fixture(scope="session")
def italy() -> tuple[torch.Tensor, torch.Tensor]:
    """ItalyPowerDemand train+test series (N, 24) and binary labels (N,) as 0./1. (class 2 -> 1)."""
    parts = [read_ts(DATA / "ucr" / "ItalyPowerDemand" / f"ItalyPowerDemand_{s}.ts") for s in ("TRAIN", "TEST")]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts]).astype(int) - 1
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.float32))


@pytest.fixture(scope="session")
def arrowhead() -> tuple[torch.Tensor, torch.Tensor]:
    """ArrowHead train series (36, 251) and class ids (36,) in {0, 1, 2}."""
    x, labels = read_ts(DATA / "ucr" / "ArrowHead" / "ArrowHead_TRAIN.ts")
    return torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny networks train fastest on one thread, and do not fight a neighbour for the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
