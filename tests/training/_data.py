"""Helpers of the training tests: where the real data is, a .ts reader, loaders and a small net."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def read_ts(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A univariate, equal-length UCR ``.ts`` file: (series (N, L), labels (N,) as strings)."""
    rows, labels = [], []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith(("#", "@")):
            continue
        values, label = line.rsplit(":", 1)
        rows.append([float(v) for v in values.split(",")])
        labels.append(label.strip())
    return np.asarray(rows, dtype=np.float32), np.asarray(labels)


def loader(x: torch.Tensor, y: torch.Tensor, batch_size: int = 32, shuffle: bool = False) -> DataLoader:
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)


def small_net(n_in: int = 6, n_out: int = 1, seed: int = 0, dropout: float = 0.0) -> torch.nn.Module:
    torch.manual_seed(seed)
    layers: list[torch.nn.Module] = [torch.nn.Linear(n_in, 8), torch.nn.Tanh()]
    if dropout:
        layers.append(torch.nn.Dropout(dropout))
    layers.append(torch.nn.Linear(8, n_out))
    return torch.nn.Sequential(*layers)
