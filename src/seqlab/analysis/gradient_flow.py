r"""Gradient flow through time: how much of the loss's gradient reaches each step.

For a network whose first sequence layer emits :math:`h_1, \dots, h_T` (a recurrent layer's
hidden states; a convolution's, TCN's or Transformer's per-step features), the loss :math:`L`
computed from the last step gives

.. math::

    g_t = \frac{1}{B} \sum_b \left\lVert \frac{\partial L}{\partial h_t^{(b)}} \right\rVert_2,
    \qquad \text{distance from the loss} = T - t

and, for a plain RNN, :math:`\partial L / \partial h_t = \partial L / \partial h_T
\prod_{s=t+1}^{T} \mathrm{diag}(1 - h_s^2) W_{hh}`: the product shrinks geometrically when the
spectral radius :math:`\rho(W_{hh})` (largest :math:`|\lambda|`) times the tanh slopes stays below
one (Bengio et al. 1994; Pascanu et al. 2013). Gradients **vanish** when :math:`g_1 < 10^{-3} g_T`
and **explode** when :math:`g_1 > 10^{3} g_T` or a norm is not finite.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

from seqlab.layers.attention import TransformerEncoder
from seqlab.layers.conv import Conv1D
from seqlab.layers.recurrent import GRU, LSTM, Recurrent
from seqlab.layers.tcn import TCN, TemporalBlock
from seqlab.training.losses import get_loss

VANISH, EXPLODE = 1e-3, 1e3
GATES = {LSTM: ("i", "f", "g", "o"), GRU: ("r", "z", "n")}
SEQUENCE_LAYERS = (Recurrent, TCN, TemporalBlock, TransformerEncoder, Conv1D)


def sequence_layer(net: nn.Module) -> nn.Module:
    """The first layer that emits one vector per step: recurrent, TCN, Transformer or Conv1D."""
    for layer in getattr(net, "layers", net.modules()):
        if isinstance(layer, SEQUENCE_LAYERS):
            return layer
    from seqlab.errors import ConfigError

    raise ConfigError("gradient flow needs a recurrent, TCN, Transformer or Conv1D layer; "
                      f"the model has {', '.join(type(m).__name__ for m in getattr(net, 'layers', []))}")


@contextlib.contextmanager
def capture_steps(layer: nn.Module, T: int) -> Iterator[dict]:
    """Make ``seen["grad"]()`` give dL/dh_t, (B, T, C), after a forward and backward pass.

    A recurrent layer runs its reference path with a zero probe added to h_t at every step of
    its first layer's forward direction: h_t feeds both the output and h_{t+1} there, so the
    probe's gradient is the total dL/dh_t (the output tensor's own gradient would hold only the
    direct part). Other layers have no recurrence: their output's gradient is the total one; a
    layer that returns only its last step runs with sequences on and hands that step on.
    """
    seen: dict = {}
    if isinstance(layer, Recurrent):
        probes: list[torch.Tensor] = []

        def probe(t: int, h: torch.Tensor) -> torch.Tensor:
            zero = torch.zeros_like(h, requires_grad=True)  # (B, H)
            probes.append(zero)
            return h + zero

        layer.probe = probe
        seen["grad"] = lambda: torch.stack([p.grad for p in probes[-T:]], dim=1)  # (B, T, H)
        try:
            yield seen
        finally:
            layer.probe = None
        return
    flip = getattr(layer, "return_sequences", True) is False
    if flip:
        layer.return_sequences = True

    def hook(module, inputs, output):
        h = output  # (B, T, C)
        h.retain_grad()
        seen["h"] = h
        return h[:, -1] if flip else h  # (B, C) or (B, T, C)

    handle = layer.register_forward_hook(hook)
    seen["grad"] = lambda: seen["h"].grad
    try:
        yield seen
    finally:
        handle.remove()
        if flip:
            layer.return_sequences = False


def step_gradient_norms(net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str,
                        from_logits: bool = False) -> dict:
    """:math:`g_t` for every step of one batch, in eval mode (no dropout), and the flags.

    Returns:
        ``{"layer", "norms": [g_1 ... g_T], "first", "last", "ratio": g_1 / g_T, "vanishing",
        "exploding"}``.
    """
    layer = sequence_layer(net)
    was_training = net.training
    net.eval()
    try:
        with torch.enable_grad(), capture_steps(layer, x.shape[1]) as seen:
            net.zero_grad(set_to_none=True)
            get_loss(loss, from_logits=from_logits)(net(x), y).backward()
            grad = seen["grad"]()  # (B, T, C)
        norms = grad.norm(dim=-1).mean(dim=0).double().cpu().numpy()  # (T,)
    finally:
        net.zero_grad(set_to_none=True)
        net.train(was_training)
    return {"layer": layer.label, **flags(norms)}


def flags(norms: np.ndarray) -> dict:
    first, last = float(norms[0]), float(norms[-1])
    finite = bool(np.all(np.isfinite(norms)))
    ratio = first / last if last > 0 else float("inf")
    return {"norms": norms.tolist(), "first": first, "last": last, "ratio": ratio,
            "vanishing": finite and first < VANISH * last,
            "exploding": (not finite) or first > EXPLODE * last}


def spectral_radii(net: nn.Module) -> list[dict]:
    """:math:`\\rho` of each recurrent weight ``weight_hh_l{k}``, per gate block (H x H) for LSTM and GRU."""
    found = []
    for layer in net.modules():
        if not isinstance(layer, Recurrent) or not layer.built:
            continue
        gates = GATES.get(type(layer), ("h",))
        for name, w in layer.named_parameters():
            if not name.startswith("weight_hh"):
                continue
            H = layer.units
            blocks = w.detach().double().cpu().reshape(len(gates), H, H)  # (G, H, H)
            radii = {g: float(torch.linalg.eigvals(b).abs().max()) for g, b in zip(gates, blocks)}
            found.append({"layer": layer.label, "weight": name, "gates": radii})
    return found
