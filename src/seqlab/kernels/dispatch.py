"""Which path a recurrent layer's call takes, and seqlab's kernels run over layers and directions.

Three execution paths, chosen by a layer's ``backend``:

- ``"reference"`` runs the cell's equations step by step under autograd (``layers/rnn.py``'s
  ``scan``);
- ``"torch"`` hands standard configurations to torch's fused kernels (``torch_fused.py``: oneDNN
  on CPU, cuDNN on GPU): plain LSTM/GRU/RNN, full lengths or prefix lengths;
- ``"native"`` runs seqlab's C++ kernels (``native.py``) on the CPU: every variant, peepholes,
  layer norm and masks with holes included, with explicit BPTT;
- ``"fused"`` takes the faster of the two where both apply (measured: seqlab's for GRU and
  SimpleRNN; torch's for the plain LSTM, for prefix lengths, which its packed sequences skip, and
  on a GPU) and whichever applies otherwise; ``"auto"`` (the default) does the same but falls
  back to the reference path where neither applies (a GPU tensor of a variant torch has no
  kernel for, or no compiler), and the layer says so once in the log.

All paths agree to 1e-5 in outputs, states and gradients (tests hold them).

Symbols: B batch, T time steps, D input features, H units, L layers, dirs 1 or 2.

Example:
    >>> import torch
    >>> choose_path("torch", torch_unavailable("gru", "", None, None), "gru", torch.zeros(2, 3, 4), None,
    ...             wants_grad=False, where="GRU")
    ('torch', None)
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from seqlab.errors import ConfigError
from seqlab.kernels import native

BACKENDS = ("auto", "reference", "fused", "torch", "native")

# Where seqlab's kernel beats torch's on a CPU for full-length batches (bench/recurrent.py,
# BENCHMARKS.md), by torch kernel: torch runs GRU and RNN steps as separate ops, but the LSTM
# through oneDNN, the faster for the plain cell both ways.
NATIVE_FASTER_ON_CPU: dict[str, tuple[str, ...]] = {
    "lstm": (),
    "gru": ("train", "infer"),
    "rnn_tanh": ("train", "infer"),
    "rnn_relu": ("train", "infer"),
}

State = tuple[torch.Tensor, ...]


def torch_unavailable(fused_mode: str | None, no_kernel_reason: str, mask: torch.Tensor | None,
                      lengths: torch.Tensor | None) -> str | None:
    """Why torch's fused kernel cannot run this call, or None when it can.

    Args:
        fused_mode: the torch kernel of the layer's configuration (``lstm``, ``gru``,
            ``rnn_tanh``, ``rnn_relu``), or None when torch has none.
        no_kernel_reason: why ``fused_mode`` is None, in words.
        mask: (B, T) bool, or None when every step is real.
        lengths: (B,) lengths when ``mask`` is a prefix of each row, else None.
    """
    if fused_mode is None:
        return no_kernel_reason
    if mask is not None and lengths is None:
        return "the mask is not a prefix of each sequence"
    if lengths is not None and bool((lengths == 0).any()):
        return "a sequence has length 0"
    return None


def native_is_faster(fused_mode: str, x: torch.Tensor, wants_grad: bool) -> bool:
    """True where seqlab's kernel beats torch's for this kernel, device and mode (measured)."""
    return x.device.type == "cpu" and ("train" if wants_grad else "infer") in NATIVE_FASTER_ON_CPU.get(fused_mode, ())


def choose_path(backend: str, torch_reason: str | None, fused_mode: str | None, x: torch.Tensor,
                lengths: torch.Tensor | None, *, wants_grad: bool, where: str) -> tuple[str, str | None]:
    """``("torch" | "native" | "reference", why)``: the path a call takes under ``backend``.

    ``why`` says why ``auto`` fell back to the reference path (for the layer's log), else None.

    Args:
        backend: one of ``BACKENDS``.
        torch_reason: ``torch_unavailable(...)`` of this call.
        fused_mode: the layer's torch kernel, or None.
        x: (B, T, D) input: its device and dtype decide whether seqlab's kernel can run.
        lengths: (B,) prefix lengths, or None; torch's packed path takes them, seqlab's does not.
        wants_grad: a backward pass will follow (the training timings apply).
        where: the layer's label, for errors.

    Raises:
        ConfigError: ``backend`` names a path that cannot run this call; the message says why
            and which backends to use instead.
    """
    if backend == "reference":
        return "reference", None
    if backend == "torch" and torch_reason is None:
        return "torch", None
    if backend in ("auto", "fused") and torch_reason is None:
        if lengths is None and native_is_faster(fused_mode, x, wants_grad) and native.unavailable_reason(x) is None:
            return "native", None
        return "torch", None
    if backend == "torch":
        raise ConfigError(f"{where}: backend='torch' cannot run: {torch_reason}; use 'auto', 'native' or 'reference'")
    native_reason = native.unavailable_reason(x)
    if native_reason is None:
        return "native", None
    if backend in ("native", "fused"):
        why = native_reason if backend == "native" else f"{torch_reason}, and {native_reason}"
        raise ConfigError(f"{where}: backend={backend!r} cannot run: {why}; use 'auto' or 'reference'")
    return "reference", f"{torch_reason}, and {native_reason}"


def run_native(scan: Callable[[int, int, torch.Tensor, torch.Tensor | None, State], tuple[torch.Tensor, State]],
               x: torch.Tensor, mask: torch.Tensor | None, state0: State, *, num_layers: int,
               num_directions: int, dropout: float, training: bool) -> tuple[torch.Tensor, State]:
    """seqlab's kernels layer by layer and direction by direction, time-major inside.

    Args:
        scan: ``scan(layer, direction, x, mask, state)`` runs one layer and direction through the
            kernel: x (T, B, D), mask (T, B) or None, state each (B, H) -> (T, B, H), final state.
        x: (B, T, D) input.
        mask: (B, T) bool, True at real steps, or None.
        state0: the initial state, each (L*dirs, B, H).
        dropout: dropout on the outputs of every layer but the last, when ``training``.

    Returns:
        output (B, T, dirs*H) and the final state, each (L*dirs, B, H).
    """
    layer_input = x.transpose(0, 1)  # (T, B, D)
    mask_tm = None if mask is None else mask.t().contiguous()  # (T, B)
    finals = []
    for k in range(num_layers):
        outputs = []
        for d in range(num_directions):
            s0 = tuple(s[k * num_directions + d] for s in state0)  # each (B, H)
            xs, ms = layer_input, mask_tm
            if d == 1:  # right padding comes first once reversed, and is skipped by the mask
                xs, ms = xs.flip(0), None if ms is None else ms.flip(0).contiguous()
            hs, s = scan(k, d, xs, ms, s0)  # (T, B, H)
            if ms is not None:
                hs = hs * ms[..., None]  # masked steps output zeros
            outputs.append(hs if d == 0 else hs.flip(0))
            finals.append(s)
        layer_input = outputs[0] if num_directions == 1 else torch.cat(outputs, dim=-1)  # (T, B, dirs*H)
        if dropout and training and k < num_layers - 1:
            layer_input = F.dropout(layer_input, dropout, training=True)
    state = tuple(torch.stack(parts) for parts in zip(*finals))  # each (L*dirs, B, H)
    return layer_input.transpose(0, 1), state
