"""Carve a validation split out of training texts without leaking it back into training.

Some corpora list phrases of their sentences as texts of their own: GLUE's SST-2 training set
holds 67,349 phrases cut from 6,920 sentences, each labelled. A random validation split of such
data scores a model on phrases whose sentence, or whose sub-phrases, it trained on, and rewards
memorising (on SST-2 a BiLSTM scores 0.91 on such a split and 0.82 on the dev sentences).
``carve_validation`` splits by *root* texts instead: a root is a text that is not a contiguous
word span of another text (a whole sentence). Validation takes a random ``fraction`` of the roots,
and every other text that is a span of a validation root is dropped from training. On data
without phrases every text is a root, so this is a random split that also drops training texts
duplicating (or lying inside) a validation text.

Finding roots looks up every word span of each root among the texts (memory stays linear in the
data); when the texts would need more than ``max_spans`` lookups (long documents, such as IMDB reviews, which are not phrase lists
anyway), the split falls back to a plain random split without the span check.

Example:
    >>> texts = ["a good film", "good film", "a good", "bad", "very bad acting", "bad acting", "fine"]
    >>> train, val, dropped = carve_validation(texts, fraction=0.34, seed=1)
    >>> [texts[i] for i in val], [texts[i] for i in dropped]
    (['very bad acting'], ['bad', 'bad acting'])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_SPANS = 10_000_000


def _spans(tokens: tuple[str, ...]):
    n = len(tokens)
    return (tokens[a:b] for a in range(n) for b in range(a + 1, n + 1))


def carve_validation(texts: Sequence[str], fraction: float, seed: int = 0,
                     max_spans: int = MAX_SPANS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``(train, val, dropped)``: training texts, validation roots, and texts left out of
    training because they lie inside a validation text.

    Args:
        texts: every training text.
        fraction: the share of root texts (of all texts, in the fallback) that go to validation;
            at least one text always does.
        seed: the random draw.
        max_spans: above this many word spans to enumerate the span check is skipped (a random split).
    """
    n = len(texts)
    rng = np.random.default_rng(seed)
    tokens = [tuple(t.lower().split()) for t in texts]
    if sum(len(t) * (len(t) + 1) // 2 for t in tokens) > max_spans:
        order = rng.permutation(n)
        n_val = max(1, int(round(n * fraction)))
        return np.sort(order[n_val:]), np.sort(order[:n_val]), np.array([], dtype=int)
    where: dict[tuple[str, ...], list[int]] = {}  # each distinct text -> the rows holding it
    for i, t in enumerate(tokens):
        where.setdefault(t, []).append(i)

    def inside(i: int) -> set[int]:
        """Rows whose text is a span of row i's text (duplicates of it included), i itself excluded."""
        rows = {j for span in _spans(tokens[i]) for j in where.get(span, ())}
        rows.discard(i)
        return rows

    covered: set[int] = set()
    roots = []
    for i in sorted(range(n), key=lambda i: -len(tokens[i])):  # longest first: a root precedes its spans
        if i in covered:
            continue
        roots.append(i)
        covered |= inside(i)
    n_val = max(1, int(round(len(roots) * fraction)))
    val = np.sort(rng.choice(np.asarray(roots), size=n_val, replace=False))
    is_val = np.zeros(n, dtype=bool)
    is_val[val] = True
    dropped = sorted({j for i in val for j in inside(int(i)) if not is_val[j]})
    keep = ~is_val
    keep[dropped] = False
    return np.flatnonzero(keep), val, np.asarray(dropped, dtype=int)
