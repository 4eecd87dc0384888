"""Synthetic long-memory tasks: the adding problem and copy memory (pixel MNIST: ``images.py``).

Pure numpy generators after Bai, Kolter & Koltun (2018), "An Empirical Evaluation of Generic
Convolutional and Recurrent Networks for Sequence Modeling", and their code (locuslab/TCN). Every
generator is seeded (``np.random.default_rng(seed)``) and batch-first; nothing is downloaded.

- ``adding_problem``: regression, x (N, T, 2) float32 -> y (N, 1) float32.
- ``copy_memory``: per-step classification, x (N, T + 2K) int64 ids -> y (N, T + 2K) int64 ids.
- ``seqlab.data.images.pixel_mnist``, the third task of the paper: MNIST images as (N, 784, 1)
  pixel sequences, optionally permuted.
- ``SYNTHETIC_TASKS`` / ``make_splits``: the generated tasks by name, and train / val / test
  splits drawn with independent seeds (test data is never a copy of training data).

Symbols used in shapes: N = sequences, T = ``length``, K = ``copy_len``, D = one-hot depth.

Example:
    >>> splits = make_splits("adding", length=50, n_train=8, n_val=2, n_test=2)
    >>> x, y = splits["train"]
    >>> x.shape, y.shape, x.dtype.name
    ((8, 50, 2), (8, 1), 'float32')
    >>> SYNTHETIC_TASKS["copy"].loss
    'sparse_categorical_crossentropy'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from seqlab.errors import ConfigError

ADDING_PLACEMENTS = ("halves", "anywhere")
COPY_VARIANTS = ("locuslab", "arjovsky")


def _check_int(func: str, name: str, value: object, minimum: int) -> int:
    """``value`` as an int >= ``minimum``, or a ConfigError naming the argument and the value."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{func}: argument `{name}` must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{func}: argument `{name}` must be >= {minimum}, got {value}")
    return int(value)


def _check_choice(func: str, name: str, value: str, known: tuple[str, ...]) -> None:
    if value not in known:
        raise ConfigError(f"{func}: argument `{name}` must be one of {', '.join(known)}; got {value!r}")


# --------------------------------------------------------------------------------------------
# Adding problem
# --------------------------------------------------------------------------------------------


def adding_problem(
    n: int, length: int, seed: int = 0, placement: str = "halves"
) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem: sum the two values marked in a long sequence of noise.

    Each sequence has T steps of two channels: ``x[:, t, 0] ~ U[0, 1)`` and a marker
    ``x[:, t, 1]`` that is 1 at exactly two steps ``a < b`` and 0 elsewhere; the target is

        y = x_{a,0} + x_{b,0}

    With ``placement="halves"`` (the default; Hochreiter & Schmidhuber 1997, Le et al. 2015,
    Arjovsky et al. 2016) ``a`` is uniform in the first half ``[0, T // 2)`` and ``b`` in the
    second half ``[T // 2, T)``, so the model must carry ``x_a`` for T/2 steps on average.
    ``placement="anywhere"`` reproduces locuslab/TCN exactly: ``a, b`` are two distinct steps
    drawn uniformly from ``[0, T)`` (``np.random.choice(T, 2, replace=False)``), which is easier
    on average (the pair can be adjacent). locuslab stores x channels-first ``(N, 2, T)``; here it
    is batch-first ``(N, T, 2)``.

    Baseline: y is the sum of two independent U[0, 1) values, so ``E[y] = 1`` and
    ``Var[y] = 2 / 12 = 1/6``; always predicting 1 gives MSE ``1/6 ≈ 0.167`` for either
    placement. A model has learned nothing until it beats that. Bai et al. (2018, Table 1, T=600,
    placement as in locuslab) report test MSE LSTM 0.164, GRU 5.3e-5, TCN 5.8e-5.

    Args:
        n: number of sequences N (>= 1).
        length: sequence length T (>= 2: one marker in each half needs two steps).
        seed: seed of ``np.random.default_rng``; the same seed gives the same data.
        placement: ``"halves"`` or ``"anywhere"``, see above.

    Returns:
        ``(x, y)``: x (N, T, 2) float32 (values, marker), y (N, 1) float32.

    Raises:
        ConfigError: ``n`` or ``length`` is not an integer in range, or ``placement`` unknown.

    Example:
        >>> x, y = adding_problem(4, 10, seed=1)
        >>> x.shape, y.shape
        ((4, 10, 2), (4, 1))
        >>> x[:, :, 1].sum(axis=1).tolist()
        [2.0, 2.0, 2.0, 2.0]
    """
    n = _check_int("adding_problem", "n", n, 1)
    t = _check_int("adding_problem", "length", length, 2)
    _check_choice("adding_problem", "placement", placement, ADDING_PLACEMENTS)
    rng = np.random.default_rng(seed)
    values = rng.random((n, t), dtype=np.float32)  # (N, T)
    if placement == "halves":
        half = t // 2
        first = rng.integers(0, half, size=n)  # (N,) in [0, T//2)
        second = rng.integers(half, t, size=n)  # (N,) in [T//2, T)
    else:
        first = rng.integers(0, t, size=n)  # (N,)
        second = rng.integers(0, t - 1, size=n)  # (N,) uniform over the T - 1 other steps
        second = second + (second >= first)
    rows = np.arange(n)
    marker = np.zeros((n, t), dtype=np.float32)  # (N, T)
    marker[rows, first] = 1.0
    marker[rows, second] = 1.0
    x = np.stack([values, marker], axis=-1)  # (N, T, 2)
    y = (values[rows, first] + values[rows, second])[:, None]  # (N, 1) float32
    return x, y


# --------------------------------------------------------------------------------------------
# Copy memory
# --------------------------------------------------------------------------------------------


def copy_memory(
    n: int,
    length: int,
    seed: int = 0,
    n_symbols: int = 8,
    copy_len: int = 10,
    variant: str = "locuslab",
) -> tuple[np.ndarray, np.ndarray]:
    """The copy memory task: read K symbols, wait T steps, then write them back.

    Ids: 0 is the blank, ``1..S`` the symbols (S = ``n_symbols``), ``S + 1`` the delimiter (9 for
    the default S = 8), so one-hot inputs and per-step logits have depth ``S + 2`` (10). Each
    sequence has ``T + 2K`` steps (K = ``copy_len``). Positions (0-based):

        x[:, 0:K]          = s_1..s_K, uniform in 1..S       (the message)
        x[:, K:T+K-1]      = 0                               (T - 1 blanks)
        x[:, T+K-1]        = S + 1                           (the delimiter)
        x[:, T+K:T+2K]     = S + 1 ("locuslab") or 0 ("arjovsky")
        y[:, 0:T+K]        = 0
        y[:, T+K:T+2K]     = s_1..s_K                        (the message, copied)

    ``variant="locuslab"`` (default) is locuslab/TCN's ``data_generator``: ``x = cat(seq,
    zeros[:, :-1], 9 * ones(K + 1))``, i.e. the last K + 1 inputs are all 9 and the first of them
    is the delimiter, as Bai et al. (2018) describe. ``variant="arjovsky"`` is Arjovsky et al.
    (2016): one delimiter followed by K blanks. Targets are identical in both.

    Baseline: a memoryless model predicts blank with probability 1 for the first T + K steps
    (cross-entropy 0) and a uniform guess over the S symbols for the last K, so its mean
    cross-entropy per step is ``K ln S / (T + 2K)`` (``copy_memory_baseline_loss``), 10 ln 8 /
    (T + 20) with the defaults. Bai et al. (2018, Table 1, T=1000, baseline 0.0204) report test
    loss LSTM 0.0204, GRU 0.0197, TCN 3.5e-5.

    Args:
        n: number of sequences N (>= 1).
        length: blank length T (>= 1).
        seed: seed of ``np.random.default_rng``; the same seed gives the same data.
        n_symbols: S, the number of distinct symbols (>= 1).
        copy_len: K, the length of the message (>= 1).
        variant: ``"locuslab"`` or ``"arjovsky"``, see above.

    Returns:
        ``(x, y)``: both (N, T + 2K) int64 ids; ``one_hot(x, n_symbols + 2)`` gives float inputs.

    Raises:
        ConfigError: an integer argument is out of range, or ``variant`` unknown.

    Example:
        >>> x, y = copy_memory(2, length=5, copy_len=3, seed=0)
        >>> x.shape, y.shape
        ((2, 11), (2, 11))
        >>> x[0, 3:].tolist(), y[0, :8].tolist()
        ([0, 0, 0, 0, 9, 9, 9, 9], [0, 0, 0, 0, 0, 0, 0, 0])
        >>> bool((y[:, -3:] == x[:, :3]).all())
        True
    """
    n = _check_int("copy_memory", "n", n, 1)
    t = _check_int("copy_memory", "length", length, 1)
    s = _check_int("copy_memory", "n_symbols", n_symbols, 1)
    k = _check_int("copy_memory", "copy_len", copy_len, 1)
    _check_choice("copy_memory", "variant", variant, COPY_VARIANTS)
    rng = np.random.default_rng(seed)
    message = rng.integers(1, s + 1, size=(n, k), dtype=np.int64)  # (N, K) in 1..S
    delimiter = s + 1
    x = np.zeros((n, t + 2 * k), dtype=np.int64)  # (N, T + 2K)
    x[:, :k] = message
    if variant == "locuslab":
        x[:, t + k - 1 :] = delimiter  # K + 1 delimiters
    else:
        x[:, t + k - 1] = delimiter  # one delimiter, then K blanks
    y = np.zeros((n, t + 2 * k), dtype=np.int64)  # (N, T + 2K)
    y[:, t + k :] = message
    return x, y


def copy_memory_baseline_loss(length: int, copy_len: int = 10, n_symbols: int = 8) -> float:
    """Mean per-step cross-entropy (nats) of the memoryless copy-memory predictor.

        L_0 = K ln S / (T + 2K)

    Blank with certainty on the first T + K steps, uniform over the S symbols on the last K
    (see ``copy_memory``); locuslab/TCN's reference line, 10 ln 8 / (T + 20) with the defaults.

    Example:
        >>> round(copy_memory_baseline_loss(1000), 5)
        0.02039
    """
    t = _check_int("copy_memory_baseline_loss", "length", length, 1)
    k = _check_int("copy_memory_baseline_loss", "copy_len", copy_len, 1)
    s = _check_int("copy_memory_baseline_loss", "n_symbols", n_symbols, 1)
    return k * math.log(s) / (t + 2 * k)


def one_hot(ids: np.ndarray, depth: int = 10) -> np.ndarray:
    """One-hot float32 encoding of integer ids: ``out[..., d] = 1`` where ``ids == d``.

    Args:
        ids: integer array of any shape, e.g. (N, L), values in ``[0, depth)``.
        depth: D, the number of classes (10 for ``copy_memory`` with 8 symbols).

    Returns:
        ``ids.shape + (D,)`` float32, e.g. (N, L, D).

    Raises:
        ConfigError: ``ids`` is not an integer array, or has a value outside ``[0, depth)``.

    Example:
        >>> one_hot(np.array([[0, 2]]), depth=3).tolist()
        [[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]]
    """
    depth = _check_int("one_hot", "depth", depth, 1)
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise ConfigError(f"one_hot: argument `ids` must hold integers, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= depth):
        raise ConfigError(
            f"one_hot: argument `ids` has values in [{ids.min()}, {ids.max()}], outside [0, {depth}) "
            f"for depth={depth}; raise `depth`"
        )
    return np.eye(depth, dtype=np.float32)[ids]  # (..., D)


# --------------------------------------------------------------------------------------------
# Registry and splits
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticTask:
    """A generated task: how to make it and how a model should be trained on it.

    Attributes:
        name: the registry key.
        generator: ``generator(n, length, seed) -> (x, y)``.
        kind: ``"regression"`` (one value per sequence) or ``"sequence_classification"`` (a
            class per step).
        n_outputs: outputs per prediction: 1 for adding, the number of classes (10) for copy.
        loss: the default loss name (``seqlab.training.losses``).
        min_length: the smallest ``length`` the generator accepts.
        baseline: ``baseline(length)`` -> the loss of the memoryless predictor (``loss`` units).
        description: one line.
    """

    name: str
    generator: Callable[..., tuple[np.ndarray, np.ndarray]]
    kind: str
    n_outputs: int
    loss: str
    min_length: int
    baseline: Callable[[int], float]
    description: str


SYNTHETIC_TASKS: dict[str, SyntheticTask] = {
    "adding": SyntheticTask(
        name="adding",
        generator=adding_problem,
        kind="regression",
        n_outputs=1,
        loss="mse",
        min_length=2,
        baseline=lambda length: 1.0 / 6.0,
        description="sum the two marked values of a (T, 2) sequence; predicting 1 gives MSE 1/6",
    ),
    "copy": SyntheticTask(
        name="copy",
        generator=copy_memory,
        kind="sequence_classification",
        n_outputs=10,
        loss="sparse_categorical_crossentropy",
        min_length=1,
        baseline=copy_memory_baseline_loss,
        description="repeat 10 symbols after T blanks; memoryless cross-entropy 10 ln 8 / (T + 20)",
    ),
}


def get_task(task: str) -> SyntheticTask:
    """The registry entry for ``task``, or a ConfigError listing the known names."""
    if task not in SYNTHETIC_TASKS:
        raise ConfigError(f"unknown synthetic task {task!r}; known tasks: {', '.join(SYNTHETIC_TASKS)}")
    return SYNTHETIC_TASKS[task]


def split_seeds(seed: int = 0) -> dict[str, int]:
    """Independent seeds of the train, val and test splits, spawned from ``seed``.

    ``np.random.SeedSequence(seed).spawn(3)``, each child reduced to one 32-bit int so it can be
    recorded in a run's config; the three streams are independent, so no split repeats another.

    Example:
        >>> s = split_seeds(0)
        >>> list(s), len(set(s.values()))
        (['train', 'val', 'test'], 3)
    """
    children = np.random.SeedSequence(seed).spawn(3)
    return {name: int(child.generate_state(1)[0]) for name, child in zip(("train", "val", "test"), children)}


def make_splits(
    task: str, length: int, n_train: int, n_val: int, n_test: int, seed: int = 0
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Train, val and test data of a synthetic task, each drawn with its own seed.

    Args:
        task: a key of ``SYNTHETIC_TASKS`` (``"adding"``, ``"copy"``).
        length: T, passed to the generator (adding needs >= 2, copy >= 1).
        n_train, n_val, n_test: sequences in each split (>= 1).
        seed: the root seed; the splits use ``split_seeds(seed)``.

    Returns:
        ``{"train": (x, y), "val": (x, y), "test": (x, y)}`` with the generator's shapes.

    Raises:
        ConfigError: unknown ``task`` (the message lists the known ones), or a size or ``length``
            out of range (the message names the argument and the value).

    Example:
        >>> d = make_splits("copy", length=20, n_train=4, n_val=2, n_test=3, seed=7)
        >>> {k: v[0].shape for k, v in d.items()}
        {'train': (4, 40), 'val': (2, 40), 'test': (3, 40)}
    """
    spec = get_task(task)
    sizes = {
        "train": _check_int("make_splits", "n_train", n_train, 1),
        "val": _check_int("make_splits", "n_val", n_val, 1),
        "test": _check_int("make_splits", "n_test", n_test, 1),
    }
    length = _check_int(f"make_splits(task={task!r})", "length", length, spec.min_length)
    seeds = split_seeds(seed)
    return {name: spec.generator(sizes[name], length, seed=seeds[name]) for name in sizes}
