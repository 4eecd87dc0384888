"""AttentionPooling follows its equations and ignores padding; TokenDropout drops whole steps."""

from __future__ import annotations

import pytest
import torch

from seqlab.errors import ConfigError, ShapeError
from seqlab.layers.attention import AttentionPooling
from seqlab.layers.core import TokenDropout


def test_attention_pooling_matches_its_equations():
    torch.manual_seed(0)
    pool = AttentionPooling(units=5)
    x = torch.randn(3, 6, 4)
    mask = torch.tensor([[1] * 6, [1] * 3 + [0] * 3, [1] + [0] * 5], dtype=torch.bool)
    c = pool(x, mask=mask)
    for b in range(3):
        n = int(mask[b].sum())
        h = x[b, :n]  # the real steps
        e = (torch.tanh(h @ pool.W.weight.T + pool.W.bias) @ pool.v.weight.T).squeeze(-1)  # e_t = v^T tanh(W h_t + b)
        a = torch.softmax(e, dim=0)
        torch.testing.assert_close(c[b], (a[:, None] * h).sum(0))
        torch.testing.assert_close(pool.last_weights[b, :n], a)
        assert pool.last_weights[b, n:].abs().sum() == 0


def test_attention_pooling_is_blind_to_padding_content():
    torch.manual_seed(1)
    pool = AttentionPooling()
    x = torch.randn(1, 4, 3)
    padded = torch.cat([x, 100 * torch.randn(1, 5, 3)], dim=1)
    mask = torch.tensor([[True] * 4 + [False] * 5])
    torch.testing.assert_close(pool(x), pool(padded, mask=mask))


def test_attention_pooling_errors():
    pool = AttentionPooling()
    with pytest.raises(ShapeError, match="batch, steps, channels"):
        pool(torch.randn(2, 3))
    pool(torch.randn(2, 3, 4))
    with pytest.raises(ShapeError, match="mask must have shape"):
        pool(torch.randn(2, 3, 4), mask=torch.ones(2, 5, dtype=torch.bool))


def test_token_dropout_drops_whole_steps_at_its_rate():
    torch.manual_seed(0)
    drop = TokenDropout(0.25)
    y = drop(torch.ones(50, 200, 8))
    dropped = (y == 0).all(-1)
    kept = (y == 1 / 0.75).all(-1)
    assert bool((dropped | kept).all())  # never part of a step
    assert abs(dropped.float().mean().item() - 0.25) < 0.02
    x = torch.randn(2, 3, 4)
    assert torch.equal(drop.eval()(x), x)
    with pytest.raises(ConfigError, match="rate"):
        TokenDropout(1.0)
