"""Text: split text into words, map words to ids, pad id sequences.

The path of a text-classification run is ``read_labelled_texts`` -> ``WordTokenizer`` ->
``Vocabulary.build`` on the training tokens -> ``Vocabulary.encode`` -> ``pad_sequences``.
The tokenizer and the vocabulary round-trip through JSON (``to_dict`` / ``from_dict``), so a
saved run encodes new text exactly as it encoded its training set. The table readers live in
``seqlab.data.text_tables`` and are re-exported here; subword encoders in ``seqlab.data.encoders``.

Symbols used in shapes: N = number of texts, T = ``max_len``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from seqlab.data.text_tables import TextTable, empty_rows, read_labelled_texts, read_text_table
from seqlab.errors import ConfigError

__all__ = [
    "HTML_BREAK", "PAD", "PAD_TOKEN", "UNK", "UNK_TOKEN", "TextTable", "Vocabulary", "WORD_PATTERN", "WordTokenizer",
    "empty_rows", "pad_sequences", "read_labelled_texts", "read_text_table",
]

PAD, UNK = 0, 1
PAD_TOKEN, UNK_TOKEN = "<pad>", "<unk>"

# HTML line breaks, as in IMDB reviews: "<br />", "<br/>", "<br>".
HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# A word (letters, digits, underscore) with inner apostrophes or hyphens ("don't", "n't",
# "well-made"), an English clitic written apart ("'s", "'ll", as SST-2 writes them), or a run of
# one punctuation character ("!", ",", "...", "--", and the quotes around "'quoted'").
WORD_PATTERN = re.compile(r"\w+(?:['-]\w+)*|'(?:s|re|ve|d|ll|m|t)\b|([^\w\s])\1*", re.IGNORECASE)


class WordTokenizer:
    """Split text into words and punctuation marks.

    Steps: replace HTML ``<br />`` tags by spaces; lowercase (when ``lowercase``); cut
    punctuation off words, keeping inner apostrophes and hyphens (``don't``, ``well-made``),
    apostrophe clitics (``'s``) and runs of one mark (``...``) whole; split on whitespace.

    Args:
        lowercase: lowercase the text first.

    Example:
        >>> WordTokenizer()("It's GREAT,<br />isn't it?")
        ["it's", 'great', ',', "isn't", 'it', '?']
    """

    def __init__(self, lowercase: bool = True) -> None:
        self.lowercase = lowercase

    def __call__(self, text: str) -> list[str]:
        text = HTML_BREAK.sub(" ", text)
        if self.lowercase:
            text = text.lower()
        return [m.group(0) for m in WORD_PATTERN.finditer(text)]

    def to_dict(self) -> dict[str, Any]:
        """Constructor arguments, ready for JSON."""
        return {"lowercase": self.lowercase}

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> WordTokenizer:
        unknown = set(config) - {"lowercase"}
        if unknown:
            raise ConfigError(f"WordTokenizer: unknown key(s) {sorted(unknown)}; known: ['lowercase']")
        return cls(**config)


class Vocabulary:
    """A fixed map between tokens and integer ids; id 0 is padding, id 1 every unknown token.

    Build it from training tokens with ``Vocabulary.build``; tokens are ordered by frequency,
    most frequent first, ties broken alphabetically, so the same data always gives the same ids.

    Attributes:
        tokens: id -> token; ``tokens[0] == "<pad>"``, ``tokens[1] == "<unk>"``.

    Example:
        >>> vocab = Vocabulary.build([["a", "b", "a"], ["c", "b"]])
        >>> vocab.tokens
        ['<pad>', '<unk>', 'a', 'b', 'c']
        >>> vocab.encode(["b", "zzz"])
        [3, 1]
    """

    def __init__(self, tokens: Sequence[str]) -> None:
        tokens = list(tokens)
        if tokens[:2] != [PAD_TOKEN, UNK_TOKEN]:
            raise ConfigError(f"a vocabulary must start with {[PAD_TOKEN, UNK_TOKEN]}, got {tokens[:2]}")
        if len(set(tokens)) != len(tokens):
            dup = next(t for t, c in Counter(tokens).items() if c > 1)
            raise ConfigError(f"a vocabulary lists token {dup!r} twice")
        self.tokens = tokens
        self._ids = {t: i for i, t in enumerate(tokens)}

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        min_freq: int = 1,
        max_size: int | None = None,
    ) -> Vocabulary:
        """Count tokens and keep the frequent ones.

        Args:
            token_lists: tokenised texts (the training set only).
            min_freq: keep tokens seen at least this many times.
            max_size: at most this many entries, ``<pad>`` and ``<unk>`` included (as in Keras'
                ``max_tokens``); ``None`` for no limit.
        """
        if min_freq < 1:
            raise ConfigError(f"min_freq must be at least 1, got {min_freq}")
        if max_size is not None and max_size < 2:
            raise ConfigError(f"max_size must be at least 2 (<pad> and <unk>), got {max_size}")
        counts: Counter[str] = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        counts.pop(PAD_TOKEN, None)
        counts.pop(UNK_TOKEN, None)
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max_size - 2]
        return cls([PAD_TOKEN, UNK_TOKEN, *kept])

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self._ids

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of ``tokens``; tokens not in the vocabulary become ``UNK`` (1)."""
        ids = self._ids
        return [ids.get(t, UNK) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids``, padding (0) dropped."""
        return [self.tokens[i] for i in ids if i != PAD]

    def to_dict(self) -> dict[str, Any]:
        """The token list, ready for JSON."""
        return {"tokens": list(self.tokens)}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Vocabulary:
        if not isinstance(state, dict) or set(state) != {"tokens"}:
            keys = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ConfigError(f"vocabulary state must have exactly the key 'tokens', got {keys}")
        tokens = state["tokens"]
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ConfigError("vocabulary state: 'tokens' must be a list of strings")
        return cls(tokens)


_TRUNCATIONS = ("head", "tail", "head+tail")


def pad_sequences(
    id_lists: Sequence[Sequence[int]],
    max_len: int,
    truncation: str = "head",
    pad_id: int = PAD,
) -> np.ndarray:
    """Cut or pad every id sequence to ``max_len`` and stack them.

    Shorter sequences are padded on the right with ``pad_id``. Longer ones are cut:
    ``"head"`` keeps the first ``max_len`` ids, ``"tail"`` the last ``max_len``, ``"head+tail"``
    the first ``ceil(max_len / 2)`` and the last ``floor(max_len / 2)`` (Sun et al. 2019,
    "How to Fine-Tune BERT for Text Classification", found head+tail best for long reviews).

    Args:
        id_lists: N sequences of ids.
        max_len: T, the length of every output row.
        truncation: ``"head"``, ``"tail"`` or ``"head+tail"``.
        pad_id: the padding id.

    Returns:
        (N, T) int64 array.

    Example:
        >>> pad_sequences([[5, 6, 7, 8, 9], [5]], max_len=4, truncation="head+tail")
        array([[5, 6, 8, 9],
               [5, 0, 0, 0]])
    """
    if truncation not in _TRUNCATIONS:
        raise ConfigError(f"truncation must be one of {list(_TRUNCATIONS)}, got {truncation!r}")
    if not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ConfigError(f"max_len must be a positive integer, got {max_len!r}")
    out = np.full((len(id_lists), max_len), pad_id, dtype=np.int64)  # (N, T)
    n_head = (max_len + 1) // 2
    for i, ids in enumerate(id_lists):
        ids = list(ids)
        if len(ids) > max_len:
            if truncation == "head":
                ids = ids[:max_len]
            elif truncation == "tail":
                ids = ids[-max_len:]
            else:
                ids = ids[:n_head] + ids[len(ids) - (max_len - n_head) :]
        out[i, : len(ids)] = ids
    return out
