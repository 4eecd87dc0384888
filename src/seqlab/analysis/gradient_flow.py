r"""Gradient flow through time: how much of the loss's gradient reaches each step.

For a network whose first sequence layer has per-step vectors :math:`h_1, \dots, h_T` (a
recurrent layer's hidden states; for convolutional and attention layers, which carry no state
in time, the vectors they read at each step), the loss :math:`L` computed from the last step gives

.. math::

    g_t = \frac{1}{B} \sum_b \left\lVert \frac{\partial L}{\partial h_t^{(b)}} \right\rVert_2,
    \qquad \text{distance from the loss} = T - t \quad (t = 1, \dots, T)

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
    from seqlab.analysis.targets import AnalysisNotApplicable

    layers = getattr(net, "layers", None)
    has = ", ".join(type(m).__name__ for m in layers) if layers is not None else f"a {type(net).__name__} without one"
    raise AnalysisNotApplicable(f"gradient flow needs a recurrent, TCN, Transformer or Conv1D layer; the model has "
                                f"{has}")


@contextlib.contextmanager
def capture_steps(layer: nn.Module) -> Iterator[dict]:
    """Make ``seen["grad"]()`` give dL/dh_t, (B, T, C), after one forward and backward pass.

    A zero that requires grad is added to every h_t, so its gradient is the *total* dL/dh_t
    (the gradient of an output tensor holds only the part that flows through that tensor):

    - a recurrent layer runs its reference path with the zero added to h_t at every step of its
      first layer's forward direction, where h_t feeds both the output and h_{t+1};
    - a convolutional, TCN or Transformer layer carries no state in time: h_t is the vector it
      reads at step t (its input), whose gradient reaches back through the whole receptive field.
    """
    probes: list[torch.Tensor] = []
    seen: dict = {}
    if isinstance(layer, Recurrent):
        def probe(t: int, h: torch.Tensor) -> torch.Tensor:
            zero = torch.zeros_like(h, requires_grad=True)  # (B, H)
            probes.append(zero)
            return h + zero

        layer.probe = probe
        seen["grad"] = lambda: torch.stack([p.grad for p in probes], dim=1)  # (B, T, H)
        try:
            yield seen
        finally:
            layer.probe = None
        return

    def pre_hook(module, args):
        zero = torch.zeros_like(args[0], requires_grad=True)  # (B, T, C)
        probes.append(zero)
        return (args[0] + zero, *args[1:])

    handle = layer.register_forward_pre_hook(pre_hook)
    seen["grad"] = lambda: probes[0].grad
    try:
        yield seen
    finally:
        handle.remove()


def step_gradient_norms(net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str,
                        from_logits: bool = False) -> dict:
    """:math:`g` at every distance from the loss on one batch, in eval mode (no dropout), and the flags.

    Padded token sequences are lined up at their own last real step (the one the loss reads):
    the norm at distance d is the mean over the sequences at least d + 1 steps long.

    Returns:
        ``{"layer", "norms": [g at distance D-1, ..., g at distance 0], "distance": [D-1, ..., 0],
        "first", "last", "ratio": first / last, "vanishing", "exploding"}``.
    """
    loss_fn = get_loss(loss, from_logits=from_logits)
    return loss_gradient_norms(net, lambda: loss_fn(net(x), y), lambda T: _lengths(net, x, T))


def loss_gradient_norms(net: nn.Module, compute_loss, lengths=None) -> dict:
    """As :func:`step_gradient_norms`, for any network and loss: ``compute_loss()`` runs the
    forward pass and returns the scalar loss; ``lengths(T)`` gives each sequence's real steps
    (None: all T steps are real). See :func:`step_gradient_norms` for what is returned."""
    layer = sequence_layer(net)
    was_training = net.training
    net.eval()
    try:
        with torch.enable_grad(), capture_steps(layer) as seen:
            net.zero_grad(set_to_none=True)
            compute_loss().backward()
            grad = seen["grad"]()  # (B, T, C)
        per_step = grad.norm(dim=-1).double().cpu().numpy()  # (B, T)
    finally:
        net.zero_grad(set_to_none=True)
        net.train(was_training)
    B, T = per_step.shape
    real = np.full(B, T) if lengths is None else np.minimum(np.asarray(lengths(T)), T)
    return {"layer": layer.label, **flags(by_distance(per_step, real))}


def _lengths(net: nn.Module, x: torch.Tensor, T: int) -> np.ndarray:
    """Real steps per sequence: token ids count up to padding; anything else is full length."""
    first = next(iter(getattr(net, "layers", [])), None)
    pad = getattr(first, "padding_idx", None)
    if pad is None or x.is_floating_point() or x.shape[1] != T:
        return np.full(len(x), T)
    return (x != pad).sum(dim=1).clamp_min(1).cpu().numpy()


def by_distance(per_step: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(B, T) norms -> (D,) means by distance from each sequence's last real step, farthest first."""
    D = int(lengths.max())
    out = np.empty(D)
    for d in range(D):
        rows = np.nonzero(lengths > d)[0]
        out[D - 1 - d] = per_step[rows, lengths[rows] - 1 - d].mean()
    return out


def flags(norms: np.ndarray) -> dict:
    first, last = float(norms[0]), float(norms[-1])
    finite = bool(np.all(np.isfinite(norms)))
    ratio = first / last if last > 0 else float("inf")
    return {"norms": norms.tolist(), "distance": list(range(len(norms) - 1, -1, -1)), "first": first, "last": last,
            "ratio": ratio, "vanishing": finite and first < VANISH * last,
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
