"""LanguageModel: shapes, the state carried across chunks, scoring, bad input."""

from __future__ import annotations

import pytest
import torch

from seqlab.errors import ShapeError
from seqlab.models.lm import LanguageModel, LMConfig, TargetLogProb


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_chunks_read_as_one_stream(cell):
    torch.manual_seed(0)
    net = LanguageModel(LMConfig(name=cell, embed_dim=8, units=16, num_layers=2), vocab_size=20).eval()
    ids = torch.randint(0, 20, (3, 12))
    with torch.no_grad():
        whole = net(ids)
        net.reset_states()
        parts = torch.cat([net(ids[:, :5]), net(ids[:, 5:9]), net(ids[:, 9:])], dim=1)
        net.reset_states()
        fresh = net(ids[:, 5:9])  # no carried state: a different result
    assert whole.shape == (3, 12, 20)
    torch.testing.assert_close(parts, whole, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(fresh, whole[:, 5:9], atol=1e-3)


def test_target_log_prob_is_the_log_softmax_of_the_target():
    torch.manual_seed(1)
    net = LanguageModel(LMConfig(name="lstm", embed_dim=4, units=8, num_layers=1), vocab_size=11).eval()
    ids, targets = torch.randint(0, 11, (2, 7)), torch.randint(0, 11, (2, 7))
    with torch.no_grad():
        logp = TargetLogProb(net)((ids, targets))
        net.reset_states()
        logits = net(ids)
    expected = torch.log_softmax(logits, -1).gather(-1, targets[..., None]).reshape(-1)
    assert logp.shape == (14,)
    torch.testing.assert_close(logp, expected)
    assert float(torch.exp(torch.log_softmax(logits, -1)).sum(-1).mean()) == pytest.approx(1.0, abs=1e-5)


def test_bad_input_names_the_problem():
    net = LanguageModel(LMConfig(name="gru", embed_dim=4, units=8, num_layers=1), vocab_size=5)
    with pytest.raises(ShapeError, match=r"expects \(B, T\) integer token ids, got torch.float32"):
        net(torch.zeros(2, 3))
    with pytest.raises(ShapeError, match=r"shape \(6,\)"):
        net(torch.zeros(6, dtype=torch.long))
    net(torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ShapeError, match="carries the state of a batch of 2 sequences but got 3"):
        net(torch.zeros(3, 3, dtype=torch.long))
