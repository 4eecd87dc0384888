"""Recurrent layers: torch.nn equivalence, fused vs reference, masks and lengths, shapes,
config and errors. The cell equations themselves (peephole LSTM against the paper, gradcheck)
are tested in test_cells.py."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from seqlab.errors import ConfigError, ShapeError
from seqlab.layers.recurrent import GRU, LSTM, SimpleRNN

B, T, D, H = 3, 7, 4, 5

# kind -> (seqlab class, its kwargs, torch.nn class, its kwargs)
CELLS = {
    "rnn_tanh": (SimpleRNN, {"activation": "tanh"}, nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (SimpleRNN, {"activation": "relu"}, nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (LSTM, {}, nn.LSTM, {}),
    "gru": (GRU, {}, nn.GRU, {}),
}
STACKS = [(1, False), (1, True), (2, False), (2, True)]  # (num_layers, bidirectional)


def as_tuple(state) -> tuple[torch.Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)


def torch_pair(kind, num_layers=1, bidirectional=False, dtype=torch.float64, seed=0):
    """A torch.nn module with random weights and a seqlab layer loaded from its state dict."""
    cls, kw, tcls, tkw = CELLS[kind]
    torch.manual_seed(seed)
    ref = tcls(D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=True, **tkw)
    layer = cls(H, num_layers=num_layers, bidirectional=bidirectional, return_sequences=True,
                return_state=True, backend="reference", **kw)
    layer.load_state_dict(ref.state_dict())  # before the first call: builds from the shapes
    return ref.to(dtype), layer.to(dtype)


def seqlab_pair(kind, num_layers=1, bidirectional=False, seed=0, **kw):
    """Two seqlab layers with the same random weights: backend fused and reference."""
    cls, ckw, _, _ = CELLS[kind]
    torch.manual_seed(seed)
    common = dict(num_layers=num_layers, bidirectional=bidirectional, return_sequences=True,
                  return_state=True, input_size=D, **ckw, **kw)
    fused, ref = cls(H, backend="fused", **common), cls(H, backend="reference", **common)
    with torch.no_grad():
        for p in fused.parameters():
            p.uniform_(-0.6, 0.6)
    ref.load_state_dict(fused.state_dict())
    return fused, ref


def random_state(kind, n, dtype, seed=1):
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(n, B, H, generator=g, dtype=dtype) for _ in range(2 if kind == "lstm" else 1))


def objective(y, state):
    """A fixed random projection of every output, so each one gets its own gradient."""
    g = torch.Generator().manual_seed(123)
    total = 0.0
    for t in (y, *as_tuple(state)):
        total = total + (t * torch.randn(t.shape, generator=g, dtype=t.dtype)).sum()
    return total


def run_and_grad(module, call, x, h0):
    """Outputs, final state and d objective / d (x, each initial state, each parameter)."""
    x = x.detach().clone().requires_grad_(True)
    h0 = tuple(s.detach().clone().requires_grad_(True) for s in h0)
    y, state = call(module, x, h0)
    params = dict(module.named_parameters())
    names = sorted(params)
    grads = torch.autograd.grad(objective(y, state), [x, *h0, *(params[n] for n in names)])
    keys = ["x", *(f"initial_state[{i}]" for i in range(len(h0))), *names]
    return y, as_tuple(state), dict(zip(keys, grads))


def call_torch(m, x, h0):
    return m(x, h0 if len(h0) > 1 else h0[0])


def call_seqlab(**kw):
    return lambda m, x, h0: m(x, initial_state=h0, **kw)


def assert_same(a, b, atol, rtol):
    ya, sa, ga = a
    yb, sb, gb = b
    torch.testing.assert_close(ya, yb, atol=atol, rtol=rtol, msg=lambda m: f"outputs: {m}")
    assert len(sa) == len(sb)
    for i, (u, v) in enumerate(zip(sa, sb)):
        torch.testing.assert_close(u, v, atol=atol, rtol=rtol, msg=lambda m, i=i: f"state[{i}]: {m}")
    assert ga.keys() == gb.keys()
    for k in ga:
        torch.testing.assert_close(ga[k], gb[k], atol=atol, rtol=rtol, msg=lambda m, k=k: f"grad {k}: {m}")


# -- the reference path equals torch.nn ------------------------------------------------------
@pytest.mark.parametrize("num_layers,bidirectional", STACKS)
@pytest.mark.parametrize("kind", list(CELLS))
def test_reference_equals_torch_nn(kind, num_layers, bidirectional):
    ref, layer = torch_pair(kind, num_layers, bidirectional)
    x = torch.randn(B, T, D, dtype=torch.float64)
    h0 = random_state(kind, num_layers * (2 if bidirectional else 1), torch.float64)
    expected = run_and_grad(ref, call_torch, x, h0)
    got = run_and_grad(layer, call_seqlab(), x, h0)
    # every torch parameter has a gradient to compare, under the same name
    assert set(got[2]) == {"x", *(f"initial_state[{i}]" for i in range(len(h0)))} | set(ref.state_dict())
    assert_same(got, expected, atol=1e-10, rtol=1e-10)


# -- the fused path equals the reference path --------------------------------------------------
@pytest.mark.parametrize("num_layers,bidirectional", STACKS)
@pytest.mark.parametrize("with_lengths", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("kind", list(CELLS))
def test_fused_equals_reference(kind, with_lengths, num_layers, bidirectional):
    fused, ref = seqlab_pair(kind, num_layers, bidirectional)
    x = torch.randn(B, T, D)
    h0 = random_state(kind, num_layers * (2 if bidirectional else 1), torch.float32)
    kw = {"lengths": torch.tensor([3, T, 1])} if with_lengths else {}
    got = run_and_grad(fused, call_seqlab(**kw), x, h0)
    expected = run_and_grad(ref, call_seqlab(**kw), x, h0)
    assert_same(got, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", list(CELLS))
def test_without_bias_both_paths_equal_torch_nn(kind):
    cls, kw, tcls, tkw = CELLS[kind]
    torch.manual_seed(0)
    ref = tcls(D, H, num_layers=2, bidirectional=True, bias=False, batch_first=True, **tkw)
    x = torch.randn(B, T, D)
    h0 = random_state(kind, 4, torch.float32)
    expected = run_and_grad(ref, call_torch, x, h0)
    for backend in ("fused", "reference"):
        layer = cls(H, num_layers=2, bidirectional=True, use_bias=False, return_sequences=True,
                    return_state=True, backend=backend, **kw)
        layer.load_state_dict(ref.state_dict())
        assert not any("bias" in n for n, _ in layer.named_parameters())
        assert_same(run_and_grad(layer, call_seqlab(), x, h0), expected, atol=1e-5, rtol=1e-5)


def test_auto_takes_the_faster_fused_path_for_standard_layers(monkeypatch):
    """torch's kernel for the plain LSTM and for prefix lengths; seqlab's for GRU and SimpleRNN
    on full-length batches (where bench/recurrent.py measures it faster)."""
    import seqlab.layers.rnn as recurrent  # the loop: it calls torch's kernel and seqlab's

    paths = []
    real_torch, real_native = recurrent.fused_rnn, recurrent.Recurrent.native_forward
    monkeypatch.setattr(recurrent, "fused_rnn", lambda *a, **k: paths.append("torch") or real_torch(*a, **k))
    monkeypatch.setattr(recurrent.Recurrent, "native_forward",
                        lambda self, *a: paths.append("native") or real_native(self, *a))
    x = torch.randn(B, T, D)
    for layer in (LSTM(H), GRU(H), SimpleRNN(H, activation="relu")):
        layer(x)  # training: the parameters want gradients
        with torch.no_grad():
            layer(x)
        layer(x, lengths=torch.tensor([T, 2, 5]))
        layer(x, mask=torch.ones(B, T, dtype=torch.bool))  # all true: no mask at all
    assert paths == ["torch", "torch", "torch", "torch",
                     "native", "native", "torch", "native",
                     "native", "native", "torch", "native"]
    paths.clear()
    for layer in (LSTM(H, backend="torch"), GRU(H, backend="torch")):
        layer(x)
    assert paths == ["torch", "torch"]


def test_peephole_runs_on_seqlab_kernel_under_fused_and_auto():
    torch.manual_seed(0)
    reference = LSTM(H, peephole=True, return_sequences=True, backend="reference", input_size=D)
    x = torch.randn(B, T, D)
    for backend in ("fused", "auto"):
        layer = LSTM(H, peephole=True, return_sequences=True, backend=backend, input_size=D)
        layer.load_state_dict(reference.state_dict())
        torch.testing.assert_close(layer(x), reference(x), atol=1e-6, rtol=1e-5)


# -- masks and lengths ------------------------------------------------------------------
def make_layer(kind, backend, num_layers=2, bidirectional=True, seed=0):
    cls, kw, _, _ = CELLS[kind]
    torch.manual_seed(seed)
    layer = cls(H, num_layers=num_layers, bidirectional=bidirectional, return_sequences=True,
                return_state=True, backend=backend, input_size=D, **kw)
    with torch.no_grad():
        for p in layer.parameters():
            p.uniform_(-0.6, 0.6)
    return layer


def alone(layer, x_i, h0, i):
    """Run ``layer`` on one unpadded sequence x_i (t, D) from row i of the initial state."""
    y, state = layer(x_i[None], initial_state=tuple(s[:, i:i + 1] for s in h0))
    return y[0], tuple(s[:, 0] for s in as_tuple(state))


@pytest.mark.parametrize("backend", ["auto", "reference"])
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_lengths_pad_with_zeros_and_end_at_the_last_true_step(kind, backend):
    layer = make_layer(kind, backend)
    x = torch.randn(B, T, D)
    h0 = random_state(kind, 4, torch.float32)
    lengths = torch.tensor([4, T, 1])
    y, state = layer(x, lengths=lengths, initial_state=h0)  # (B, T, 2H)
    for i, n in enumerate(lengths.tolist()):
        assert torch.equal(y[i, n:], torch.zeros_like(y[i, n:]))  # exactly zero past the length
        y_i, s_i = alone(layer, x[i, :n], h0, i)
        torch.testing.assert_close(y[i, :n], y_i, atol=1e-6, rtol=1e-5)
        for s, s_alone in zip(as_tuple(state), s_i):  # both directions and layers
            torch.testing.assert_close(s[:, i], s_alone, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_relu"])
def test_mask_as_lengths_or_bool_mask_agree(kind):
    lengths = torch.tensor([3, T, 2])
    mask = torch.arange(T)[None, :] < lengths[:, None]
    x = torch.randn(B, T, D)
    for backend in ("auto", "reference"):
        layer = make_layer(kind, backend)
        y_l, s_l = layer(x, lengths=lengths)
        y_m, s_m = layer(x, mask=mask)
        y_f, s_f = layer(x, mask=mask.float())  # 0/1 floats are a mask too
        assert torch.equal(y_l, y_m) and torch.equal(y_l, y_f)
        for a, b, c in zip(as_tuple(s_l), as_tuple(s_m), as_tuple(s_f)):
            assert torch.equal(a, b) and torch.equal(a, c)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_mask_with_holes_skips_steps_on_every_path(kind):
    mask = torch.tensor([[1, 0, 1, 1, 0, 1, 1], [0, 0, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0, 1]], dtype=torch.bool)
    x = torch.randn(B, T, D)
    h0 = random_state(kind, 4, torch.float32)
    with pytest.raises(ConfigError, match="backend='torch' cannot run: the mask is not a prefix"):
        make_layer(kind, "torch")(x, mask=mask)
    ref_y, ref_state = make_layer(kind, "reference")(x, mask=mask, initial_state=h0)
    for backend in ("auto", "reference"):  # auto: seqlab's kernel
        layer = make_layer(kind, backend)
        y, state = layer(x, mask=mask, initial_state=h0)
        torch.testing.assert_close(y, ref_y, atol=1e-6, rtol=1e-5)
        for i in range(B):
            # a masked step keeps the state: the same as running the steps that are left
            assert torch.equal(y[i, ~mask[i]], torch.zeros_like(y[i, ~mask[i]]))
            y_i, s_i = alone(layer, x[i, mask[i]], h0, i)
            torch.testing.assert_close(y[i, mask[i]], y_i, atol=1e-6, rtol=1e-5)
            for s, s_alone in zip(as_tuple(state), s_i):
                torch.testing.assert_close(s[:, i], s_alone, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_zero_length_sequence_keeps_the_initial_state(kind):
    layer = make_layer(kind, "auto")
    x = torch.randn(B, T, D)
    h0 = random_state(kind, 4, torch.float32)
    y, state = layer(x, lengths=torch.tensor([4, 0, T]), initial_state=h0)
    assert torch.equal(y[1], torch.zeros(T, 2 * H))
    for s, s0 in zip(as_tuple(state), h0):
        assert torch.equal(s[:, 1], s0[:, 1])
    y_all_empty, state = layer(x, lengths=torch.zeros(B, dtype=torch.long), initial_state=h0)
    assert torch.equal(y_all_empty, torch.zeros(B, T, 2 * H))
    for s, s0 in zip(as_tuple(state), h0):
        assert torch.equal(s, s0)


# -- shapes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("num_layers,bidirectional", STACKS)
@pytest.mark.parametrize("return_state", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_output_shapes(kind, return_sequences, return_state, num_layers, bidirectional):
    cls, kw, _, _ = CELLS[kind]
    layer = cls(H, num_layers=num_layers, bidirectional=bidirectional,
                return_sequences=return_sequences, return_state=return_state, **kw)
    out = layer(torch.randn(B, T, D))
    dirs = 2 if bidirectional else 1
    y = out[0] if return_state else out
    assert y.shape == ((B, T, dirs * H) if return_sequences else (B, dirs * H))
    if return_state:
        state = as_tuple(out[1])
        assert len(state) == (2 if kind == "lstm" else 1)
        assert all(s.shape == (num_layers * dirs, B, H) for s in state)
        if not return_sequences:  # the last output is the top layer's final h, forward then backward
            assert torch.equal(y, torch.cat(list(state[0][-dirs:]), dim=-1))


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_initial_state_as_2d_for_a_single_layer(kind):
    layer = make_layer(kind, "auto", num_layers=1, bidirectional=False)
    x = torch.randn(B, T, D)
    h0 = random_state(kind, 1, torch.float32)
    y3, s3 = layer(x, initial_state=h0 if len(h0) > 1 else h0[0])
    y2, s2 = layer(x, initial_state=tuple(s[0] for s in h0) if len(h0) > 1 else h0[0][0])
    assert torch.equal(y3, y2)
    y0, _ = layer(x)
    assert not torch.allclose(y0, y3)  # the initial state is used
    stacked = make_layer(kind, "auto", num_layers=2, bidirectional=False)
    with pytest.raises(ShapeError, match=r"initial state must have shape \(2, 3, 5\)"):
        stacked(x, initial_state=tuple(s[0] for s in h0))


def test_forget_bias_lands_in_the_f_rows_of_bias_ih():
    layer = LSTM(H, num_layers=2, bidirectional=True, forget_bias=2.5, input_size=D)
    names = [n for n, _ in layer.named_parameters() if n.startswith("bias")]
    assert len(names) == 8
    for k in range(2):
        for sfx in ("", "_reverse"):
            b_ih, b_hh = getattr(layer, f"bias_ih_l{k}{sfx}"), getattr(layer, f"bias_hh_l{k}{sfx}")
            assert torch.equal(b_ih[H:2 * H], torch.full((H,), 2.5))  # rows i, f, g, o: f is second
            assert torch.equal(b_ih[:H], torch.zeros(H)) and torch.equal(b_ih[2 * H:], torch.zeros(2 * H))
            torch.testing.assert_close((b_ih + b_hh)[H:2 * H], torch.full((H,), 2.5))
    assert torch.equal(LSTM(H, forget_bias=0.0, input_size=D).bias_ih_l0, torch.zeros(4 * H))


@pytest.mark.parametrize("num_layers,bidirectional", STACKS)
def test_state_dict_loads_before_the_first_call(num_layers, bidirectional):
    torch.manual_seed(0)
    ref = nn.GRU(D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=True)
    layer = GRU(H, num_layers=num_layers, bidirectional=bidirectional, return_sequences=True, return_state=True)
    assert not layer.built
    layer.load_state_dict(ref.state_dict())  # strict: every name and shape matches
    assert layer.built and layer.input_size == D
    x = torch.randn(B, T, D)
    (y, h), (y_ref, h_ref) = layer(x), ref(x)
    torch.testing.assert_close(y, y_ref)
    torch.testing.assert_close(h, h_ref)
    # and the other way: a seqlab state dict loads into torch.nn
    ref2 = nn.GRU(D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=True)
    ref2.load_state_dict(layer.state_dict())
    torch.testing.assert_close(ref2(x)[0], y)


@pytest.mark.parametrize(
    "layer",
    [SimpleRNN(6, activation="relu", num_layers=2, dropout=0.25, return_state=True, name="rnn"),
     LSTM(7, bidirectional=True, peephole=True, forget_bias=0.5, use_bias=True, backend="reference"),
     GRU(3, return_sequences=True, use_bias=False, backend="fused", input_size=4)],
    ids=["SimpleRNN", "LSTM", "GRU"],
)
def test_get_config_round_trips_through_json(layer):
    config = json.loads(json.dumps(layer.get_config()))
    assert type(layer)(**config).get_config() == layer.get_config()
    layer(torch.randn(2, 5, 4))  # after building, input_size is part of the config
    config = json.loads(json.dumps(layer.get_config()))
    assert config["input_size"] == 4
    clone = type(layer)(**config)
    clone.load_state_dict(layer.state_dict())
    layer.eval(), clone.eval()
    x = torch.randn(2, 5, 4)
    a, b = layer(x), clone(x)
    for u, v in zip(torch.utils._pytree.tree_leaves(a), torch.utils._pytree.tree_leaves(b)):
        assert torch.equal(u, v)


@pytest.mark.parametrize("backend", ["auto", "reference"])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_dropout_between_layers_only_in_training(kind, backend):
    cls = CELLS[kind][0]
    torch.manual_seed(0)
    layer = cls(H, num_layers=2, dropout=0.5, return_sequences=True, backend=backend, input_size=D)
    plain = cls(H, num_layers=2, return_sequences=True, backend=backend, input_size=D)
    plain.load_state_dict(layer.state_dict())
    x = torch.randn(B, T, D)
    layer.eval()
    assert torch.equal(layer(x), plain(x))
    layer.train()
    a, b = layer(x), layer(x)
    assert not torch.allclose(a, plain(x)) and not torch.allclose(a, b)
    single = cls(H, dropout=0.5, return_sequences=True, backend=backend, input_size=D).train()
    assert torch.equal(single(x), single.eval()(x))  # one layer: nothing between layers


# -- errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make,match",
    [(lambda: LSTM(0), "`units` must be a positive integer, got 0"),
     (lambda: GRU(-3), "`units`"),
     (lambda: SimpleRNN(2.5), "`units`"),
     (lambda: LSTM(4, backend="x"), r"`backend` must be one of .*got 'x'"),
     (lambda: GRU(4, num_layers=0), "`num_layers`"),
     (lambda: LSTM(4, dropout=1.0), "`dropout`"),
     (lambda: SimpleRNN(4, activation="sigmoid"), "`activation`")],
)
def test_bad_arguments_raise_config_error(make, match):
    with pytest.raises(ConfigError, match=match) as err:
        make()
    assert any(n in str(err.value) for n in ("LSTM", "GRU", "SimpleRNN"))


def test_bad_inputs_raise_shape_error_naming_the_layer():
    layer = LSTM(H, name="encoder")
    with pytest.raises(ShapeError, match=r"layer 'encoder' \(LSTM\).*\(B, T, D\)"):
        layer(torch.randn(B, D))  # rank 2 at the first call
    layer(torch.randn(B, T, D))
    with pytest.raises(ShapeError, match=r"layer 'encoder' \(LSTM\) expected input of shape \(B, \?, 4\), got \(.*7, 6\)"):
        layer(torch.randn(B, T, 6))  # another feature size on the second call
    with pytest.raises(ShapeError, match=r"encoder.*float"):
        layer(torch.ones(B, T, D, dtype=torch.long))  # token ids, not features
    with pytest.raises(ShapeError, match="encoder"):
        layer(torch.randn(B, T, D, 1))
    with pytest.raises(ShapeError, match=r"encoder.*`lengths` must have shape \(3,\), got \(3, 1\)"):
        layer(torch.randn(B, T, D), lengths=torch.ones(B, 1, dtype=torch.long))
    with pytest.raises(ShapeError, match=r"encoder.*`lengths` must lie in \[0, 7\]"):
        layer(torch.randn(B, T, D), lengths=torch.tensor([1, 8, 2]))
    with pytest.raises(ShapeError, match=r"encoder.*mask must have shape \(3, 7\)"):
        layer(torch.randn(B, T, D), mask=torch.ones(B, T - 1, dtype=torch.bool))
    with pytest.raises(ShapeError, match=r"encoder.*initial_state must hold 2"):
        layer(torch.randn(B, T, D), initial_state=torch.zeros(1, B, H))
    with pytest.raises(ShapeError, match="encoder"):
        LSTM(H, input_size=D, name="encoder")(torch.randn(B, T, D + 1))
