"""Text encoders: one interface from text to ids, for words and for subwords, saved as JSON.

- ``WordEncoder``: ``WordTokenizer`` + ``Vocabulary``; a word seen fewer than ``min_freq`` times
  in training, or beyond ``max_size``, becomes ``<unk>``.
- ``SubwordEncoder``: a byte-pair-encoding (``"bpe"``, Sennrich et al. 2016) or WordPiece
  (``"wordpiece"``, Schuster & Nakajima 2012, as in BERT) model of the Hugging Face
  ``tokenizers`` library, trained on the training texts. A rare word is split into known pieces
  instead of becoming ``<unk>``; only a character never seen in training is unknown.

Both normalise and split text exactly as ``WordTokenizer`` does (HTML ``<br />`` to a space,
optional lowercasing, punctuation cut off words), so ``"word"``, ``"bpe"`` and ``"wordpiece"``
differ only in what they do with a word. Ids 0 and 1 are ``<pad>`` and ``<unk>`` in every encoder.

An encoder is saved with a model through ``to_dict`` (plain JSON types) and restored with
``encoder_from_dict``; the restored encoder gives the same ids. Training is deterministic: the
same texts give the same ids.

Example:
    >>> texts = ["a good film", "a bad film", "good fun"]
    >>> word = build_encoder("word", texts)
    >>> word.tokens("A GOOD, unseen film"), word.encode("A GOOD, unseen film")
    (['a', 'good', '<unk>', '<unk>', 'film'], [2, 4, 1, 1, 3])
    >>> bpe = build_encoder("bpe", texts, vocab_size=30)
    >>> bpe.pad_id, bpe.unk_id, bpe.encode("") == []
    (0, 1, True)
    >>> encoder_from_dict(bpe.to_dict()).encode("goodfilm") == bpe.encode("goodfilm")
    True
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

from seqlab.data.text import (HTML_BREAK, PAD, PAD_TOKEN, UNK, UNK_TOKEN, WORD_PATTERN, Vocabulary,
                              WordTokenizer)
from seqlab.errors import ConfigError

ENCODER_KINDS = ("word", "bpe", "wordpiece")
_SUBWORD_KINDS = ("bpe", "wordpiece")


class TextEncoder(Protocol):
    """What every encoder offers (``WordEncoder``, ``SubwordEncoder``).

    Attributes:
        kind: ``"word"``, ``"bpe"`` or ``"wordpiece"``.
        pad_id: 0, the id that pads sequences.
        unk_id: 1, the id of anything not in the vocabulary.
        vocab_size: number of ids, ``<pad>`` and ``<unk>`` included (an embedding's row count).
    """

    kind: str
    pad_id: int
    unk_id: int

    @property
    def vocab_size(self) -> int: ...

    def tokens(self, text: str) -> list[str]:
        """The tokens ``text`` is encoded as (``"<unk>"`` where unknown)."""

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``'s tokens."""

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """``[encode(t) for t in texts]``, faster where the library allows."""

    def token_list(self) -> list[str]:
        """Every token, by id (``token_list()[0] == "<pad>"``): rows of an embedding matrix."""

    def to_dict(self) -> dict[str, Any]:
        """The whole state, in JSON types; ``encoder_from_dict`` restores it."""


class WordEncoder:
    """Words to ids: ``WordTokenizer`` then ``Vocabulary``.

    Args:
        vocabulary: the vocabulary (``Vocabulary.build`` on the training tokens).
        lowercase: the ``WordTokenizer`` option.

    Attributes:
        vocabulary: the ``Vocabulary``; ``tokenizer``: the ``WordTokenizer``.

    Example:
        >>> enc = WordEncoder.build(["the cat", "the dog"], max_size=3)
        >>> enc.token_list(), enc.encode("The cow")
        (['<pad>', '<unk>', 'the'], [2, 1])
    """

    kind = "word"
    pad_id = PAD
    unk_id = UNK

    def __init__(self, vocabulary: Vocabulary, lowercase: bool = True) -> None:
        self.vocabulary = vocabulary
        self.tokenizer = WordTokenizer(lowercase=lowercase)

    @classmethod
    def build(
        cls, texts: Sequence[str], *, min_freq: int = 1, max_size: int | None = None, lowercase: bool = True
    ) -> WordEncoder:
        """Tokenise the training ``texts`` and keep words seen ``min_freq`` times, at most
        ``max_size`` ids (``Vocabulary.build``)."""
        tokenizer = WordTokenizer(lowercase=lowercase)
        return cls(Vocabulary.build((tokenizer(t) for t in texts), min_freq=min_freq, max_size=max_size), lowercase)

    @property
    def vocab_size(self) -> int:
        return len(self.vocabulary)

    def tokens(self, text: str) -> list[str]:
        vocab = self.vocabulary
        return [t if t in vocab else UNK_TOKEN for t in self.tokenizer(text)]

    def encode(self, text: str) -> list[int]:
        return self.vocabulary.encode(self.tokenizer(text))

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.encode(t) for t in texts]

    def token_list(self) -> list[str]:
        return list(self.vocabulary.tokens)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "tokenizer": self.tokenizer.to_dict(), "vocab": self.vocabulary.to_dict()}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> WordEncoder:
        _check_keys(state, {"kind", "tokenizer", "vocab"})
        tokenizer = WordTokenizer.from_dict(state["tokenizer"])
        return cls(Vocabulary.from_dict(state["vocab"]), lowercase=tokenizer.lowercase)


def _normalizer(lowercase: bool) -> normalizers.Normalizer:
    # The patterns of WordTokenizer, in the library's (Oniguruma) syntax: the same except that
    # case-insensitivity is written inline.
    steps = [normalizers.Replace(Regex("(?i)" + HTML_BREAK.pattern), " ")]
    return normalizers.Sequence(steps + [normalizers.Lowercase()] if lowercase else steps)


def _pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    # Keep the matches of WordTokenizer's pattern (invert=True), drop what lies between (spaces).
    return pre_tokenizers.Split(Regex("(?i)" + WORD_PATTERN.pattern), behavior="removed", invert=True)


class SubwordEncoder:
    """Words split into subword pieces by a trained BPE or WordPiece model.

    Args:
        tokenizer: a ``tokenizers.Tokenizer`` whose vocabulary has ``<pad>`` at id 0 and
            ``<unk>`` at id 1 (``SubwordEncoder.build`` trains one).
        kind: ``"bpe"`` or ``"wordpiece"``.
        lowercase: whether the tokenizer lowercases (for the record; its normalizer does it).

    Example:
        >>> enc = SubwordEncoder.build(["low lower lowest", "new newer newest"], kind="wordpiece", vocab_size=40)
        >>> enc.tokens("Newest LOWER")
        ['newest', 'lower']
        >>> enc.tokens("lowerest")
        ['lower', '##e', '##st']
        >>> enc.tokens("lowly")  # "y" was never seen: WordPiece makes the whole word unknown
        ['<unk>']
    """

    pad_id = PAD
    unk_id = UNK

    def __init__(self, tokenizer: Tokenizer, kind: str, lowercase: bool = True) -> None:
        if kind not in _SUBWORD_KINDS:
            raise ConfigError(f"subword encoder kind must be one of {list(_SUBWORD_KINDS)}, got {kind!r}")
        for token, expected in ((PAD_TOKEN, PAD), (UNK_TOKEN, UNK)):
            if tokenizer.token_to_id(token) != expected:
                raise ConfigError(
                    f"subword tokenizer: {token!r} must have id {expected}, has {tokenizer.token_to_id(token)}"
                )
        self.tokenizer = tokenizer
        self.kind = kind
        self.lowercase = lowercase

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        *,
        kind: str = "bpe",
        vocab_size: int = 8000,
        min_freq: int = 1,
        lowercase: bool = True,
    ) -> SubwordEncoder:
        """Train a ``kind`` model on the training ``texts``.

        Args:
            texts: the training texts.
            kind: ``"bpe"`` or ``"wordpiece"`` (pieces after the first of a word start with ``##``).
            vocab_size: the number of ids to learn, ``<pad>`` and ``<unk>`` included; fewer when
                the texts have fewer distinct pieces, more when they have more distinct characters.
            min_freq: merge only pairs of pieces seen at least this many times.
            lowercase: lowercase the text first.
        """
        if kind not in _SUBWORD_KINDS:
            raise ConfigError(f"subword encoder kind must be one of {list(_SUBWORD_KINDS)}, got {kind!r}")
        if not isinstance(vocab_size, int) or vocab_size < 3:
            raise ConfigError(f"vocab_size must be an integer of at least 3, got {vocab_size!r}")
        if min_freq < 1:
            raise ConfigError(f"min_freq must be at least 1, got {min_freq}")
        special = [PAD_TOKEN, UNK_TOKEN]  # in this order: ids 0 and 1
        if kind == "bpe":
            model = models.BPE(unk_token=UNK_TOKEN)
            trainer = trainers.BpeTrainer(
                vocab_size=vocab_size, min_frequency=min_freq, special_tokens=special, show_progress=False
            )
        else:
            # The trainer gives each "##c" (character c inside a word) an id in the order it meets
            # them in a hash map, different in every process, and breaks ties between merges by
            # id: the vocabulary would change from run to run. Listing every "##c" first, sorted,
            # fixes those ids, and so the whole vocabulary.
            chars = set("".join(texts).lower() if lowercase else "".join(texts))
            inner = sorted("##" + c for c in chars if not c.isspace())
            model = models.WordPiece(unk_token=UNK_TOKEN)
            trainer = trainers.WordPieceTrainer(
                vocab_size=vocab_size, min_frequency=min_freq, special_tokens=special + inner, show_progress=False,
                continuing_subword_prefix="##",
            )
        training = Tokenizer(model)
        training.normalizer = _normalizer(lowercase)
        training.pre_tokenizer = _pre_tokenizer()
        training.train_from_iterator(list(texts), trainer, length=len(texts))
        # Training also registers <pad> and <unk> as "added tokens", which the library would find
        # inside any text: a review quoting "<pad>" would get the padding id. The trained model
        # alone keeps them at ids 0 and 1 without that.
        tokenizer = Tokenizer(training.model)
        tokenizer.normalizer = _normalizer(lowercase)
        tokenizer.pre_tokenizer = _pre_tokenizer()
        return cls(tokenizer, kind, lowercase)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size()

    def tokens(self, text: str) -> list[str]:
        return self.tokenizer.encode(text, add_special_tokens=False).tokens

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def token_list(self) -> list[str]:
        vocab = self.tokenizer.get_vocab()
        return sorted(vocab, key=vocab.__getitem__)

    def to_dict(self) -> dict[str, Any]:
        # The library's own JSON form (Tokenizer.to_str), kept as an object so the file stays readable.
        return {"kind": self.kind, "lowercase": self.lowercase, "tokenizer": json.loads(self.tokenizer.to_str())}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> SubwordEncoder:
        _check_keys(state, {"kind", "lowercase", "tokenizer"})
        try:
            tokenizer = Tokenizer.from_str(json.dumps(state["tokenizer"]))
        except Exception as exc:  # the library raises a bare Exception for a malformed tokenizer
            raise ConfigError(f"subword encoder: the saved tokenizer cannot be read ({exc})") from exc
        return cls(tokenizer, state["kind"], bool(state["lowercase"]))


def _check_keys(state: Any, keys: set[str]) -> None:
    if not isinstance(state, dict) or set(state) != keys:
        got = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ConfigError(f"encoder state must have exactly the keys {sorted(keys)}, got {got}")


def build_encoder(
    kind: str,
    texts: Sequence[str],
    *,
    min_freq: int = 1,
    max_size: int | None = None,
    vocab_size: int = 8000,
    lowercase: bool = True,
) -> WordEncoder | SubwordEncoder:
    """Build the encoder ``kind`` from the training ``texts``.

    Args:
        kind: ``"word"``, ``"bpe"`` or ``"wordpiece"``.
        texts: the training texts only.
        min_freq: ``"word"``: keep words seen this many times; subwords: merge pairs seen this
            many times.
        max_size: ``"word"`` only: at most this many ids, ``<pad>`` and ``<unk>`` included.
        vocab_size: ``"bpe"`` / ``"wordpiece"`` only: the number of ids to learn.
        lowercase: lowercase the text first.

    Raises:
        ConfigError: an unknown ``kind`` (the message lists the kinds) or a bad size.
    """
    if kind == "word":
        return WordEncoder.build(texts, min_freq=min_freq, max_size=max_size, lowercase=lowercase)
    if kind in _SUBWORD_KINDS:
        return SubwordEncoder.build(texts, kind=kind, vocab_size=vocab_size, min_freq=min_freq, lowercase=lowercase)
    raise ConfigError(f"unknown encoder kind {kind!r}; kinds: {', '.join(ENCODER_KINDS)}")


def encoder_from_dict(state: dict[str, Any]) -> WordEncoder | SubwordEncoder:
    """The encoder saved by ``to_dict``.

    Raises:
        ConfigError: the state is not one ``to_dict`` writes (names the problem).
    """
    kind = state.get("kind") if isinstance(state, dict) else None
    if kind == "word":
        return WordEncoder.from_dict(state)
    if kind in _SUBWORD_KINDS:
        return SubwordEncoder.from_dict(state)
    raise ConfigError(f"encoder state: 'kind' must be one of {', '.join(ENCODER_KINDS)}, got {kind!r}")
