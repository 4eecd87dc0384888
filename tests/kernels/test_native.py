"""seqlab's C++ kernels (backend="native") against the reference path: outputs, final states and
every gradient to 1e-5 in float32 and float64, for every cell variant, stacked and
bidirectional, with lengths, masks with holes and empty sequences; gradcheck in float64;
saved memory linear in T; and the backend switch's choices and errors."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

from seqlab.errors import ConfigError
from seqlab.kernels import native
from seqlab.layers.recurrent import GRU, LSTM, SimpleRNN

B, T, D, H = 4, 9, 3, 16

VARIANTS = {
    "lstm": (LSTM, {}),
    "lstm_peephole": (LSTM, {"peephole": True}),
    "lstm_layer_norm": (LSTM, {"layer_norm": True}),
    "lstm_peephole_layer_norm": (LSTM, {"peephole": True, "layer_norm": True}),
    "gru": (GRU, {}),
    "gru_layer_norm": (GRU, {"layer_norm": True}),
    "rnn_tanh": (SimpleRNN, {"activation": "tanh"}),
    "rnn_relu": (SimpleRNN, {"activation": "relu"}),
}
STACKS = [(1, False), (2, True)]  # (num_layers, bidirectional)


def pair(variant, num_layers=1, bidirectional=False, dtype=torch.float64, seed=0, **kw):
    """Two layers with the same random weights: native and reference."""
    cls, ckw = VARIANTS[variant]
    torch.manual_seed(seed)
    common = dict(num_layers=num_layers, bidirectional=bidirectional, return_sequences=True,
                  return_state=True, input_size=D, **ckw, **kw)
    fast, ref = cls(H, backend="native", **common), cls(H, backend="reference", **common)
    with torch.no_grad():  # random weights at the scale of a trained layer; LN gains near 1
        for name, p in fast.named_parameters():
            p.uniform_(-0.3, 0.3).add_(1.0 if name.startswith("weight_ln") else 0.0)
    ref.load_state_dict(fast.state_dict())
    return fast.to(dtype), ref.to(dtype)


def inputs(variant, n, dtype, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, D, generator=g, dtype=dtype)
    states = 2 if variant.startswith("lstm") else 1
    h0 = tuple(torch.randn(n, B, H, generator=g, dtype=dtype) for _ in range(states))
    return x, h0


def run(layer, x, h0, **kw):
    """Outputs, final states and the gradients of a loss that touches all of them."""
    x = x.clone().requires_grad_(True)
    h0 = tuple(s.clone().requires_grad_(True) for s in h0)
    layer.zero_grad()
    y, state = layer(x, initial_state=h0, **kw)
    state = state if isinstance(state, tuple) else (state,)
    g = torch.Generator().manual_seed(7)
    weight = lambda t: torch.randn(t.shape, generator=g, dtype=torch.float64).to(t.dtype)  # noqa: E731
    loss = (y * weight(y)).sum() + sum((s * weight(s)).sum() for s in state)
    loss.backward()
    grads = {name: p.grad.clone() for name, p in layer.named_parameters()}
    return {"y": y.detach(), **{f"state{i}": s.detach() for i, s in enumerate(state)},
            "dx": x.grad, **{f"dh0_{i}": s.grad for i, s in enumerate(h0)}, **grads}


def assert_close(got, expected, tol):
    """Every tensor within ``tol`` of the other, relative to its largest entry where that is above
    1 (float32 gradients of a layer norm reach ~100, where 1e-5 absolute is below float32's
    resolution)."""
    assert got.keys() == expected.keys()
    for key in expected:
        scale = max(1.0, expected[key].abs().max().item())
        diff = (got[key] - expected[key]).abs().max().item()
        assert diff <= tol * scale, f"{key}: differs by {diff:.3g} (scale {scale:.3g})"


MASKS = {
    "none": lambda: {},
    "lengths": lambda: {"lengths": torch.tensor([T, 3, 1, 6])},
    "empty": lambda: {"lengths": torch.tensor([T, 0, 4, 2])},
    "holes": lambda: {"mask": torch.tensor([[1, 0, 1, 1, 0, 0, 1, 1, 1]] * 2 + [[0] * 4 + [1] * 5]
                                           + [[1] * T], dtype=torch.bool)},
}


@pytest.mark.parametrize("num_layers,bidirectional", STACKS)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_native_equals_reference(variant, num_layers, bidirectional):
    """float64: native and reference agree to 1e-10. float32: native is within 1e-5 of the
    reference in float64 (comparing two float32 paths would measure float32's own rounding).
    The weights are at a trained layer's scale and H=16: with a handful of units the variance
    a layer norm divides by can be tiny, and both paths then miss float64 by 1e-4 in float32."""
    fast, ref = pair(variant, num_layers, bidirectional, torch.float64)
    fast32, _ = pair(variant, num_layers, bidirectional, torch.float32)
    x, h0 = inputs(variant, num_layers * (2 if bidirectional else 1), torch.float64)
    x32, h32 = x.float(), tuple(s.float() for s in h0)
    for masking in MASKS.values():
        expected = run(ref, x, h0, **masking())
        assert_close(run(fast, x, h0, **masking()), expected, 1e-10)
        got32 = {k: v.double() for k, v in run(fast32, x32, h32, **masking()).items()}
        assert_close(got32, expected, 1e-5)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_gradcheck_float64(variant):
    cls, kw = VARIANTS[variant]
    torch.manual_seed(0)
    layer = cls(3, return_sequences=True, backend="native", input_size=2, **kw).double()
    params = list(layer.parameters())
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[1, 0, 1, 1], [1, 1, 1, 0]], dtype=torch.bool)

    def f(x, *weights):
        state = {name: w for (name, _), w in zip(layer.named_parameters(), weights)}
        return torch.func.functional_call(layer, state, (x,), {"mask": mask})

    assert torch.autograd.gradcheck(f, (x, *params), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("variant", ["lstm", "gru", "rnn_tanh"])
def test_native_equals_torch_nn(variant):
    """The standard cells through seqlab's kernel give torch.nn's numbers (weights shared)."""
    cls, kw = VARIANTS[variant]
    tcls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn_tanh": nn.RNN}[variant]
    torch.manual_seed(0)
    module = tcls(D, H, num_layers=2, bidirectional=True, batch_first=True).double()
    layer = cls(H, num_layers=2, bidirectional=True, return_sequences=True, backend="native", **kw)
    layer.load_state_dict(module.state_dict())
    layer.double()
    x = torch.randn(B, T, D, dtype=torch.float64)
    torch.testing.assert_close(layer(x), module(x)[0], atol=1e-10, rtol=1e-10)


def saved_bytes(layer, steps: int) -> int:
    """Bytes autograd keeps for backward after a forward pass over ``steps`` steps."""
    total = 0

    def pack(t):
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    x = torch.randn(B, steps, D, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        layer(x)
    return total


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_memory_kept_for_backward_is_linear_in_T(variant):
    cls, kw = VARIANTS[variant]
    layer = cls(H, return_sequences=True, backend="native", input_size=D, **kw)
    m1, m2, m4 = (saved_bytes(layer, n) for n in (100, 200, 400))
    assert m4 - m2 == pytest.approx(2 * (m2 - m1), rel=0.01)  # a constant cost per step
    per_step = (m2 - m1) / 100
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[variant.split("_")[0]]
    # at most: input, its projection, the states and the gate activations of one step, plus
    # the layer-norm statistics; never a (B, T, .) tensor per step
    assert per_step <= 4 * B * (D + 2 * gates * H + 3 * H + 2 * gates * H + 2)


def test_auto_prefers_torch_then_native_and_fused_raises_where_neither_runs(monkeypatch, caplog):
    import seqlab.layers.rnn as recurrent  # the loop: it calls torch's kernel and seqlab's

    paths = []
    for name in ("fused_rnn",):
        real = getattr(recurrent, name)
        monkeypatch.setattr(recurrent, name, lambda *a, _r=real, **k: paths.append("torch") or _r(*a, **k))
    real_native = recurrent.Recurrent.native_forward
    monkeypatch.setattr(recurrent.Recurrent, "native_forward",
                        lambda self, *a: paths.append("native") or real_native(self, *a))
    x = torch.randn(B, T, D)
    with torch.no_grad():
        LSTM(H)(x)  # LSTM inference: torch's kernel is the faster
    LSTM(H, peephole=True)(x)
    GRU(H, layer_norm=True)(x)
    SimpleRNN(H)(x, mask=torch.tensor([[True, False] * 4 + [True]] * B))
    LSTM(H)(x, lengths=torch.tensor([T, 0, 1, 2]))
    assert paths == ["torch", "native", "native", "native", "native"]

    with pytest.raises(ConfigError, match=r"LSTM: backend='torch' cannot run: torch has no kernel for a peephole LSTM"):
        LSTM(H, peephole=True, backend="torch")(x)
    with pytest.raises(ConfigError, match=r"backend='native' cannot run: .*take float32 or float64"):
        LSTM(H, backend="native")(x.half())
    monkeypatch.setenv("SEQLAB_NO_NATIVE", "1")
    with pytest.raises(ConfigError, match=r"GRU: backend='fused' cannot run: torch has no kernel "
                                          r"for a layer-normalised GRU, and SEQLAB_NO_NATIVE is set"):
        GRU(H, layer_norm=True, backend="fused")(x)
    with caplog.at_level(logging.INFO, logger="seqlab.layers.rnn"):
        auto = LSTM(H, layer_norm=True, return_sequences=True, input_size=D)
        auto(x), auto(x)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "reference path" in messages[0] and "layer-normalised" in messages[0]


def test_the_extension_builds_here():
    """CI has a compiler: the fast path must be there, not silently replaced."""
    assert native.available(), native._error


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_nan_comes_out_as_nan(variant):
    """The kernels are built with -ffast-math; a NaN must still propagate, or a diverged run
    would go on with finite junk instead of stopping (the engine's NaN guard)."""
    fast, ref = pair(variant, dtype=torch.float32)
    x, h0 = inputs(variant, 1, torch.float32)
    x[1, 3, 0] = float("nan")
    y_fast, _ = fast(x, initial_state=h0)
    y_ref, _ = ref(x, initial_state=h0)
    assert torch.equal(torch.isnan(y_fast), torch.isnan(y_ref))
    assert torch.isnan(y_fast[1, 3:]).all() and not torch.isnan(y_fast[0]).any()
    with torch.no_grad():
        fast.weight_hh_l0[0, 0] = float("nan")
    y, _ = fast(torch.randn(B, T, D), initial_state=h0)
    assert torch.isnan(y).any()


def test_kernel_entry_points_check_their_inputs():
    ext = native.load()
    gx, w = torch.randn(T, B, 4 * H), torch.randn(4 * H, H)
    h0 = torch.zeros(B, H)
    with pytest.raises(RuntimeError, match=r"initial states must be contiguous \(B, H\)"):
        ext.lstm_forward(gx, w, None, None, None, None, None, h0[:2], h0, None, 1e-5)
    with pytest.raises(RuntimeError, match=r"mask must be a contiguous \(T, B\) bool tensor"):
        ext.lstm_forward(gx, w, None, None, None, None, None, h0, h0, torch.ones(B, T, dtype=torch.bool), 1e-5)
    with pytest.raises(RuntimeError, match="wrong size or dtype"):
        ext.lstm_forward(gx, w, torch.zeros(2, H), None, None, None, None, h0, h0, None, 1e-5)
    with pytest.raises(RuntimeError, match="at least one step"):
        ext.rnn_forward(torch.randn(0, B, H), torch.randn(H, H), h0, None, False)
