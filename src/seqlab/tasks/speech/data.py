"""A speech run's data: list and check the WAV files, split them, compute features, batch them.

``prepare_speech(SpeechData)`` reads the names of every ``.wav`` file in the folder (a name that
does not read ``{label}_{speaker}_{index}.wav`` is an error naming the file), puts index <=
``test_max_index`` (or the ``test_speakers``) in the test set, carves a seeded validation share
of each label from the rest, picks the sample rate (the training files' most common unless
given) and computes every file's features once, in memory. ``SpeechSetup.loader(split)`` serves
length-bucketed batches ``({"features": (B, T, D), "lengths": (B,)}, y)`` padded to each batch's
longest utterance.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from seqlab.data import memory
from seqlab.data.audio import FeatureSpec, common_rate, file_features, list_wavs, parse_name
from seqlab.data.batching import LengthBucketSampler, pad_batch
from seqlab.errors import DataError
from seqlab.tasks.classification import label_ids as class_ids, sort_labels
from seqlab.tasks.speech.config import SpeechData

log = logging.getLogger(__name__)
SPLITS = ("train", "val", "test")
FeatureCache = dict  # (path, FeatureSpec) -> (T, D) array; lives as long as the caller keeps it


@dataclass
class Recordings:
    """Labelled WAV files: their paths, labels, speakers and indices (from the names)."""

    files: list[Path]
    labels: list[str]
    speakers: list[str]
    indices: list[int]
    source: str

    def subset(self, idx: Sequence[int]) -> Recordings:
        return Recordings([self.files[i] for i in idx], [self.labels[i] for i in idx],
                          [self.speakers[i] for i in idx], [self.indices[i] for i in idx], self.source)

    def __len__(self) -> int:
        return len(self.files)


def read_recordings(source: str | Path) -> Recordings:
    """Every ``.wav`` of a folder (or one file), with label, speaker and index parsed from its name;
    or the Recordings lent in memory."""
    lent = memory.lookup(source)
    if lent is not None:
        return lent
    files = list_wavs(source)
    parsed = [parse_name(p) for p in files]
    return Recordings(files, [p[0] for p in parsed], [p[1] for p in parsed], [p[2] for p in parsed], str(source))


class FeatureDataset(Dataset):
    """(T, D) feature matrices, each at least one frame long, and (for training and scoring) class ids."""

    def __init__(self, feats: Sequence[np.ndarray], labels: Sequence[int] | None = None) -> None:
        if labels is not None and len(labels) != len(feats):
            raise DataError(f"{len(feats)} utterances but {len(labels)} labels")
        self.feats = [torch.as_tensor(f, dtype=torch.float32) for f in feats]
        bad = next((i for i, f in enumerate(self.feats) if f.ndim != 2 or f.shape[0] == 0), None)
        if bad is not None:
            raise DataError(f"utterance {bad}: features must be (T, D) with T >= 1, got {tuple(self.feats[bad].shape)}")
        self.labels = None if labels is None else torch.as_tensor(np.asarray(labels), dtype=torch.long)
        self.lengths = [f.shape[0] for f in self.feats]

    def __len__(self) -> int:
        return len(self.feats)

    def __getitem__(self, i: int):
        return (self.feats[i], self.labels[i]) if self.labels is not None else (self.feats[i],)


def pad_features(items: list[tuple]) -> tuple:
    """``[(feats (T_i, D), label), ...]`` -> ``({"features": (B, T, D), "lengths": (B,)}, labels (B,))``, T = max T_i."""
    return pad_batch(items, "features")


def make_loader(dataset: FeatureDataset, batch_size: int, train: bool = False) -> DataLoader:
    """Length-bucketed batches (shuffled pools in training; sorted by length for evaluation, see ``order``)."""
    sampler = LengthBucketSampler(dataset.lengths, batch_size, shuffle=train, pool_batches=20)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=pad_features)


def compute_features(files: Sequence[Path], spec: FeatureSpec, cache: FeatureCache | None = None,
                     snr_db: float | None = None, seed: int = 0) -> list[np.ndarray]:
    """(T, D) features of each file. With ``snr_db``, white noise at that SNR is added to each
    utterance first, from ``default_rng([seed, i])`` for the i-th file (so a file's noise does not
    depend on which other files are scored); noisy features are never cached."""
    out = []
    for i, path in enumerate(files):
        if snr_db is not None:
            out.append(file_features(path, spec, snr_db, np.random.default_rng([seed, i])))
            continue
        key = (str(path), spec)
        if cache is None or key not in cache:
            value = file_features(path, spec)
            if cache is None:
                out.append(value)
                continue
            cache[key] = value
        out.append(cache[key])
    return out


def label_ids(rec: Recordings, labels: list[str]) -> np.ndarray:
    """Class ids of ``rec``'s labels; a label training never saw is an error naming the file."""
    return class_ids(rec.labels, labels, lambda i: str(rec.files[i]))


def carve_validation(labels: list[str], fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, val) positions: per label, round(fraction * n) seeded picks for validation (at least one
    where the label has two files or more, none where it has one)."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for name in sorted(set(labels)):
        idx = np.flatnonzero(np.asarray(labels) == name)
        k = min(max(int(round(fraction * len(idx))), 1), len(idx) - 1)
        picked = rng.permutation(idx)
        val += picked[:k].tolist()
        train += picked[k:].tolist()
    return np.sort(np.asarray(train, dtype=np.int64)), np.sort(np.asarray(val, dtype=np.int64))


@dataclass
class Split:
    """One split: its recordings, features and class ids."""

    rec: Recordings
    feats: list[np.ndarray]
    y: np.ndarray


@dataclass
class SpeechSetup:
    """A run's data, featurised.

    Attributes:
        labels: the class names; a class id is an index into it.
        spec: the FeatureSpec every file went through.
        splits: ``train``, ``val`` and possibly ``test``.
        info: sizes, speakers and the sample rate, for the run's metrics.
    """

    data: SpeechData
    labels: list[str]
    spec: FeatureSpec
    splits: dict[str, Split]
    info: dict = field(default_factory=dict)

    def loader(self, split: str, batch_size: int, train: bool = False) -> DataLoader:
        part = self.splits[split]
        return make_loader(FeatureDataset(part.feats, part.y), batch_size, train=train)

    def preprocessing(self) -> dict:
        """What a saved run needs to featurise new audio exactly as training did (JSON-safe)."""
        return {"labels": self.labels, "features": self.spec.to_dict()}


def feature_spec(data: SpeechData, sample_rate: int) -> FeatureSpec:
    return FeatureSpec(kind=data.features, sample_rate=sample_rate, n_mels=data.n_mels, n_mfcc=data.n_mfcc,
                       deltas=data.deltas, normalize=data.normalize)


def split_recordings(rec: Recordings, data: SpeechData) -> tuple[Recordings, Recordings | None]:
    """(training files, test files or None) by speaker (``test_speakers``) or by index (``test_max_index``)."""
    if data.test_speakers is not None:
        missing = sorted(set(data.test_speakers) - set(rec.speakers))
        if missing:
            raise DataError(f"{rec.source}: test_speakers {missing} have no files (speakers: {sorted(set(rec.speakers))})")
        is_test = [s in data.test_speakers for s in rec.speakers]
    else:
        is_test = [i <= data.test_max_index for i in rec.indices]
    test = [i for i, t in enumerate(is_test) if t]
    train = [i for i, t in enumerate(is_test) if not t]
    if not train:
        raise DataError(f"{rec.source}: every file is in the test set (index <= {data.test_max_index} or a test "
                        "speaker); training needs files with a higher index")
    return rec.subset(train), (rec.subset(test) if test else None)


def prepare_speech(data: SpeechData, seed: int = 0, cache: FeatureCache | None = None) -> SpeechSetup:
    """Read, check, split and featurise ``data`` (see the module docstring)."""
    rec = read_recordings(data.path)
    train, test = split_recordings(rec, data)
    labels = sort_labels(set(train.labels))
    if len(labels) < 2:
        raise DataError(f"{data.path}: every training file has the label {labels[0]!r}; a classifier needs two "
                        "labels or more")
    train_idx, val_idx = carve_validation(train.labels, data.val_fraction, seed)
    if len(val_idx) == 0:
        raise DataError(f"{data.path}: too few training files to carve a validation set (each label has one file)")
    train, val = train.subset(train_idx), train.subset(val_idx)
    rate = data.sample_rate if data.sample_rate is not None else common_rate(train.files)
    spec = feature_spec(data, rate)
    splits = {}
    for name, part in (("train", train), ("val", val), ("test", test)):
        if part is not None:
            splits[name] = Split(part, compute_features(part.files, spec, cache), label_ids(part, labels))
    info = {"source": str(data.path), "sample_rate": rate, "feature_dim": spec.dim,
            **{f"{k}_files": len(v.rec) for k, v in splits.items()},
            "speakers": sorted(set(rec.speakers))}
    if data.test_speakers is not None:
        info["test_speakers"] = list(data.test_speakers)
    log.info("%s: %s", data.path, info)
    return SpeechSetup(data=data, labels=labels, spec=spec, splits=splits, info=info)
