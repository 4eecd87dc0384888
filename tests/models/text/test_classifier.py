"""Text classifiers: every family builds, gives a text the same output alone or padded in a batch,
keeps torch.nn's weight layout, and an ensemble averages its members' probabilities."""

from __future__ import annotations

import pytest
import torch

from seqlab.errors import DataError, ShapeError
from seqlab.models.text import MODEL_NAMES, ClassifierConfig, TextShape, build_classifier
from seqlab.models.text.ensemble import EnsembleClassifier

SHAPE = TextShape(vocab_size=60, num_classes=3)
POOLINGS = ["last", "mean", "max", "attention"]


def _batch(seqs: list[list[int]]) -> dict[str, torch.Tensor]:
    T = max(map(len, seqs))
    return {"ids": torch.tensor([s + [0] * (T - len(s)) for s in seqs]),
            "lengths": torch.tensor([len(s) for s in seqs])}


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("pooling", POOLINGS)
def test_a_text_scores_the_same_alone_and_padded(name, pooling):
    if name == "cnn" and pooling != "max":
        with pytest.raises(ValueError, match="max over time"):  # pydantic's ValidationError, at config time
            build_classifier(ClassifierConfig(name=name, pooling=pooling), SHAPE)
        return
    torch.manual_seed(0)
    net = build_classifier(ClassifierConfig(name=name, embed_dim=8, units=6, filters=5, pooling=pooling), SHAPE).eval()
    texts = [[5, 9, 3, 7, 7, 2, 11], [4], [8, 8, 6], [13, 2]]  # one shorter than every cnn kernel
    together = net(_batch(texts))
    assert together.shape == (4, 3)
    for i, t in enumerate(texts):
        torch.testing.assert_close(net(_batch([t]))[0], together[i], rtol=1e-5, atol=1e-6)


def test_defaults_follow_the_table():
    resolved = {n: ClassifierConfig(name=n).resolved() for n in MODEL_NAMES}
    assert resolved["lstm"].pooling == "last" and not resolved["lstm"].bidirectional
    assert resolved["rnn"].num_layers == 2  # the seeds' SimpleRNN x2
    assert resolved["bilstm"].bidirectional and resolved["bilstm"].pooling == "max"
    net = build_classifier(ClassifierConfig(name="rnn"), SHAPE)
    assert type(net.rnn).__name__ == "SimpleRNN" and net.rnn.num_layers == 2


def test_recurrent_weights_load_into_torch_nn():
    torch.manual_seed(0)
    net = build_classifier(ClassifierConfig(name="bilstm", embed_dim=8, units=6, pooling="last"), SHAPE).eval()
    ref = torch.nn.LSTM(8, 6, batch_first=True, bidirectional=True)
    ref.load_state_dict({k: v for k, v in net.rnn.state_dict().items()})
    emb = torch.nn.Embedding(60, 8, padding_idx=0)
    emb.load_state_dict(net.embedding.state_dict())
    x = _batch([[3, 4, 5, 6]])
    _, (h, _) = ref(emb(x["ids"]))
    h = torch.cat([h[0], h[1]], dim=-1)  # both directions' final states
    torch.testing.assert_close(net(x), h @ net.out.weight.T + net.out.bias)


def test_kim_cnn_has_one_filter_bank_per_kernel_size():
    net = build_classifier(ClassifierConfig(name="cnn", embed_dim=8, filters=7, kernel_sizes=[2, 3, 4, 5]), SHAPE)
    assert [c.weight.shape for c in net.cnn.convs] == [torch.Size([7, 8, k]) for k in (2, 3, 4, 5)]
    assert net.out.weight.shape == (3, 28)


def test_ensemble_averages_probabilities():
    torch.manual_seed(0)
    ens = EnsembleClassifier([ClassifierConfig(name="cnn", embed_dim=8, filters=4),
                              ClassifierConfig(name="bigru", embed_dim=8, units=4)], SHAPE).eval()
    x = _batch([[3, 4, 5], [6, 7]])
    p = torch.stack([m(x).softmax(-1) for m in ens.members]).mean(0)
    torch.testing.assert_close(ens(x).softmax(-1), p)


def test_bad_input_names_the_problem():
    net = build_classifier(ClassifierConfig(name="gru", embed_dim=4, units=3), SHAPE)
    with pytest.raises(ShapeError, match="ids \\(B, T\\) and lengths"):
        net({"ids": torch.tensor([[1, 2]]), "lengths": torch.tensor([2, 1])})
    with pytest.raises(DataError, match="out of range"):
        net(_batch([[1, 99]]))


def test_layers_rebuild_from_their_config():
    from seqlab.layers import AttentionPooling, TokenDropout

    for layer in (AttentionPooling(units=7, name="att"), TokenDropout(0.3, name="drop")):
        again = type(layer)(**layer.get_config())
        assert again.get_config() == layer.get_config()
