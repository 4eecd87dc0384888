"""Torch's fused recurrent kernels (oneDNN/native on CPU, cuDNN on GPU) called on our weights.

These are the same entry points torch.nn.LSTM/GRU/RNN call (``torch._VF``), with the weights
passed as a flat list in torch's order, so a standard seqlab layer costs what torch.nn's does.
Variable lengths go through ``pack_padded_sequence``: outputs past a sequence's length are
zero and the final state is the state at its last true step, in both directions.
"""

from __future__ import annotations

import torch
from torch import _VF
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

_KERNELS = {
    "lstm": _VF.lstm,
    "gru": _VF.gru,
    "rnn_tanh": _VF.rnn_tanh,
    "rnn_relu": _VF.rnn_relu,
}


def fused_rnn(
    mode: str,
    x: torch.Tensor,
    hx: tuple[torch.Tensor, ...],
    flat_weights: list[torch.Tensor],
    *,
    has_biases: bool,
    num_layers: int,
    dropout: float,
    training: bool,
    bidirectional: bool,
    lengths: torch.Tensor | None = None,
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """Run a stacked (bi)directional recurrence with torch's fused kernel.

    Args:
        mode: ``lstm``, ``gru``, ``rnn_tanh`` or ``rnn_relu``.
        x: (B, T, D) batch-first input.
        hx: initial state, each (L*dirs, B, H): ``(h_0, c_0)`` for LSTM, ``(h_0,)`` otherwise.
        flat_weights: per layer and direction ``weight_ih, weight_hh[, bias_ih, bias_hh]``.
        lengths: (B,) true lengths (all >= 1), or None for full-length sequences.

    Returns:
        output (B, T, dirs*H) and the final state, shaped as ``hx``.
    """
    kernel = _KERNELS[mode]
    state = hx if mode == "lstm" else hx[0]
    args = (flat_weights, has_biases, num_layers, dropout, training, bidirectional)
    if lengths is None:
        result = kernel(x, state, *args, True)  # batch_first=True
        return result[0], tuple(result[1:])

    T = x.shape[1]
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    order, inverse = packed.sorted_indices, packed.unsorted_indices
    if mode == "lstm":
        state = tuple(s.index_select(1, order) for s in state)
    else:
        state = state.index_select(1, order)
    result = kernel(packed.data, packed.batch_sizes, state, *args)
    out = PackedSequence(result[0], packed.batch_sizes, order, inverse)
    output, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
    return output, tuple(s.index_select(1, inverse) for s in result[1:])
