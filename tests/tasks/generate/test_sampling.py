"""Temperature, top-k and top-p sampling against a direct NumPy computation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.errors import ConfigError
from seqlab.tasks.generate.sampling import check_sampling, filter_logits, next_token


def _kept_by_numpy(z: np.ndarray, top_k=None, top_p=None) -> set[int]:
    order = np.argsort(-z, kind="stable")
    keep = set(order[:top_k].tolist()) if top_k else set(range(len(z)))
    if top_p is not None:
        zk = np.where([i in keep for i in range(len(z))], z, -np.inf)
        p = np.exp(zk - zk.max())
        p /= p.sum()
        nucleus, mass = set(), 0.0
        for i in np.argsort(-p, kind="stable"):
            if mass >= top_p:
                break
            nucleus.add(int(i))
            mass += p[i]
        keep = nucleus
    return keep


@pytest.mark.parametrize("top_k,top_p", [(5, None), (None, 0.9), (None, 0.5), (20, 0.95), (1, None), (None, 1.0)])
def test_filter_keeps_what_numpy_keeps(top_k, top_p):
    z = np.random.default_rng(3).standard_normal(65) * 2
    out = filter_logits(torch.from_numpy(z), top_k, top_p).numpy()
    kept = set(np.flatnonzero(np.isfinite(out)).tolist())
    assert kept == _kept_by_numpy(z, top_k, top_p)
    np.testing.assert_array_equal(out[list(kept)], z[list(kept)])


def test_draws_follow_the_tempered_distribution():
    z = torch.tensor([1.0, 0.0, -1.0, -3.0])
    g = torch.Generator().manual_seed(0)
    draws = np.bincount([next_token(z, 0.5, None, None, g) for _ in range(4000)], minlength=4) / 4000
    expected = torch.softmax(z / 0.5, -1).numpy()
    np.testing.assert_allclose(draws, expected, atol=0.03)
    assert {next_token(z, 1.0, 2, None, g) for _ in range(200)} == {0, 1}  # top-k=2
    assert next_token(z, 0.0, None, None, g) == 0  # greedy


@pytest.mark.parametrize("kwargs,message", [
    ({"length": -1}, "--length must be a non-negative integer"),
    ({"temperature": -0.5}, "--temperature must be 0"),
    ({"temperature": float("nan")}, "--temperature must be 0"),
    ({"top_k": 0}, "--top-k must be at least 1"),
    ({"top_p": 0.0}, r"--top-p must be in \(0, 1\]"),
    ({"top_p": 1.5}, r"--top-p must be in \(0, 1\]"),
])
def test_bad_settings(kwargs, message):
    settings = {"length": 10, "temperature": 0.8, "top_k": None, "top_p": None, **kwargs}
    with pytest.raises(ConfigError, match=message):
        check_sampling(**settings)
