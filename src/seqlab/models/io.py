"""Save/load of model files: safetensors for tensors, JSON and YAML for the rest; nothing loaded runs code.

The atomic writes, JSON helpers and locks live in :mod:`seqlab.fileio` (they serve runs and
checkpoints too) and are re-exported here for the modules that import them from ``models.io``.
"""

from __future__ import annotations

import os  # noqa: F401  (tests patch ``seqlab.models.io.os.replace``)
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from seqlab.errors import WeightsError
from seqlab.fileio import (  # noqa: F401  (re-exported)
    atomic_write_bytes,
    atomic_write_text,
    read_json,
    temp_dir_beside,
    write_json,
)


__all__ = ["atomic_write_bytes", "atomic_write_text", "load_tensors", "load_weights", "read_json", "save_tensors",
           "temp_dir_beside", "write_json"]


def save_tensors(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> None:
    """Save a flat dict of tensors as safetensors (contiguous CPU copies), atomically."""
    flat = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    atomic_write_bytes(path, save(flat, metadata=metadata))


def load_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """Load a safetensors file; a corrupt or foreign file raises WeightsError naming it."""
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{path}: weights file not found")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise WeightsError(f"{path}: not a readable safetensors file ({exc})") from exc


def load_weights(net: torch.nn.Module, path: str | Path) -> None:
    """Load a safetensors state dict into ``net``; a mismatch raises WeightsError naming the keys."""
    path = Path(path)
    weights = load_tensors(path)
    like = next((v for v in weights.values() if v.is_floating_point()), None)
    if like is not None:
        net.to(dtype=like.dtype)  # keep the saved precision (a float64 model stays float64)
    own = net.state_dict()
    missing = sorted(set(own) - set(weights))
    unexpected = sorted(set(weights) - set(own))
    wrong = [f"{k}: file {tuple(weights[k].shape)}, model {tuple(own[k].shape)}"
             for k in own if k in weights and weights[k].shape != own[k].shape]
    if missing or unexpected or wrong:
        raise WeightsError(
            f"{path}: weights do not match the model (missing {missing[:5]}, unexpected {unexpected[:5]}, "
            f"shape mismatches {wrong[:5]}); load them into the network they were saved from"
        )
    net.load_state_dict(weights)
