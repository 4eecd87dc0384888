"""The encoder-decoder: attention equations against a plain computation, padding invariance,
teacher forcing equal to step-by-step decoding, and shape errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.errors import DataError, ShapeError
from seqlab.models.seq2seq import BahdanauAttention, LuongDotAttention, Seq2Seq, Seq2SeqConfig, Seq2SeqShape

SRC = {"ids": torch.tensor([[4, 5, 0, 0], [6, 7, 8, 9], [3, 0, 0, 0]]), "lengths": torch.tensor([2, 4, 1])}
TGT_IN = torch.tensor([[2, 5, 6, 7], [2, 7, 0, 0], [2, 9, 9, 4]])


def _net(name: str, attention: str) -> Seq2Seq:
    torch.manual_seed(0)
    net = Seq2Seq(Seq2SeqConfig(name=name, attention=attention, units=8, embed_dim=6, attention_units=5, dropout=0.0),
                  Seq2SeqShape(12, 15))
    return net.eval()


def test_bahdanau_scores_follow_the_equations():
    torch.manual_seed(0)
    att = BahdanauAttention(query_dim=4, memory_dim=6, units=5)
    s, h = torch.randn(2, 1, 4), torch.randn(2, 3, 6)
    mask = torch.tensor([[True, True, True], [True, True, False]])
    c, a = att(s, h, mask)
    W, U, b, v = (att.W.weight.detach().numpy(), att.U.weight.detach().numpy(), att.U.bias.detach().numpy(),
                  att.v.weight.detach().numpy()[0])
    for i in range(2):
        n = int(mask[i].sum())
        e = np.array([v @ np.tanh(W @ s[i, 0].numpy() + U @ h[i, j].numpy() + b) for j in range(n)])
        alpha = np.exp(e - e.max()) / np.exp(e - e.max()).sum()
        np.testing.assert_allclose(a[i, 0, :n].detach().numpy(), alpha, rtol=1e-5)
        np.testing.assert_allclose(c[i, 0].detach().numpy(), alpha @ h[i, :n].numpy(), rtol=1e-5, atol=1e-6)
    assert float(a.detach()[1, 0, 2]) == 0.0


def test_luong_dot_scores_follow_the_equations():
    torch.manual_seed(1)
    q, h = torch.randn(2, 4, 6), torch.randn(2, 3, 6)
    mask = torch.tensor([[True, False, False], [True, True, True]])
    c, a = LuongDotAttention()(q, h, mask)
    expected = torch.softmax(q[1] @ h[1].T, dim=-1)  # h_t^T h̄_s over the three real steps
    assert torch.allclose(a[1], expected, atol=1e-6) and torch.allclose(c[1], expected @ h[1], atol=1e-6)
    assert torch.allclose(a[0, :, 0], torch.ones(4)) and torch.allclose(c[0], h[0, :1].expand(4, 6))
    with pytest.raises(ShapeError, match="one width"):
        LuongDotAttention()(torch.randn(2, 4, 5), h, mask)
    with pytest.raises(ShapeError, match=r"mask must have shape \(2, 3\)"):
        LuongDotAttention()(q, h, mask[:, :2])


@pytest.mark.parametrize("name,attention", [("gru", "bahdanau"), ("lstm", "luong"), ("gru", "luong"), ("lstm", "bahdanau")])
def test_padding_and_batching_do_not_change_a_sentence(name, attention):
    net = _net(name, attention)
    with torch.no_grad():
        full = net((SRC, TGT_IN))  # (B, T, V)
        for b in range(3):
            n = int(SRC["lengths"][b])
            alone = net(({"ids": SRC["ids"][b:b + 1, :n], "lengths": SRC["lengths"][b:b + 1]}, TGT_IN[b:b + 1]))
            assert torch.allclose(alone, full[b:b + 1], atol=1e-5)
    assert net.last_attention.shape == (1, 4, int(SRC["lengths"][2]))


@pytest.mark.parametrize("name,attention", [("gru", "bahdanau"), ("lstm", "luong")])
def test_teacher_forcing_equals_step_by_step_decoding(name, attention):
    """Training (Luong: the whole target through the fused recurrence) and decoding (one cell step at a
    time) compute the same distribution."""
    net = _net(name, attention)
    with torch.no_grad():
        logits = net((SRC, TGT_IN))
        enc = net.encode(SRC)
        keys, state = net.decoder.keys(enc), enc.state
        for t in range(TGT_IN.shape[1]):
            step, state, a = net.step(TGT_IN[:, t], state, enc, keys)
            assert torch.allclose(step, logits[:, t], atol=1e-5)
            assert torch.allclose(a, net.last_attention[:, t], atol=1e-6)


def test_bad_inputs_are_named():
    net = _net("gru", "bahdanau")
    with pytest.raises(ShapeError, match=r"x = \(src, tgt_in\)"):
        net(SRC)
    with pytest.raises(ShapeError, match="tgt_in must be"):
        net((SRC, TGT_IN[:2]))
    with pytest.raises(DataError, match="target id 20 is out of range for a target vocabulary of 15"):
        net((SRC, TGT_IN + 11))
    with pytest.raises(ShapeError, match="lengths"):
        net(({"ids": SRC["ids"], "lengths": SRC["lengths"][:2]}, TGT_IN))
    with pytest.raises(ValueError, match="even number"):
        Seq2SeqConfig(name="gru", units=7)
