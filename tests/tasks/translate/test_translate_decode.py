"""Greedy and beam search on a network trained on real pairs."""

from __future__ import annotations

import pytest
import torch

from seqlab.models.seq2seq import Seq2Seq, Seq2SeqConfig, Seq2SeqShape
from seqlab.tasks.translate.config import TranslateData
from seqlab.tasks.translate.data import BOS, EOS, prepare
from seqlab.tasks.translate.decode import length_penalty, translate_ids


@pytest.fixture(scope="module")
def trained(simple_pairs):
    from seqlab.tasks.translate.run import fit_model
    from seqlab.tasks.translate.config import TranslateConfig

    torch.set_num_threads(1)
    cfg = TranslateConfig(data={"path": str(simple_pairs), "min_freq": 1}, optimizer={"lr": 0.01},
                          train={"epochs": 3, "batch_size": 32, "max_time_s": None, "early_stopping": None})
    setup = prepare(cfg.data)
    model = Seq2SeqConfig(name="gru", attention="luong", units=32, embed_dim=16, dropout=0.0)
    net, _ = fit_model(cfg, model, setup, None)
    return net.eval(), setup


def _log_prob(net: Seq2Seq, src: list[int], out: list[int]) -> float:
    """log P(out <eos> | src) by teacher forcing."""
    x = {"ids": torch.tensor([src]), "lengths": torch.tensor([len(src)])}
    with torch.no_grad():
        logp = torch.log_softmax(net((x, torch.tensor([[BOS, *out]]))), dim=-1)[0]  # (T, V)
    return float(sum(logp[t, y] for t, y in enumerate([*out, EOS])))


def test_length_penalty_is_gnmt():
    assert length_penalty(1, 0.6) == 1.0 and length_penalty(7, 1.0) == 2.0 and length_penalty(13, 0.0) == 1.0


def test_beam_of_one_is_greedy_and_a_wider_beam_scores_at_least_as_well(trained):
    net, setup = trained
    src, _ = setup.ids("val")
    src = src[:40]
    greedy, greedy_att = translate_ids(net, src, beam=1, max_len=20)
    one, _ = translate_ids(net, src, beam=1, max_len=20, batch_size=7)  # other batches: same outputs
    assert one == greedy
    beam, beam_att = translate_ids(net, src, beam=4, alpha=0.6, max_len=20)
    better = 0
    for s, g, b in zip(src, greedy, beam):
        score_g = _log_prob(net, s, g) / length_penalty(len(g) + 1, 0.6)
        score_b = _log_prob(net, s, b) / length_penalty(len(b) + 1, 0.6)
        assert score_b >= score_g - 1e-4  # the greedy path is one of the hypotheses a beam could keep
        better += score_b > score_g + 1e-4
    assert better > 0  # the search found a better translation for some sentence
    for s, g, a in zip(src, greedy, greedy_att):
        assert a.shape == (len(g) + 1, len(s)) and abs(a.sum(axis=1) - 1).max() < 1e-5
    assert all(a.shape == (len(b) + 1, len(s)) for s, b, a in zip(src, beam, beam_att))
