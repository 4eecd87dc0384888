"""Long streams cut into chunks for truncated backpropagation through time (stateful training).

``stream_chunks`` splits a stream into ``batch_size`` contiguous parts, one per batch row, and
cuts each part into chunks of ``steps``; sample ``k * batch_size + b`` is chunk k of part b. Fed
in order (``shuffle=False``) with that batch size, row b of every batch continues row b of the
batch before, which is what a ``stateful=True`` layer expects: the state is carried across
chunks and the gradient stops at each chunk's start (as Keras' stateful RNNs and the
PTB language-model batching of Zaremba et al. 2014).
"""

from __future__ import annotations

import numpy as np

from seqlab.errors import DataError


def stream_chunks(stream, batch_size: int, steps: int, targets=None):
    """Lay out ``stream`` (N, ...) — and ``targets`` aligned with it — for stateful training.

    Args:
        stream: an array of N steps (N,) or (N, features).
        batch_size: parallel parts, the batch size to train with.
        steps: chunk length, the truncation of backpropagation through time.
        targets: optional (N, ...) array aligned step by step with ``stream``.

    Returns:
        ``x`` of shape (n_chunks * batch_size, steps, ...), and ``(x, y)`` if targets are given.
        The N mod (batch_size * steps) steps at the end that do not fill a chunk are dropped.
    """
    stream = np.asarray(stream)
    for name, value in (("batch_size", batch_size), ("steps", steps)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise DataError(f"stream_chunks: `{name}` must be a positive integer, got {value!r}")
    n = len(stream)
    if targets is not None and len(targets) != n:
        raise DataError(f"stream_chunks: stream has {n} steps but targets have {len(targets)}")
    per_part = n // batch_size // steps * steps  # steps of each part that fill whole chunks
    if per_part == 0:
        raise DataError(f"stream_chunks: a stream of {n} steps cannot fill {batch_size} parts of "
                        f"one {steps}-step chunk; lower batch_size or steps")

    def lay_out(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a)[: batch_size * per_part]
        parts = a.reshape(batch_size, per_part // steps, steps, *a.shape[1:])  # (B, K, steps, ...)
        return np.ascontiguousarray(parts.swapaxes(0, 1).reshape(-1, steps, *a.shape[1:]))

    x = lay_out(stream)
    return x if targets is None else (x, lay_out(targets))
