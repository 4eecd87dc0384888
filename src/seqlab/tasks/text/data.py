"""A text-classification run's data: read and check the texts, carve validation, fit the tokenizer, encode.

``prepare_text(TextData)`` reads the training texts (a file, a folder per label, or a built-in
name), refuses empty texts (naming file and line), carves a leak-free validation split
(:func:`seqlab.data.text_split.carve_validation`) unless a validation file is given, fits the
tokenizer on the training texts only, and encodes every split, cutting texts longer than
``max_len`` by the truncation policy (said once, with a count). ``TextSetup.dataset(split)``
serves token ids of each text's own length; batches are padded by ``data.batching``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from seqlab.data import memory
from seqlab.data.batching import LengthBucketSampler, TokenDataset, pad_collate
from seqlab.data.encoders import build_encoder, encoder_from_dict
from seqlab.data.text import TextTable, empty_rows
from seqlab.data.text_split import carve_validation
from seqlab.data.textsets import eval_split, is_text_dataset, read_text_source
from seqlab.data.vectors import read_word_vectors
from seqlab.errors import DataError
from seqlab.tasks.classification import label_ids as class_ids, sort_labels
from seqlab.tasks.text.config import TextData

log = logging.getLogger(__name__)
SPLITS = ("train", "val", "test")


def truncate(ids: list[int], max_len: int, policy: str) -> list[int]:
    """Cut ``ids`` to ``max_len``: keep the head, the tail, or the first ceil(max_len/2) and last floor(max_len/2).

    Example:
        >>> truncate([1, 2, 3, 4, 5], 4, "head+tail"), truncate([1, 2, 3], 2, "tail")
        ([1, 2, 4, 5], [2, 3])
    """
    if len(ids) <= max_len:
        return ids
    if policy == "head":
        return ids[:max_len]
    if policy == "tail":
        return ids[-max_len:]
    head = (max_len + 1) // 2
    return ids[:head] + ids[len(ids) - (max_len - head):]


@dataclass
class Encoded:
    """One split: its texts, token ids (already truncated) and class ids (or None)."""

    texts: list[str]
    ids: list[list[int]]
    y: np.ndarray | None
    where: list[str]
    source: str


@dataclass
class TextSetup:
    """A run's data, encoded with the tokenizer fitted on its training texts.

    Attributes:
        labels: the class names; a class id is an index into it.
        encoder: the fitted tokenizer (``encode``, ``to_dict``).
        splits: ``train``, ``val`` and possibly ``test`` (:class:`Encoded`).
        info: sizes and what the split dropped, for the run's metrics.
    """

    data: TextData
    labels: list[str]
    encoder: object
    splits: dict[str, Encoded]
    info: dict = field(default_factory=dict)
    vectors: np.ndarray | None = None  # (V, D) pretrained rows of the vocabulary, when data.vectors is set

    def dataset(self, split: str) -> TokenDataset:
        part = self.splits[split]
        return TokenDataset(part.ids, part.y)

    def loader(self, split: str, batch_size: int, train: bool = False) -> torch.utils.data.DataLoader:
        """Batches padded to their longest text; bucketed by length if ``data.bucketing``."""
        return make_loader(self.dataset(split), batch_size, train=train, bucketing=self.data.bucketing)

    def preprocessing(self) -> dict:
        """What a saved run needs to encode new text exactly as training did (JSON-safe)."""
        d = self.data
        return {"labels": self.labels, "encoder": self.encoder.to_dict(), "max_len": d.max_len,
                "truncation": d.truncation, "text_col": d.text_col, "label_col": d.label_col}


def make_loader(dataset: TokenDataset, batch_size: int, train: bool = False,
                bucketing: bool = True) -> torch.utils.data.DataLoader:
    sampler = LengthBucketSampler(dataset.lengths, batch_size, shuffle=train, bucketing=bucketing)
    return torch.utils.data.DataLoader(dataset, batch_sampler=sampler, collate_fn=pad_collate)


def encode_texts(texts: list[str], encoder, max_len: int, truncation: str) -> tuple[list[list[int]], int]:
    """Token ids of each text, truncated, and how many were cut; an empty encoding becomes one unknown token (id 1)."""
    ids = encoder.encode_batch(texts)
    long = sum(len(seq) > max_len for seq in ids)
    return [truncate(seq, max_len, truncation) or [encoder.unk_id] for seq in ids], long


def _say_truncated(counts: dict[str, int], totals: dict[str, int], max_len: int, truncation: str) -> None:
    if sum(counts.values()):
        parts = ", ".join(f"{k} {counts[k]} of {totals[k]}" for k in counts)
        log.warning("texts longer than max_len=%d tokens are cut by truncation=%s (%s)", max_len, truncation, parts)


def _check_nonempty(table: TextTable) -> None:
    rows = empty_rows(table)
    if rows:
        more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
        raise DataError(f"{table.where[rows[0]]}: empty text{more}; remove empty rows or fill them in")


def label_ids(table: TextTable, labels: list[str]) -> np.ndarray:
    """Class ids of ``table``'s labels; a label that training never saw is an error naming where."""
    return class_ids(table.labels, labels, lambda i: table.where[i])


def _subset(table: TextTable, idx: np.ndarray) -> TextTable:
    return TextTable(texts=[table.texts[i] for i in idx], labels=[table.labels[i] for i in idx],
                     where=[table.where[i] for i in idx], source=table.source)


def read_labelled(spec: str, data: TextData, base: Path | None, split: str = "train") -> TextTable:
    """The labelled texts of ``spec``: a file, folder or built-in name, or a TextTable lent in memory."""
    lent = memory.lookup(spec)
    table = lent if lent is not None else read_text_source(spec, split=split, text_col=data.text_col,
                                                             label_col=data.label_col, base_dir=base)
    _check_nonempty(table)
    return table


def prepare_text(data: TextData, base: Path | None = None, seed: int = 0) -> TextSetup:
    """Read, check, split and encode ``data`` (see the module docstring)."""
    train = read_labelled(data.path, data, base)
    labels = sort_labels(set(train.labels))
    if len(labels) < 2:
        raise DataError(f"{train.source}: every text has the label {labels[0]!r}; a classifier needs two labels or more")
    info: dict = {"source": train.source}
    if data.val_path is not None:
        val = read_labelled(data.val_path, data, base, split="val")
    else:
        train_idx, val_idx, dropped = carve_validation(train.texts, data.val_fraction, seed)
        train, val = _subset(train, train_idx), _subset(train, val_idx)
        info["dropped_inside_val"] = int(len(dropped))
        if len(set(train.labels)) < len(labels):
            raise DataError(f"{train.source}: after carving validation, label(s) "
                            f"{sorted(set(labels) - set(train.labels))} have no training text; add data or pass --val-path")
    test = None
    test_spec = data.test_path
    if test_spec is None and is_text_dataset(data.path) and ":" not in data.path:
        test_spec = f"{data.path}:{eval_split(data.path)}"
    if test_spec is not None:
        test = read_labelled(test_spec, data, base, split="test")
    encoder = build_encoder(data.tokenizer, train.texts, min_freq=data.min_freq, max_size=data.max_vocab,
                            vocab_size=data.vocab_size, lowercase=data.lowercase)
    splits, cut = {}, {}
    for name, table in (("train", train), ("val", val), ("test", test)):
        if table is None:
            continue
        ids, cut[name] = encode_texts(table.texts, encoder, data.max_len, data.truncation)
        splits[name] = Encoded(table.texts, ids, label_ids(table, labels), table.where, table.source)
    _say_truncated(cut, {k: len(v.texts) for k, v in splits.items()}, data.max_len, data.truncation)
    info.update({f"{k}_texts": len(v.texts) for k, v in splits.items()})
    info["vocab_size"] = encoder.vocab_size
    vectors = None
    if data.vectors is not None:
        vectors, found = read_word_vectors(resolve_path(data.vectors, base), encoder.token_list())
        info["vectors_found"] = found
        log.info("%s: %d of %d vocabulary words found", data.vectors, found, encoder.vocab_size)
    return TextSetup(data=data, labels=labels, encoder=encoder, splits=splits, info=info, vectors=vectors)


def resolve_path(path: str, base: Path | None) -> Path:
    """A user path, relative to ``base`` (a config file's folder) when given, made absolute."""
    p = Path(path).expanduser()
    return (p if p.is_absolute() or base is None else base / p).resolve()


def absolute_paths(data: TextData, base: Path | None) -> TextData:
    """``data`` with its file paths absolute (built-in names kept), so a saved config works from anywhere."""
    update = {}
    for key in ("path", "val_path", "test_path", "vectors"):
        value = getattr(data, key)
        if value is not None and not memory.is_key(value) and not (key != "vectors" and is_text_dataset(value)):
            update[key] = str(resolve_path(value, base))
    return data.model_copy(update=update)


def encode_for_run(texts: list[str], preprocessing: dict) -> list[list[int]]:
    """Token ids of new texts with a saved run's tokenizer and truncation."""
    encoder = encoder_from_dict(preprocessing["encoder"])
    ids, cut = encode_texts(texts, encoder, preprocessing["max_len"], preprocessing["truncation"])
    _say_truncated({"input": cut}, {"input": len(texts)}, preprocessing["max_len"], preprocessing["truncation"])
    return ids
