"""Text for language models: reading, the 90/10 split, char/word vocabularies, stream batches.

The text is read whole (UTF-8), cut once into a training part (the first ``1 - val_fraction``)
and a validation part (the rest), and turned into one id stream per part. Characters are the
tokens of a ``char`` model; a ``word`` model splits words, punctuation marks and line breaks
(``WORD`` below) so that generated text can be put back together (``TokenCodec.decode``).
The vocabulary is built from the training part only (``seqlab.data.text.Vocabulary``: id 0
padding, never used here, id 1 everything unseen).

Training batches come from ``seqlab.data.streams.stream_chunks`` (row b of every batch continues
row b of the batch before). One training epoch is a slice of that layout (``StreamSlices``), so
validation, early stopping and the wall-clock budget act several times per pass over a long text.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

from seqlab.data import memory
from seqlab.data.streams import stream_chunks
from seqlab.data.text import PAD_TOKEN, UNK, UNK_TOKEN, Vocabulary
from seqlab.errors import DataError
from seqlab.models.sequential import TensorBatches

log = logging.getLogger(__name__)

# a word (inner apostrophes and hyphens kept), a number, one punctuation mark, or a line break
WORD = re.compile(r"[^\W\d_]+(?:['\-][^\W\d_]+)*|\d+|\n|[^\w\s]")
_NO_SPACE_BEFORE = set(",.;:!?')]}")
_NO_SPACE_AFTER = set("([{")


def read_text(path: str | Path) -> str:
    """The whole text of ``path`` (UTF-8; ``\\r\\n`` read as ``\\n``).

    Raises:
        DataError: the file is missing, a folder, not UTF-8 (the line and byte are named) or empty.
    """
    lent = memory.lookup(path)
    if lent is not None:  # a string given in memory
        if not isinstance(lent, str) or not lent.strip():
            raise DataError(f"{path}: a non-empty string of text is needed, got {type(lent).__name__}")
        return lent.replace("\r\n", "\n")
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: text file not found")
    if not path.is_file():
        raise DataError(f"{path}: not a file; pass one UTF-8 text file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}: line {line} is not UTF-8 text (byte {exc.start} of the file: {exc.reason})") from None
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise DataError(f"{path}: the file is empty (no text to model)")
    return text


def split_text(text: str, val_fraction: float, source: str = "text") -> tuple[str, str]:
    """The first ``1 - val_fraction`` of ``text`` for training, the rest for validation (no shuffling:
    the validation text follows the training text, as in char-rnn and nanoGPT's Shakespeare)."""
    cut = int(len(text) * (1.0 - val_fraction))
    if cut < 1 or cut >= len(text):
        raise DataError(f"{source}: {len(text)} characters are too few to hold out {val_fraction:.0%} for validation")
    return text[:cut], text[cut:]


class TokenCodec:
    """Text <-> token ids for one level (``char`` or ``word``), with the training vocabulary.

    Example:
        >>> codec = TokenCodec.build("to be or not to be", "word")
        >>> codec.decode(codec.encode("to be, or"))
        'to be <unk> or'
    """

    def __init__(self, level: str, vocab: Vocabulary, lowercase: bool = False) -> None:
        self.level, self.vocab, self.lowercase = level, vocab, lowercase

    @classmethod
    def build(cls, train_text: str, level: str, lowercase: bool = False, min_freq: int = 1,
              max_vocab: int | None = None) -> TokenCodec:
        codec = cls(level, Vocabulary([PAD_TOKEN, UNK_TOKEN]), lowercase)
        tokens = codec.tokenize(train_text)
        if level == "char":  # every character seen once is a token: a char model has no unknowns to learn from
            codec.vocab = Vocabulary.build([tokens])
        else:
            codec.vocab = Vocabulary.build([tokens], min_freq=min_freq, max_size=max_vocab)
        return codec

    def tokenize(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        return list(text) if self.level == "char" else WORD.findall(text)

    def encode(self, text: str) -> np.ndarray:
        return np.asarray(self.vocab.encode(self.tokenize(text)), dtype=np.int64)

    def decode(self, ids) -> str:
        tokens = self.vocab.decode(int(i) for i in ids)
        if self.level == "char":
            return "".join(tokens)
        out: list[str] = []
        for tok in tokens:
            glue = (not out or out[-1] == "\n" or tok == "\n" or tok[0] in _NO_SPACE_BEFORE
                    or out[-1][-1] in _NO_SPACE_AFTER)
            out.append(tok if glue else " " + tok)
        return "".join(out)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def to_dict(self) -> dict:
        return {"level": self.level, "lowercase": self.lowercase, **self.vocab.to_dict()}

    @classmethod
    def from_dict(cls, state: dict) -> TokenCodec:
        return cls(state["level"], Vocabulary.from_dict({"tokens": state["tokens"]}), bool(state["lowercase"]))


@dataclass
class Corpus:
    """A text cut into training and validation streams of token ids, with its codec."""

    codec: TokenCodec
    train: np.ndarray  # (N_train,) int64
    val: np.ndarray  # (N_val,) int64
    val_chars: int
    source: str

    @property
    def info(self) -> dict:
        unk = float(np.mean(self.val == UNK)) if len(self.val) else 0.0
        return {"source": self.source, "level": self.codec.level, "vocab_size": self.codec.vocab_size,
                "train_tokens": int(len(self.train)), "val_tokens": int(len(self.val)),
                "val_chars": self.val_chars, "val_unknown_rate": round(unk, 6)}


def prepare_corpus(path: str | Path, level: str, val_fraction: float, *, lowercase: bool = False,
                   min_freq: int = 1, max_vocab: int | None = None, steps: int = 1) -> Corpus:
    """Read ``path``, split it and encode both parts; both must hold at least one chunk of ``steps``."""
    text = read_text(path)
    train_text, val_text = split_text(text, val_fraction, str(path))
    codec = TokenCodec.build(train_text, level, lowercase, min_freq, max_vocab)
    train, val = codec.encode(train_text), codec.encode(val_text)
    for name, ids in (("training", train), ("validation", val)):
        if len(ids) < steps + 1:
            raise DataError(f"{path}: the {name} part has {len(ids)} {level} tokens, fewer than one chunk of "
                            f"data.steps={steps} plus one; use a longer text or a smaller data.steps")
    return Corpus(codec, train, val, len(val_text), str(path))


def unigram_baseline(corpus: Corpus) -> dict:
    """The trivial model: add-one token frequencies of the training part, scored on validation.

    Returns ``{"val_loss_nats", "bpc", "train_entropy_nats"}`` (per token; bpc per character).
    """
    counts = np.bincount(corpus.train, minlength=corpus.codec.vocab_size).astype(np.float64) + 1.0
    p = counts / counts.sum()
    nats = float(-np.log(p[corpus.val]).mean())
    return {"val_loss_nats": nats, "bpc": nats * len(corpus.val) / corpus.val_chars / math.log(2),
            "train_entropy_nats": float(-(p * np.log(p)).sum())}


class StreamSlices(Sampler):
    """A batch sampler over a stream laid out by ``stream_chunks``: epoch e takes slice e mod parts
    of the ``n_batches`` batches, in order, so every epoch continues the stream where the last one
    stopped and ``parts`` epochs make one pass. Lightning calls ``set_epoch`` before each epoch on
    ``loader.batch_sampler.sampler``, which is this object itself."""

    def __init__(self, n_batches: int, batch_size: int, parts: int) -> None:
        self.batch_size, self.parts = batch_size, max(1, min(parts, n_batches))
        self.per_epoch = n_batches // self.parts
        self.epoch = 0
        self.sampler = self  # where Lightning looks for set_epoch

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.per_epoch

    def __iter__(self):
        start = (self.epoch % self.parts) * self.per_epoch
        B = self.batch_size
        for k in range(start, start + self.per_epoch):
            yield list(range(k * B, (k + 1) * B))


def train_loader(ids: np.ndarray, batch_size: int, steps: int, epoch_tokens: int | None) -> DataLoader:
    """Training batches (B, steps) of ids and next-token targets; an epoch holds about ``epoch_tokens``.
    A text too short for ``batch_size`` rows of ``steps`` gets fewer rows."""
    rows = max(1, min(batch_size, (len(ids) - 1) // steps))
    if rows < batch_size:
        log.warning("the training text holds %d tokens: %d rows of %d steps instead of %d rows",
                    len(ids), rows, steps, batch_size)
    batch_size = rows
    x, y = _chunks(ids, batch_size, steps, "training")
    n_batches = len(x) // batch_size
    parts = 1 if epoch_tokens is None else max(1, round(n_batches * batch_size * steps / epoch_tokens))
    sampler = StreamSlices(n_batches, batch_size, parts)
    return DataLoader(TensorBatches(torch.from_numpy(x), torch.from_numpy(y)), batch_sampler=sampler,
                      collate_fn=_as_batch)


def val_loader(ids: np.ndarray, batch_size: int, steps: int) -> DataLoader:
    """Validation batches laid out as in training (the epoch-end ``val_loss``), fewer rows if the text is short."""
    batch_size = max(1, min(batch_size, (len(ids) - 1) // steps))
    x, y = _chunks(ids, batch_size, steps, "validation")
    return DataLoader(TensorBatches(torch.from_numpy(x), torch.from_numpy(y)), batch_size=batch_size,
                      shuffle=False, collate_fn=_as_batch)


def scoring_batches(ids: np.ndarray, steps: int) -> list:
    """The whole stream as one row, in chunks of ``steps`` (the last one shorter): ``((ids, targets), None)``
    batches for ``engine.predict`` over ``TargetLogProb``, so every token is scored with the full
    state carried from the start of the stream."""
    x, y = torch.from_numpy(ids[:-1]), torch.from_numpy(ids[1:])
    return [((x[i:i + steps][None], y[i:i + steps][None]), None) for i in range(0, len(x), steps)]


def _chunks(ids: np.ndarray, batch_size: int, steps: int, name: str):
    try:
        return stream_chunks(ids[:-1], batch_size, steps, targets=ids[1:])
    except DataError as exc:
        raise DataError(f"the {name} part ({len(ids)} tokens): {exc}") from None


def _as_batch(batch):
    return batch
