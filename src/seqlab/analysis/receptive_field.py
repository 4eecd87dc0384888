r"""The exact receptive field of a stack of convolution, pooling and TCN layers, checked by gradients.

Walking the layers from the input up, with r the receptive field and j the jump (the input
steps between two neighbouring outputs), per spatial axis:

.. math::
    r_0 = 1, \quad j_0 = 1 \\
    r_l = r_{l-1} + (k_l - 1)\, d_l\, j_{l-1} \\
    j_l = j_{l-1}\, s_l

where k is the kernel size, s the stride and d the dilation of layer l. Pooling and
``MovingAverage`` are windows with k = pool (or kernel) size, s = strides (default: the pool
size) and d = 1. A ``TemporalBlock`` is two dilated causal convolutions, r += 2 (k-1) d j, so a
TCN of n blocks with dilations 1, 2, ..., 2^(n-1) has r = 1 + 2 (k-1)(2^n - 1). Padding moves
the window but does not change its size. Per-step layers (Dense, Dropout, TokenDropout, and an
Embedding as the first layer, counted in tokens) have k = s = d = 1.

Stop rules: the walk ends before the first layer whose outputs depend on the whole time axis
(Flatten, global pooling, SimpleRNN/LSTM/GRU, AttentionPooling, RevIN — whose μ and σ are
statistics of the whole window — and any layer it does not know); a TCN with
``return_sequences=False`` counts its blocks and then ends it. ``stack_ends_at`` names that layer.

The empirical check runs a copy of the stack in float64 on inputs of 2r + 2j + 32 steps per axis
(room on both sides of the middle output's window whatever the padding; 2j for the rounding of
strided lengths), and measures the span (last - first + 1) of the input positions whose gradient
is nonzero.

Symbols: B batch, T time steps, H height, W width, C channels, F output channels.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn

from seqlab.errors import ConfigError
from seqlab.layers import LAYERS
from seqlab.layers.attention import AttentionPooling
from seqlab.layers.conv import Conv
from seqlab.layers.core import Dense, Dropout, Embedding, Flatten
from seqlab.layers.decomposition import MovingAverage
from seqlab.layers.normalization import RevIN
from seqlab.layers.pooling import GlobalPooling1D, Pooling
from seqlab.layers.recurrent import Recurrent
from seqlab.layers.tcn import TCN, TemporalBlock
from seqlab.models.spec import layers_from_spec

_NAMES = {cls: name for name, cls in reversed(list(LAYERS.items()))}  # first registered name wins
_BATCH, _ROUNDS = 32, 4  # 4 x 32 random inputs, so that every cell of a max-pooling window wins somewhere

# (row suffix, kernel, stride, dilation), one per spatial axis
Window = tuple[str, tuple[int, ...], tuple[int, ...], tuple[int, ...]]


def receptive_field(spec_or_layers: Any, input_shape: tuple[int, ...] | None = None,
                    check: bool = True, seed: int = 0) -> dict[str, Any]:
    """The receptive field of the layers before the first one that mixes the whole time axis.

    Args:
        spec_or_layers: a model spec (``[{conv1d: {filters: 8, kernel_size: 3}}, ...]``), a list
            of seqlab layers (built or not; they are never modified), or a ``Sequential``.
        input_shape: the input without the batch, (T, C) or (H, W, C); only C is used, for
            the empirical check (1 when None, or the first layer's if it is built).
        check: confirm the formula from gradients (see the module docstring).
        seed: seed of the check's random weights and inputs.

    Returns:
        A dict with ``receptive_field`` (int, or [rows, columns] for 2-D layers), ``jump``
        (same form), ``layers`` (one row per walked layer, or per convolution of a TCN block:
        ``layer``, ``kernel``, ``stride``, ``dilation``, and ``receptive_field`` and ``jump``
        after it), ``stack_ends_at`` (``"model[2] flatten"``, or None when every layer was
        walked), ``stop_reason``, ``empirical`` (the measured span, None without check),
        ``agrees`` (None without check) and ``input_length`` (of the check, None without).

    Raises:
        ConfigError: the stack has no convolution, pooling or TCN layer, or mixes 1-D and
            2-D layers.

    Example:
        >>> spec = [{"conv1d": {"filters": 8, "kernel_size": 3}}, {"max_pooling1d": {}},
        ...         {"conv1d": {"filters": 8, "kernel_size": 3}}, {"flatten": {}}, {"dense": {"units": 1}}]
        >>> out = receptive_field(spec)
        >>> out["receptive_field"], out["jump"], out["stack_ends_at"], out["empirical"], out["agrees"]
        (8, 2, 'model[3] flatten', 8, True)
    """
    layers = _as_layers(spec_or_layers)
    rank = _rank(layers)
    rows, walked, end, reason = _walk(layers, rank)
    if not any(isinstance(layer, _WINDOWED) for layer in walked):
        where = f"{end} (it {reason})" if end else f"its end (model[{len(layers) - 1}])"
        raise ConfigError(f"model has no convolution, pooling or TCN layer before {where}; the receptive "
                          "field of a recurrent or dense model is the whole input")
    r, j = rows[-1]["receptive_field"], rows[-1]["jump"]
    out = {"receptive_field": r, "jump": j, "layers": rows, "stack_ends_at": end, "stop_reason": reason,
           "empirical": None, "agrees": None, "input_length": None}
    if rank == 1:
        out["receptive_field"], out["jump"] = r[0], j[0]
        for row in rows:
            row.update({key: row[key][0] for key in ("kernel", "stride", "dilation", "receptive_field", "jump")})
    if check:
        lengths = [2 * ri + 2 * ji + 32 for ri, ji in zip(r, j)]
        span = _empirical(walked, lengths, _channels(layers, input_shape), seed)
        out["empirical"] = span[0] if rank == 1 else span
        out["input_length"] = lengths[0] if rank == 1 else lengths
        out["agrees"] = span == r
    return out


# -- walking the stack ----------------------------------------------------------------------
def _as_layers(spec_or_layers: Any) -> list[nn.Module]:
    """The layers of a spec, a list of layers or a Sequential; ConfigError for anything else."""
    if isinstance(spec_or_layers, nn.Module) and isinstance(getattr(spec_or_layers, "layers", None), nn.ModuleList):
        return list(spec_or_layers.layers)
    if isinstance(spec_or_layers, (list, tuple)) and spec_or_layers and all(
            isinstance(item, nn.Module) for item in spec_or_layers):
        return list(spec_or_layers)
    if isinstance(spec_or_layers, list):
        return layers_from_spec(spec_or_layers)
    raise ConfigError("receptive_field: expected a model spec (a list of {layer: {args}}), a list of "
                      f"seqlab layers or a Sequential, got {type(spec_or_layers).__name__}")


def _label(layer: nn.Module, i: int) -> str:
    name = _NAMES.get(type(layer), type(layer).__name__)
    own = getattr(layer, "name", None)  # shown where the user chose it, not Sequential's "conv1d_2"
    return f"model[{i}] {name}" + (f" '{own}'" if own and not own.startswith(name) else "")


def _rank(layers: list[nn.Module]) -> int:
    """The spatial rank of the stack: that of its first Conv/Pooling layer, else 1 (time only)."""
    return next((layer.rank for layer in layers if isinstance(layer, (Conv, Pooling))), 1)


def _windows(layer: nn.Module, i: int, rank: int) -> tuple[list[Window], str | None]:
    """The windows a layer applies, and why the walk stops at it (None: it goes on)."""
    one = (1,) * rank
    if isinstance(layer, (Conv, Pooling)) and layer.rank != rank:
        raise ConfigError(f"{_label(layer, i)}: a {layer.rank}-D layer in a {rank}-D stack; "
                          "the receptive field needs one kind of spatial axes")
    if isinstance(layer, (Conv, Pooling)):
        return [("", *layer.window())], None
    if isinstance(layer, MovingAverage):
        return [("", (layer.kernel_size,), one, one)], None
    if isinstance(layer, TemporalBlock):
        return _block_windows(layer.kernel_size, layer.dilation_rate, ""), None
    if isinstance(layer, TCN):
        rows = [w for b, d in enumerate(layer.dilations) for w in _block_windows(layer.kernel_size, d, f".blocks[{b}]")]
        stop = None if layer.return_sequences else "returns only its last step (return_sequences=False)"
        return rows, stop
    if isinstance(layer, (Dense, Dropout)) or (isinstance(layer, Embedding) and i == 0):
        return [("", one, one, one)], None  # per step (an Embedding per token)
    if isinstance(layer, Flatten):
        return [], "flattens every position into one vector"
    if isinstance(layer, GlobalPooling1D):
        return [], "pools over the whole time axis"
    if isinstance(layer, Recurrent):
        return [], "is recurrent: each output depends on every earlier step"
    if isinstance(layer, AttentionPooling):
        return [], "attends over the whole time axis"
    if isinstance(layer, RevIN):
        return [], "normalises by the mean and std of the whole window, so every output depends on every step"
    return [], "is not a layer whose receptive field is known"


_WINDOWED = (Conv, Pooling, MovingAverage, TemporalBlock, TCN)


def _block_windows(k: int, d: int, prefix: str) -> list[Window]:
    """The two dilated causal convolutions of a TemporalBlock (its 1x1 skip adds nothing)."""
    return [(f"{prefix}.conv{n}", (k,), (1,), (d,)) for n in (1, 2)]


def _walk(layers: list[nn.Module], rank: int) -> tuple[list[dict], list[nn.Module], str | None, str | None]:
    """Rows of the formula, the layers walked, and the label of the layer that ended the walk and why."""
    r, j = [1] * rank, [1] * rank  # r_0 = 1, j_0 = 1 per axis
    rows, walked = [], []
    for i, layer in enumerate(layers):
        windows, stop = _windows(layer, i, rank)
        for suffix, k, s, d in windows:
            r = [ri + (ki - 1) * di * ji for ri, ki, di, ji in zip(r, k, d, j)]  # r += (k-1) d j
            j = [ji * si for ji, si in zip(j, s)]  # j *= s
            rows.append({"layer": _label(layer, i) + suffix, "kernel": list(k), "stride": list(s),
                         "dilation": list(d), "receptive_field": list(r), "jump": list(j)})
        if windows:
            walked.append(layer)
        if stop is not None:
            return rows, walked, _label(layer, i), stop
    return rows, walked, None, None


# -- the empirical check --------------------------------------------------------------------
def _channels(layers: list[nn.Module], input_shape: tuple[int, ...] | None) -> int:
    if input_shape is not None:
        return int(input_shape[-1])
    shape = getattr(layers[0], "input_shape", None)  # a built first layer knows its C
    return int(shape[-1]) if shape and shape[-1] is not None else 1


def _empirical(layers: list[nn.Module], lengths: list[int], channels: int, seed: int) -> list[int]:
    """Span, per axis, of the inputs with a nonzero gradient at the middle output position.

    The copies get positive weights: with positive inputs every ReLU is then active for every
    sample, and no two paths cancel, so a position inside the window never shows a zero
    gradient by chance (Glorot weights can leave a unit dead for the whole batch). A max
    pooling still passes gradient to its argmax only; the rounds of random inputs cover them.
    """
    gen = torch.Generator().manual_seed(seed)
    net = [copy.deepcopy(layer).to(torch.float64).eval() for layer in layers]
    for layer in net:
        if isinstance(layer, TCN):
            layer.return_sequences = True  # the middle step, not only the last one
    embed = net.pop(0) if isinstance(net[0], Embedding) else None

    def inputs(batch: int) -> torch.Tensor:
        if embed is not None:  # token ids; the gradient is taken w.r.t. their vectors
            ids = torch.randint(0, embed.input_dim, (batch, *lengths), generator=gen)  # (B, T)
            return embed(ids).detach()  # (B, T, E)
        return torch.rand((batch, *lengths, channels), generator=gen, dtype=torch.float64)  # (B, T, C)

    with torch.no_grad():
        _run(net, inputs(2))  # builds the unbuilt copies, in float64
        for module in [m for m in (embed, *net) if m is not None]:
            for p in module.parameters():
                fan_in = math.prod(p.shape[1:]) if p.dim() > 1 else 1
                p.uniform_(0.5, 1.5, generator=gen).div_(fan_in)  # positive, outputs of order 1
    total = torch.zeros(lengths, dtype=torch.float64)  # (T,) or (H, W)
    for _ in range(_ROUNDS):
        x = inputs(_BATCH).requires_grad_()  # (B, T, C) or (B, H, W, C)
        y = _run(net, x)  # (B, T', F) or (B, H', W', F)
        mid = y[(slice(None), *(n // 2 for n in y.shape[1:-1]))]  # (B, F)
        # random positive channel weights: a plain sum of a softmax over channels has no gradient
        w = 0.5 + torch.rand(mid.shape[-1], generator=gen, dtype=torch.float64)  # (F,)
        (grad,) = torch.autograd.grad((mid * w).sum(), x)
        total += grad.abs().sum(dim=(0, -1))  # (T,) or (H, W)
    spans = []
    for axis in range(total.dim()):
        others = tuple(a for a in range(total.dim()) if a != axis)
        hit = torch.nonzero(total.amax(dim=others) > 0 if others else total > 0).flatten()
        spans.append(int(hit.max() - hit.min() + 1) if len(hit) else 0)
    return spans


def _run(net: list[nn.Module], x: torch.Tensor) -> torch.Tensor:
    for layer in net:
        x = layer(x)
    return x
