"""The architecture zoo: one model spec per architecture name, sized for a task.

``architecture_spec("lstm", task)`` returns a plain model spec (``[{lstm: {...}}, {dense: {...}}]``)
so that every model of a comparison is saved, loaded and explained like any other run. The
bodies are the classic ones, each at width ``units``:

===============  ==========================================================================
rnn              SimpleRNN(tanh) → head
lstm             LSTM → head
gru              GRU → head
bilstm           LSTM(bidirectional) → head                   (not for per-step outputs)
cnn              Conv1D(k=5, relu) ×2 with max pooling → global max pooling → head;
                 per step: causal Conv1D(k=5) with dilations 1, 2, 4, ... until it sees T steps
tcn              TCN (k=3, dilations 1, 2, 4, ... until the receptive field covers T) → head
lstm-attention   LSTM(return_sequences) → additive attention pooling → head
                                                              (not for per-step outputs)
transformer      TransformerEncoder (2 pre-norm blocks, 4 heads, fewer if ``units`` needs) → mean pooling → head
===============  ==========================================================================

Token inputs get an ``Embedding(vocab, units, padding_idx=0)`` first. Per-step outputs (the
copy-memory task) keep the time axis and stay causal: recurrences return sequences, the CNN
pads causally, the Transformer masks the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqlab.errors import ConfigError
from seqlab.layers.tcn import blocks_to_cover

ARCHITECTURES = ("rnn", "lstm", "gru", "bilstm", "cnn", "tcn", "lstm-attention", "transformer")
NOT_PER_STEP = {"bilstm": "its backward direction reads the future",
                "lstm-attention": "attention pooling removes the time axis"}


@dataclass(frozen=True)
class TaskShape:
    """What a model must take and give.

    Attributes:
        length: T, the steps of an input (the longest, for padded text).
        n_outputs: units of the output layer (classes, or values to predict).
        vocab: the vocabulary size for token-id inputs, else None (float features).
        per_step: one output per time step (B, T, n_outputs) instead of one per sequence.
    """

    length: int
    n_outputs: int
    vocab: int | None = None
    per_step: bool = False


def default_architectures(task: TaskShape) -> list[str]:
    """Every architecture that applies to ``task``."""
    return [name for name in ARCHITECTURES if not (task.per_step and name in NOT_PER_STEP)]


def check_architectures(names: list[str], task: TaskShape, where: str = "models") -> None:
    """ConfigError for an unknown name, a repeated one, or one the task rules out."""
    for name in names:
        if name not in ARCHITECTURES:
            raise ConfigError(f"{where}: unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
        if task.per_step and name in NOT_PER_STEP:
            raise ConfigError(f"{where}: {name!r} cannot make per-step predictions of this task "
                              f"({NOT_PER_STEP[name]}); leave it out")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"{where}: {', '.join(repeated)} listed more than once")


def architecture_spec(name: str, task: TaskShape, units: int = 64) -> list[dict[str, Any]]:
    """The model spec of architecture ``name`` for ``task``, ``units`` wide.

    Example:
        >>> architecture_spec("lstm", TaskShape(length=50, n_outputs=1))
        [{'lstm': {'units': 64}}, {'dense': {'units': 1}}]
        >>> [list(layer)[0] for layer in architecture_spec("cnn", TaskShape(50, 2, vocab=100))]
        ['embedding', 'conv1d', 'max_pooling1d', 'conv1d', 'global_max_pooling1d', 'dense']
    """
    check_architectures([name], task, where="architecture")
    seq = task.per_step
    body = {
        "rnn": lambda: [{"simple_rnn": _recurrent(units, seq)}],
        "lstm": lambda: [{"lstm": _recurrent(units, seq)}],
        "gru": lambda: [{"gru": _recurrent(units, seq)}],
        "bilstm": lambda: [{"lstm": {"units": units, "bidirectional": True}}],
        "cnn": lambda: _cnn(units, seq, task.length),
        "tcn": lambda: [{"tcn": {"filters": units, "kernel_size": 3, "num_blocks": blocks_to_cover(task.length, 3, limit=10),
                                 "return_sequences": seq}}],
        "lstm-attention": lambda: [{"lstm": {"units": units, "return_sequences": True}},
                                   {"attention_pooling": {}}],
        "transformer": lambda: [{"transformer_encoder": {"d_model": units, "num_heads": _heads(units), "num_layers": 2,
                                                         "causal": seq}}]
                               + ([] if seq else [{"global_average_pooling1d": {}}]),
    }[name]()
    embed = [{"embedding": {"input_dim": task.vocab, "output_dim": units, "padding_idx": 0}}] if task.vocab else []
    return embed + body + [{"dense": {"units": task.n_outputs}}]


def _heads(units: int) -> int:
    """4 attention heads, or the most of 2 and 1 that divide the width."""
    return next(h for h in (4, 2, 1) if units % h == 0)


def _recurrent(units: int, per_step: bool) -> dict[str, Any]:
    return {"units": units, "return_sequences": True} if per_step else {"units": units}


def _cnn(units: int, per_step: bool, length: int) -> list[dict[str, Any]]:
    if per_step:  # causal: step t sees steps <= t only; dilations 1, 2, 4, ... until the view covers T
        dilations = [1]
        while 1 + 4 * (2 * dilations[-1] - 1) < length and len(dilations) < 12:
            dilations.append(2 * dilations[-1])
        return [{"conv1d": {"filters": units, "kernel_size": 5, "padding": "causal", "activation": "relu",
                            "dilation_rate": d}} for d in dilations]
    return [{"conv1d": {"filters": units, "kernel_size": 5, "padding": "same", "activation": "relu"}},
            {"max_pooling1d": {"pool_size": 2, "padding": "same"}},
            {"conv1d": {"filters": units, "kernel_size": 5, "padding": "same", "activation": "relu"}},
            {"global_max_pooling1d": {}}]
