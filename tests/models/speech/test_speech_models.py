"""Speech classifiers: shapes, padding that never changes a prediction, SpecAugment only in training."""

from __future__ import annotations

import pytest
import torch

from seqlab.errors import ShapeError
from seqlab.models.speech import MODEL_NAMES, SpecAugment, SpeechEnsemble, SpeechModelConfig, SpeechShape, build_speech_model

SMALL = {"units": 8, "filters": 8}


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_an_utterance_gets_the_same_logits_alone_and_padded_in_a_batch(name):
    torch.manual_seed(0)
    net = build_speech_model(SpeechModelConfig(name=name, **SMALL), SpeechShape(12, 5)).eval()
    lengths = torch.tensor([23, 7, 16, 1])
    feats = torch.randn(4, 23, 12) * (torch.arange(23)[None, :, None] < lengths[:, None, None])  # zeros past each length
    together = net({"features": feats, "lengths": lengths})  # (4, 5)
    assert together.shape == (4, 5)
    for i, n in enumerate(lengths.tolist()):
        alone = net({"features": feats[i:i + 1, :n], "lengths": lengths[i:i + 1]})
        torch.testing.assert_close(alone[0], together[i], atol=1e-5, rtol=1e-5)


def test_wrong_feature_width_or_lengths_are_shape_errors():
    net = build_speech_model(SpeechModelConfig(name="conv1d", **SMALL), SpeechShape(12, 5))
    with pytest.raises(ShapeError, match=r"\(B, T, 12\)"):
        net({"features": torch.randn(2, 10, 13), "lengths": torch.tensor([10, 10])})
    with pytest.raises(ShapeError, match="lengths"):
        net({"features": torch.randn(2, 10, 12), "lengths": torch.tensor([10])})


def test_spec_augment_masks_bands_and_spans_inside_each_utterance_in_training_only():
    torch.manual_seed(0)
    aug = SpecAugment(freq_mask=4, time_mask=6, freq_masks=1, time_masks=1)
    x = torch.ones(64, 40, 10)
    lengths = torch.randint(10, 41, (64,))
    assert aug.eval()(x, lengths) is x
    y = aug.train()(x, lengths)
    zeros_per_freq = (y == 0).all(dim=1)  # (B, D): a whole band gone
    zeros_per_step = (y == 0).all(dim=2)  # (B, T): a whole span gone
    assert (zeros_per_freq.sum(1) <= 4).all() and zeros_per_freq.any()
    assert (zeros_per_step.sum(1) <= torch.minimum(torch.tensor(6), lengths // 5)).all() and zeros_per_step.any()
    for i, n in enumerate(lengths.tolist()):  # time masks lie inside the utterance
        assert not zeros_per_step[i, n:].any()
    bands = zeros_per_freq.float()  # contiguous bands
    assert ((bands[:, 1:] - bands[:, :-1]).abs().sum(1) <= 2).all()


def test_an_ensemble_averages_its_members_probabilities():
    torch.manual_seed(0)
    shape = SpeechShape(12, 4)
    ens = SpeechEnsemble([SpeechModelConfig(name="conv1d", **SMALL), SpeechModelConfig(name="gru", **SMALL)], shape).eval()
    x = {"features": torch.randn(3, 9, 12), "lengths": torch.tensor([9, 5, 2])}
    p = torch.stack([m(x).softmax(-1) for m in ens.members]).mean(0)
    torch.testing.assert_close(ens(x).softmax(-1), p)


def test_config_rejects_unknown_keys_and_models():
    with pytest.raises(ValueError, match="unit"):
        SpeechModelConfig(name="gru", unit=3)
    with pytest.raises(ValueError):
        SpeechModelConfig(name="transformer")
