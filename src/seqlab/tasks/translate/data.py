"""A translation run's data: read and check sentence pairs, split by source sentence, build vocabularies, encode.

``read_pairs(path)`` reads ``source<TAB>target[<TAB>...]`` lines; a line with fewer than two
columns, an empty side or bytes that are not UTF-8 is an error naming the file and line, an
empty file too. ``prepare(TranslateData)`` keeps pairs of at most ``max_words`` words on both
sides, splits the distinct source sentences into train/validation/test with ``split_seed``
(every translation of one source in one split), builds a lowercased word vocabulary for each
language from the training pairs, and encodes. Target sequences get ``<bos>`` (id 2) in front
for the decoder's input and ``<eos>`` (id 3) at the end of what it must predict.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from seqlab.data import memory
from seqlab.data.batching import LengthBucketSampler
from seqlab.data.encoders import WordEncoder, encoder_from_dict
from seqlab.data.text import PAD_TOKEN, UNK_TOKEN, Vocabulary
from seqlab.errors import DataError
from seqlab.tasks.translate.config import TranslateData
from seqlab.tasks.translate.detok import learn_surface
from seqlab.training.losses import IGNORE_ID

log = logging.getLogger(__name__)
BOS_TOKEN, EOS_TOKEN = "<bos>", "<eos>"
PAD, UNK, BOS, EOS = 0, 1, 2, 3


@dataclass
class Pairs:
    """Sentence pairs and where each came from (``file, line N``)."""

    src: list[str]
    tgt: list[str]
    where: list[str]
    source: str

    def subset(self, idx) -> Pairs:
        return Pairs([self.src[i] for i in idx], [self.tgt[i] for i in idx], [self.where[i] for i in idx], self.source)

    def __len__(self) -> int:
        return len(self.src)


def read_pairs(path: str | Path) -> Pairs:
    """Every pair of ``path``; blank lines are skipped, anything else malformed is an error naming the line."""
    lent = memory.lookup(path)
    if lent is not None:  # Pairs made from (source, target) strings by the estimator
        return lent
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found; pass a text file of 'source<TAB>target' lines")
    src, tgt, where = [], [], []
    for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}, line {number}: not UTF-8 text (byte {exc.start + 1}: {exc.reason})") from None
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) < 2:
            raise DataError(f"{path}, line {number}: expected 2 or more tab-separated columns (source, target), "
                            f"got 1: {line[:60]!r}")
        s, t = cols[0].strip(), cols[1].strip()
        if not s or not t:
            side = "source (column 1)" if not s else "target (column 2)"
            raise DataError(f"{path}, line {number}: the {side} is empty; remove the line or fill it in")
        src.append(s)
        tgt.append(t)
        where.append(f"{path}, line {number}")
    if not src:
        raise DataError(f"{path}: empty file; expected lines 'source<TAB>target'")
    return Pairs(src, tgt, where, str(path))


def split_by_source(pairs: Pairs, val_fraction: float, test_fraction: float, seed: int) -> dict[str, np.ndarray]:
    """Indices of train/val/test: the distinct (lowercased) source sentences shuffled with ``seed``
    and cut, so that all translations of one sentence land in the same split."""
    keys = [s.lower() for s in pairs.src]
    distinct = sorted(set(keys))
    if len(distinct) < 3:
        raise DataError(f"{pairs.source}: {len(distinct)} distinct source sentence(s); at least 3 are needed "
                        "for training, validation and test")
    order = np.random.default_rng(seed).permutation(len(distinct))
    n_test = max(1, round(test_fraction * len(distinct)))
    n_val = max(1, round(val_fraction * len(distinct)))
    part = np.empty(len(distinct), dtype=np.int8)
    part[order[:n_test]], part[order[n_test:n_test + n_val]], part[order[n_test + n_val:]] = 2, 1, 0
    which = dict(zip(distinct, part))
    labels = np.array([which[k] for k in keys])
    return {name: np.flatnonzero(labels == k) for k, name in enumerate(("train", "val", "test"))}


def target_encoder(texts: list[str], min_freq: int, max_size: int | None) -> WordEncoder:
    """A word encoder of the target language with ``<bos>`` (2) and ``<eos>`` (3) after ``<pad>`` and ``<unk>``."""
    base = WordEncoder.build(texts, min_freq=min_freq, max_size=None if max_size is None else max_size - 2)
    return WordEncoder(Vocabulary([PAD_TOKEN, UNK_TOKEN, BOS_TOKEN, EOS_TOKEN, *base.vocabulary.tokens[2:]]))


def encode_source(texts: list[str], encoder) -> list[list[int]]:
    """Source ids; a sentence with no tokens becomes one ``<unk>``, so every source has a step."""
    return [ids or [encoder.unk_id] for ids in encoder.encode_batch(texts)]


@dataclass
class TranslateSetup:
    """A run's data: the splits as pairs and as ids, the two encoders and the learned surface rules."""

    data: TranslateData
    splits: dict[str, Pairs]
    src_encoder: WordEncoder
    tgt_encoder: WordEncoder
    surface: dict
    info: dict = field(default_factory=dict)
    _ids: dict = field(default_factory=dict, repr=False)  # split -> encoded (source, target) ids, made once

    def ids(self, split: str) -> tuple[list[list[int]], list[list[int]]]:
        if split not in self._ids:
            part = self.splits[split]
            self._ids[split] = encode_source(part.src, self.src_encoder), self.tgt_encoder.encode_batch(part.tgt)
        return self._ids[split]

    def loader(self, split: str, batch_size: int, train: bool = False) -> DataLoader:
        return pair_loader(*self.ids(split), batch_size, train=train)

    def preprocessing(self) -> dict:
        """What a saved run needs to encode and detokenise exactly as training did (JSON-safe)."""
        longest = max(len(t) for t in self.ids("train")[1])
        return {"src_encoder": self.src_encoder.to_dict(), "tgt_encoder": self.tgt_encoder.to_dict(),
                "surface": self.surface, "max_target_tokens": longest, "max_words": self.data.max_words}


class PairDataset(Dataset):
    """Source ids and target ids of each pair (each at least one id long)."""

    def __init__(self, src: list[list[int]], tgt: list[list[int]]) -> None:
        if len(src) != len(tgt):
            raise DataError(f"{len(src)} source sentences but {len(tgt)} targets")
        self.src = [torch.as_tensor(s, dtype=torch.long) for s in src]
        self.tgt = [torch.as_tensor(t, dtype=torch.long) for t in tgt]
        self.lengths = [len(s) for s in src]

    def __len__(self) -> int:
        return len(self.src)

    def __getitem__(self, i: int):
        return self.src[i], self.tgt[i]


def collate_pairs(items: list[tuple]) -> tuple:
    """``[(src, tgt), ...]`` -> ``(({"ids": (B, S), "lengths": (B,)}, tgt_in (B, T)), tgt_out (B, T))``.

    ``tgt_in`` is ``<bos> y_1 ... y_n`` padded with 0; ``tgt_out`` is ``y_1 ... y_n <eos>`` padded
    with ``IGNORE_ID``, which the loss leaves out.
    """
    pad = torch.nn.utils.rnn.pad_sequence
    src = [s for s, _ in items]
    bos, eos = torch.tensor([BOS]), torch.tensor([EOS])
    tgt_in = pad([torch.cat([bos, t]) for _, t in items], batch_first=True, padding_value=PAD)  # (B, T)
    tgt_out = pad([torch.cat([t, eos]) for _, t in items], batch_first=True, padding_value=IGNORE_ID)  # (B, T)
    x = {"ids": pad(src, batch_first=True, padding_value=PAD), "lengths": torch.tensor([len(s) for s in src])}
    return (x, tgt_in), tgt_out


def pair_loader(src: list[list[int]], tgt: list[list[int]], batch_size: int, train: bool = False) -> DataLoader:
    """Batches of pairs of similar source length (shuffled pools in training, sorted otherwise)."""
    dataset = PairDataset(src, tgt)
    sampler = LengthBucketSampler(dataset.lengths, batch_size, shuffle=train)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_pairs)


def prepare(data: TranslateData) -> TranslateSetup:
    """Read, check, filter, split and encode ``data`` (see the module docstring)."""
    pairs = read_pairs(data.path)
    keep = [i for i, (s, t) in enumerate(zip(pairs.src, pairs.tgt))
            if len(s.split()) <= data.max_words and len(t.split()) <= data.max_words]
    if not keep:
        raise DataError(f"{pairs.source}: no pair has at most max_words={data.max_words} words on both sides")
    info = {"source": pairs.source, "pairs_read": len(pairs), "dropped_longer_than_max_words": len(pairs) - len(keep)}
    if 2 * len(keep) < len(pairs):  # the test BLEU then speaks for short sentences only: say so
        log.warning("%s: %d of %d pairs have more than max_words=%d words on a side and are left out of "
                    "training and of the test split; raise --max-words to keep them",
                    pairs.source, len(pairs) - len(keep), len(pairs), data.max_words)
    pairs = pairs.subset(keep)
    index = split_by_source(pairs, data.val_fraction, data.test_fraction, data.split_seed)
    splits = {name: pairs.subset(idx) for name, idx in index.items()}
    src_encoder = WordEncoder.build(splits["train"].src, min_freq=data.min_freq, max_size=data.max_vocab)
    tgt_encoder = target_encoder(splits["train"].tgt, data.min_freq, data.max_vocab)
    info.update({f"{k}_pairs": len(v) for k, v in splits.items()})
    info.update({"src_vocab": src_encoder.vocab_size, "tgt_vocab": tgt_encoder.vocab_size})
    return TranslateSetup(data, splits, src_encoder, tgt_encoder, learn_surface(splits["train"].tgt), info)


def encoders_from_state(state: dict) -> tuple:
    """The source and target encoders a saved run's preprocessing.json holds."""
    return encoder_from_dict(state["src_encoder"]), encoder_from_dict(state["tgt_encoder"])
