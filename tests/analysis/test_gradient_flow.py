"""Gradient flow: dL/dh_t read correctly, the vanishing flag, spectral radii, norm histories."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml

from seqlab.analysis.gradient_flow import spectral_radii, step_gradient_norms
from seqlab.analysis.gradients import analyze_gradients
from seqlab.data.synthetic import make_splits
from seqlab.errors import ConfigError
from seqlab.layers import GRU, LSTM, Conv1D, Dense, Flatten, SimpleRNN
from seqlab.models import Sequential


def _adding(length: int, n: int = 64, seed: int = 1):
    d = make_splits("adding", length, n_train=n, n_val=n, n_test=2, seed=seed)
    return torch.as_tensor(d["val"][0]), torch.as_tensor(d["val"][1])


def test_step_norms_equal_an_unrolled_torch_rnn_cell():
    torch.manual_seed(0)
    net = Sequential([SimpleRNN(16), Dense(1)], input_shape=(30, 2))
    x, y = _adding(30, n=8)
    ours = np.asarray(step_gradient_norms(net, x, y, "mse")["norms"])
    cell = torch.nn.RNNCell(2, 16)  # independent: torch's cell, h_t kept with retain_grad
    rnn = net.layers[0]
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(rnn, name + "_l0"))
    h, hs = torch.zeros(8, 16), []
    for t in range(30):
        h = cell(x[:, t], h)
        h.retain_grad()
        hs.append(h)
    torch.nn.functional.mse_loss(net.layers[1](h), y).backward()
    expected = np.asarray([float(s.grad.norm(dim=1).mean()) for s in hs])
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-12)
    assert ours[0] < ours[-1]  # farther from the loss, smaller


def test_the_probe_leaves_the_forward_pass_as_it_was():
    torch.manual_seed(0)
    net = Sequential([GRU(8), Dense(1)], input_shape=(12, 2))
    x, y = _adding(12, n=4)
    before = net(x).detach()
    step_gradient_norms(net, x, y, "mse")
    assert torch.allclose(net(x), before, atol=1e-6)
    assert net.layers[0].probe is None


def test_vanishing_fires_for_a_tanh_rnn_at_T200_and_not_for_a_trained_lstm():
    x, y = _adding(200)
    torch.manual_seed(0)
    rnn = Sequential([SimpleRNN(64), Dense(1)], input_shape=(200, 2))
    flow = step_gradient_norms(rnn, x, y, "mse")
    assert flow["vanishing"] and flow["first"] < 1e-3 * flow["last"] and not flow["exploding"]

    # an LSTM that has learnt the adding problem keeps the marked values in its cell, and with
    # them the gradient path back to the first step (trained at T=50, where it learns in seconds)
    train = make_splits("adding", 50, n_train=4000, n_val=500, n_test=2, seed=0)
    torch.manual_seed(0)
    lstm = Sequential([LSTM(32), Dense(1)], input_shape=(50, 2))
    lstm.compile(loss="mse", optimizer={"name": "adam", "lr": 0.01})
    lstm.fit(*train["train"], validation_data=train["val"], epochs=8, batch_size=50, gradient_clip_val=1.0)
    assert lstm.evaluate(*train["val"])["loss"] < 0.02  # solved: the baseline is 1/6
    trained = step_gradient_norms(lstm, x, y, "mse")  # measured at T=200
    assert not trained["vanishing"] and not trained["exploding"]


def test_exploding_fires_for_a_relu_rnn_with_a_large_recurrent_weight():
    torch.manual_seed(0)
    net = Sequential([SimpleRNN(16, activation="relu"), Dense(1)], input_shape=(60, 2))
    with torch.no_grad():
        net.layers[0].weight_hh_l0.copy_(1.5 * torch.eye(16))
    x, y = _adding(60, n=8)
    assert step_gradient_norms(net, x, y, "mse")["exploding"]


def test_spectral_radii_per_gate_match_numpy():
    torch.manual_seed(0)
    net = Sequential([LSTM(6), Dense(1)], input_shape=(5, 3))
    (radii,) = spectral_radii(net)
    w = net.layers[0].weight_hh_l0.detach().numpy()
    for k, gate in enumerate("ifgo"):
        assert radii["gates"][gate] == pytest.approx(np.abs(np.linalg.eigvals(w[6 * k:6 * (k + 1)])).max(), rel=1e-6)


def test_a_model_without_a_sequence_layer_is_an_error():
    net = Sequential([Flatten(), Dense(1)], input_shape=(5, 2))
    with pytest.raises(ConfigError, match="needs a recurrent, TCN, Transformer or Conv1D layer"):
        step_gradient_norms(net, torch.randn(2, 5, 2), torch.randn(2, 1), "mse")


def test_analyze_gradients_traces_histories_with_and_without_clipping(tmp_path):
    config = {"data": {"kind": "synthetic", "task": "adding", "length": 25, "n_train": 96, "n_val": 32, "n_test": 32},
              "models": ["rnn", "cnn"], "units": 8, "seeds": [0],
              "train": {"epochs": 2, "batch_size": 32, "gradient_clip_val": 0.01}}
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump(config))
    result = analyze_gradients(path, batch=16)
    assert [m["model"] for m in result["models"]] == ["rnn", "cnn"]
    for m in result["models"]:
        h = m["grad_norm_history"]
        assert len(h["clipped"]) == len(h["unclipped"]) == 2 * 3  # 96 / 32 steps per epoch, 2 epochs
        assert h["clipped"][0] == pytest.approx(h["unclipped"][0])  # same seed, same first batch
        assert h["clipped"][1:] != h["unclipped"][1:]  # clipping at 0.01 changed the path taken
        assert len(m["at_init"]["norms"]) == 25 and len(m["during_training"]) == 2
    assert result["models"][0]["spectral_radius"]["at_init"][0]["gates"]["h"] == pytest.approx(1.0, abs=1e-5)  # orthogonal init
    assert result["models"][1]["layer"].endswith("(Conv1D)")


def test_a_tcn_passes_gradient_exactly_within_its_receptive_field():
    from seqlab.layers import TCN

    torch.manual_seed(0)
    net = Sequential([TCN(8, kernel_size=3, num_blocks=2, return_sequences=False), Dense(1)], input_shape=(40, 2))
    x, y = _adding(40, n=16)
    flow = step_gradient_norms(net, x, y, "mse")
    norms = dict(zip(flow["distance"], flow["norms"]))
    field = net.layers[0].receptive_field  # 1 + 2 (k-1)(2^n - 1) = 13
    assert field == 13
    assert all(norms[d] > 0 for d in range(field)) and all(norms[d] == 0 for d in range(field, 40))


def test_padded_text_is_lined_up_at_each_sequences_last_token():
    from seqlab.layers import Embedding

    torch.manual_seed(0)
    net = Sequential([Embedding(30, 8, padding_idx=0), GRU(8), Dense(1)], input_shape=(12,))
    lengths = [12, 9, 5, 3]
    x = torch.zeros(4, 12, dtype=torch.long)
    for b, n in enumerate(lengths):
        x[b, :n] = torch.randint(1, 30, (n,))
    y = torch.randn(4, 1)
    batch = step_gradient_norms(net, x, y, "mse")
    assert batch["distance"][-1] == 0 and not batch["exploding"]
    alone = [step_gradient_norms(net, x[b:b + 1, :n], y[b:b + 1], "mse")["norms"] for b, n in enumerate(lengths)]
    for d in (0, 2, 4, 8, 11):  # the batch mean over the sequences that reach back d steps; the loss
        have = [a[-1 - d] for a in alone if len(a) > d]  # averages over 4, so each gradient is 1/4
        assert batch["norms"][-1 - d] == pytest.approx(np.mean(have) / 4, rel=1e-4)
