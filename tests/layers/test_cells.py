"""The cell equations on the reference path: the peephole LSTM against a loop written here
from Gers & Schmidhuber (2000), and torch.autograd.gradcheck of every cell."""

from __future__ import annotations

import pytest
import torch
from torch.func import functional_call

from seqlab.layers.recurrent import GRU, LSTM, SimpleRNN

B, T, D, H = 3, 6, 4, 5


def gers_schmidhuber_lstm(x, h, c, W_ih, W_hh, b_ih, b_hh, P, output_peeks_new_c=True):
    """Peephole LSTM, one gate per line, from the paper (independent of seqlab's cells).

    i and f look at c_{t-1}, o at c_t (``output_peeks_new_c=False`` gives o c_{t-1} instead:
    the wrong wiring, used to show that the comparison can tell them apart); g has no peephole.
    x (B, T, D); h, c (B, H); W_ih (4H, D), W_hh (4H, H) stacked i, f, g, o; P (3, H) rows i, f, o.
    """
    W_ii, W_if, W_ig, W_io = W_ih.split(H)
    W_hi, W_hf, W_hg, W_ho = W_hh.split(H)
    b_i, b_f, b_g, b_o = (b_ih + b_hh).split(H)
    p_i, p_f, p_o = P
    hs = []
    for t in range(x.shape[1]):
        x_t = x[:, t]
        c_prev = c
        i = torch.sigmoid(x_t @ W_ii.T + h @ W_hi.T + b_i + p_i * c_prev)
        f = torch.sigmoid(x_t @ W_if.T + h @ W_hf.T + b_f + p_f * c_prev)
        g = torch.tanh(x_t @ W_ig.T + h @ W_hg.T + b_g)
        c = f * c_prev + i * g
        o = torch.sigmoid(x_t @ W_io.T + h @ W_ho.T + b_o + p_o * (c if output_peeks_new_c else c_prev))
        h = o * torch.tanh(c)
        hs.append(h)
    return torch.stack(hs, dim=1), h, c


def peephole_layer(bidirectional):
    torch.manual_seed(0)
    layer = LSTM(H, bidirectional=bidirectional, peephole=True, return_sequences=True,
                 return_state=True, input_size=D).double()
    with torch.no_grad():
        for name, p in layer.named_parameters():
            p.uniform_(-0.8, 0.8)
            if name.startswith("weight_peephole"):
                p.copy_(torch.empty_like(p).uniform_(0.3, 1.5) * torch.sign(torch.randn_like(p)))  # nonzero
    return layer


@pytest.mark.parametrize("bidirectional", [False, True])
def test_peephole_lstm_equals_the_paper(bidirectional):
    layer = peephole_layer(bidirectional)
    x = torch.randn(B, T, D, dtype=torch.float64, requires_grad=True)
    n = 2 if bidirectional else 1
    h0 = torch.randn(n, B, H, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(n, B, H, dtype=torch.float64, requires_grad=True)
    y, (h_n, c_n) = layer(x, initial_state=(h0, c0))

    ys, hs, cs = [], [], []
    for d, sfx in enumerate(["_l0", "_l0_reverse"][:n]):
        w = [getattr(layer, name + sfx) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_peephole")]
        xs = x if d == 0 else x.flip(1)
        y_d, h_d, c_d = gers_schmidhuber_lstm(xs, h0[d], c0[d], *w)
        ys.append(y_d if d == 0 else y_d.flip(1))
        hs.append(h_d), cs.append(c_d)
    expected = (torch.cat(ys, dim=-1), torch.stack(hs), torch.stack(cs))
    for got, want in zip((y, h_n, c_n), expected):
        torch.testing.assert_close(got, want, atol=1e-12, rtol=1e-12)

    # gradients w.r.t. input, initial state and every parameter (peepholes included)
    g = torch.Generator().manual_seed(1)
    proj = [torch.randn(t.shape, generator=g, dtype=t.dtype) for t in expected]
    inputs = [x, h0, c0, *layer.parameters()]
    got_grads = torch.autograd.grad(sum((t * p).sum() for t, p in zip((y, h_n, c_n), proj)), inputs)
    want_grads = torch.autograd.grad(sum((t * p).sum() for t, p in zip(expected, proj)), inputs)
    for a, b in zip(got_grads, want_grads):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-12)

    # the comparison is sharp enough to see a peephole on the wrong c
    w = [getattr(layer, name + "_l0") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_peephole")]
    wrong, _, _ = gers_schmidhuber_lstm(x, h0[0], c0[0], *w, output_peeks_new_c=False)
    assert not torch.allclose(y[..., :H], wrong, atol=1e-6)


def test_zero_peepholes_give_the_plain_lstm():
    layer = peephole_layer(bidirectional=True)
    plain = LSTM(H, bidirectional=True, return_sequences=True, return_state=True, input_size=D).double()
    plain.load_state_dict(layer.state_dict(), strict=False)
    with torch.no_grad():
        layer.weight_peephole_l0.zero_(), layer.weight_peephole_l0_reverse.zero_()
    x = torch.randn(B, T, D, dtype=torch.float64)
    y, (h, c) = layer(x)
    y_plain, (h_plain, c_plain) = plain(x)
    torch.testing.assert_close(y, y_plain, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(c, c_plain, atol=1e-12, rtol=1e-12)


# -- gradcheck on tiny sizes -------------------------------------------------------------------
CELLS = {
    "rnn_tanh": lambda **kw: SimpleRNN(2, activation="tanh", **kw),
    "rnn_relu": lambda **kw: SimpleRNN(2, activation="relu", **kw),
    "lstm": lambda **kw: LSTM(2, **kw),
    "lstm_peephole": lambda **kw: LSTM(2, peephole=True, **kw),
    "gru": lambda **kw: GRU(2, **kw),
}


@pytest.mark.parametrize("masked", [False, True], ids=["full", "masked"])
@pytest.mark.parametrize("kind", list(CELLS))
def test_gradcheck(kind, masked):
    torch.manual_seed(0)
    layer = CELLS[kind](num_layers=2, bidirectional=True, return_sequences=True, return_state=True,
                        backend="reference", input_size=3).double()
    names = [n for n, _ in layer.named_parameters()]
    params = [p.detach().clone().uniform_(-1, 1).requires_grad_(True) for p in layer.parameters()]
    x = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    num_states = 2 if kind.startswith("lstm") else 1
    h0 = [torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True) for _ in range(num_states)]
    mask = torch.tensor([[True, False, True, True], [False, True, True, False]]) if masked else None

    def f(x, *rest):
        state, weights = tuple(rest[:num_states]), dict(zip(names, rest[num_states:]))
        y, s = functional_call(layer, weights, (x,), {"mask": mask, "initial_state": state})
        return (y, *(s if isinstance(s, tuple) else (s,)))

    assert torch.autograd.gradcheck(f, (x, *h0, *params), eps=1e-6, atol=1e-7)
