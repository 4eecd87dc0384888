"""AttentionPooling follows its equations and ignores padding; TokenDropout drops whole steps."""

from __future__ import annotations

import math

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


# -- TransformerEncoder ------------------------------------------------------------------------

from seqlab.layers.attention import TransformerEncoder, positional_encoding  # noqa: E402


def _encoder(**kwargs):
    torch.manual_seed(0)
    enc = TransformerEncoder(d_model=16, num_heads=2, num_layers=2, dropout=0.0, **kwargs)
    enc(torch.randn(1, 3, 5))  # build
    return enc.eval()


def test_transformer_causal_steps_do_not_see_the_future():
    enc = _encoder(causal=True)
    x = torch.randn(2, 9, 5)
    changed = x.clone()
    changed[:, 6:] += 3.0
    y, y2 = enc(x), enc(changed)
    assert torch.allclose(y[:, :6], y2[:, :6], atol=1e-5)
    assert not torch.allclose(y[:, 6:], y2[:, 6:], atol=1e-3)
    assert not torch.allclose(_encoder()(changed)[:, :6], _encoder()(x)[:, :6], atol=1e-3)  # not causal: it does


def test_transformer_padding_changes_nothing_at_real_steps():
    enc = _encoder()
    x = torch.randn(1, 6, 5)
    padded = torch.cat([x, torch.randn(1, 4, 5)], dim=1)
    mask = torch.tensor([[True] * 6 + [False] * 4])
    y = enc(padded, mask=mask)
    assert torch.allclose(y[:, :6], enc(x), atol=1e-5)
    assert torch.all(y[:, 6:] == 0)


def test_transformer_is_torch_nn_inside_with_sinusoids():
    enc = _encoder()
    x = torch.randn(2, 7, 5)
    z = enc.input_projection(x) + positional_encoding(7, 16, x)
    torch.manual_seed(1)
    reference = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(16, 2, 64, 0.0, batch_first=True, norm_first=True), 2,
        norm=torch.nn.LayerNorm(16), enable_nested_tensor=False).eval()
    reference.load_state_dict(enc.encoder.state_dict())  # torch.nn's names and shapes
    assert torch.allclose(enc(x), reference(z), atol=1e-5)
    pe = positional_encoding(7, 16, x)
    assert pe[3, 0] == pytest.approx(math.sin(3.0)) and pe[3, 1] == pytest.approx(math.cos(3.0))
    assert pe[3, 2] == pytest.approx(math.sin(3.0 / 10000 ** (2 / 16)))


def test_transformer_config_round_trips_and_checks_heads():
    enc = TransformerEncoder(d_model=12, num_heads=3, causal=True)
    assert TransformerEncoder(**enc.get_config()).get_config() == enc.get_config()
    with pytest.raises(ConfigError, match="divisible by `num_heads`"):
        TransformerEncoder(d_model=10, num_heads=4)
