"""Variable-length batches: texts grouped by length and padded only to each batch's longest.

``LengthBucketSampler`` is a batch sampler: in training it shuffles the texts, cuts the shuffled
order into pools of ``pool_batches`` batches, sorts each pool by length and cuts it into batches,
then shuffles the batches (the "bucket iterator" of torchtext and AllenNLP). Batches then hold
texts of similar length, so little time goes into padding, while every epoch still sees a new
mix. Unshuffled (evaluation), it sorts all texts by length; ``order`` says how to put the
outputs back. Its randomness comes from the torch RNG, which the engine reseeds every epoch.

``pad_collate`` stacks a batch of ``(ids, label)`` items into ``({"ids": (B, T), "lengths": (B,)}, y)``
with T the batch's longest text.

Example:
    >>> import torch
    >>> ds = TokenDataset([[5, 6, 7], [8], [9, 10]], labels=[1, 0, 1])
    >>> sampler = LengthBucketSampler(ds.lengths, batch_size=2, shuffle=False)
    >>> loader = torch.utils.data.DataLoader(ds, batch_sampler=sampler, collate_fn=pad_collate)
    >>> x, y = next(iter(loader))
    >>> x["ids"].tolist(), x["lengths"].tolist(), y.tolist()
    ([[8, 0], [9, 10]], [1, 2], [0, 1])
    >>> sampler.order
    [1, 2, 0]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from seqlab.errors import ConfigError, DataError


class TokenDataset(Dataset):
    """Id sequences (each at least one id long) and, for training and evaluation, integer labels."""

    def __init__(self, ids: Sequence[Sequence[int]], labels: Sequence[int] | None = None) -> None:
        if labels is not None and len(labels) != len(ids):
            raise DataError(f"{len(ids)} texts but {len(labels)} labels")
        self.ids = [torch.as_tensor(list(seq), dtype=torch.long) for seq in ids]
        empty = next((i for i, seq in enumerate(self.ids) if len(seq) == 0), None)
        if empty is not None:
            raise DataError(f"text {empty} has no tokens; give it at least one id (the unknown token)")
        self.labels = None if labels is None else torch.as_tensor(np.asarray(labels), dtype=torch.long)
        self.lengths = [len(seq) for seq in self.ids]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int):
        return (self.ids[i], self.labels[i]) if self.labels is not None else (self.ids[i],)


def pad_batch(items: list[tuple], key: str) -> tuple:
    """``[(seq (T_i, ...), label), ...]`` -> ``({key: (B, T, ...), "lengths": (B,)}, labels (B,))``, zeros
    after each end; T = the longest. Unlabelled items ``[(seq,), ...]`` give ``({key, "lengths"},)``."""
    seqs = [item[0] for item in items]
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)  # (B,)
    x = {key: torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=0), "lengths": lengths}
    if len(items[0]) == 1:
        return (x,)
    return x, torch.stack([item[1] for item in items])


def pad_collate(items: list[tuple]) -> tuple:
    """``[(ids, label), ...]`` -> ``({"ids": (B, T), "lengths": (B,)}, labels (B,))``; T = the longest.

    Unlabelled items ``[(ids,), ...]`` give ``({"ids", "lengths"},)``.
    """
    return pad_batch(items, "ids")


class LengthBucketSampler(Sampler[list[int]]):
    """Batches of indices whose texts have similar lengths.

    Args:
        lengths: the length of each text.
        batch_size: texts per batch (the last batch of a pool may be smaller).
        shuffle: training order (shuffled pools, sorted inside, shuffled batches); False sorts
            everything by length, for evaluation.
        pool_batches: how many batches a pool holds; 1 turns bucketing off (random batches).
        bucketing: False gives plain batches: shuffled indices in training, file order in
            evaluation, each batch still padded only to its own longest text.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, shuffle: bool = True,
                 pool_batches: int = 50, bucketing: bool = True) -> None:
        if batch_size < 1 or pool_batches < 1:
            raise ConfigError(f"batch_size and pool_batches must be at least 1, got {batch_size}, {pool_batches}")
        self.lengths = np.asarray(lengths)
        self.batch_size, self.shuffle = batch_size, shuffle
        self.pool_batches, self.bucketing = pool_batches, bucketing
        self.order: list[int] = []  # the indices of the last pass, in the order they were yielded

    def __len__(self) -> int:
        n, b = len(self.lengths), self.batch_size
        if not (self.shuffle and self.bucketing):
            return -(-n // b)
        pool = b * self.pool_batches
        full, rest = divmod(n, pool)
        return full * self.pool_batches + -(-rest // b)

    def _batches(self) -> list[np.ndarray]:
        n, b = len(self.lengths), self.batch_size
        if not self.shuffle:
            order = np.argsort(self.lengths, kind="stable") if self.bucketing else np.arange(n)
            return [order[i:i + b] for i in range(0, n, b)]
        perm = torch.randperm(n).numpy()
        if not self.bucketing:
            return [perm[i:i + b] for i in range(0, n, b)]
        pool = b * self.pool_batches
        batches = []
        for start in range(0, n, pool):
            chunk = perm[start:start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches += [chunk[i:i + b] for i in range(0, len(chunk), b)]
        return [batches[i] for i in torch.randperm(len(batches)).tolist()]

    def __iter__(self) -> Iterator[list[int]]:
        batches = self._batches()
        self.order = [int(i) for batch in batches for i in batch]
        for batch in batches:
            yield batch.tolist()
