r"""A classification run's data: read and check the series, fit the normaliser, carve validation, batch.

``prepare(ClassifyData)`` reads the training file (and the ``_TEST`` file beside it, or
``test_path``), refuses what a classifier cannot use (one class, missing values, labels the
training data never shows, series of another dimension count), fits the normaliser on the
training series only and serves batches ``({"x": (B, T, D), "lengths": (B,)}, y)``, each series
padded with zeros to the batch's longest.

Normalisation (``ClassifyData.normalize``), per dimension d:

.. math::
    \text{series:}\quad \tilde{x}_{t,d} = (x_{t,d} - \mu_d(x)) / \sigma_d(x) \\
    \text{channel:}\quad \tilde{x}_{t,d} = (x_{t,d} - \mu_d(\text{train})) / \sigma_d(\text{train})

with sigma replaced by 1 where it is 0 (a constant series stays at 0).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from seqlab.data import memory
from seqlab.data.batching import pad_batch
from seqlab.data.ucr import SeriesSet, interpolate_missing, missing_positions, read_series, resolve_pair
from seqlab.errors import DataError
from seqlab.tasks.classification import label_ids as class_ids, sort_labels
from seqlab.tasks.classify.config import ClassifyData

log = logging.getLogger(__name__)


def read_checked(path: str | Path, missing: str, labelled: bool = True) -> SeriesSet:
    """Read a file and deal with values missing inside a series (``error``, ``interpolate``, or ``auto``:
    interpolate where the file declares missing values); Inf is always an error."""
    lent = memory.lookup(path)
    if lent is not None:  # series given in memory: a SeriesSet made by the estimator, copied so filling stays local
        s = dataclasses.replace(lent, series=list(lent.series), labels=lent.labels if labelled else None)
    else:  # a UCR .tsv always starts with the label column; to label new series it is read and ignored
        s = read_series(path, labelled=labelled or Path(path).suffix.lower() == ".tsv")
    if labelled and s.labels is None:
        raise DataError(f"{s.source}: the file has no class labels; a labelled file is needed here")
    filled = 0
    for i, series in enumerate(s.series):
        if np.isinf(series).any():
            step, dim = np.argwhere(np.isinf(series))[0]
            raise DataError(f"{s.where(i)}: an infinite value at step {step + 1}, dimension {dim + 1}")
        gap = missing_positions(series)
        if gap is None:
            continue
        if missing == "error" or (missing == "auto" and not s.info.get("missing_declared")):
            raise DataError(f"{s.where(i)}: a missing value (NaN or '?') at step {gap[0] + 1}, dimension "
                            f"{gap[1] + 1}; fill it in, drop the series, or pass --set data.missing=interpolate")
        s.series[i] = interpolate_missing(series)
        filled += 1
    if filled:
        log.warning("%s: missing values inside %d series filled by linear interpolation", s.source, filled)
    return s


def class_order(train: SeriesSet) -> list[str]:
    """The classes: the header's declared order when it lists every training label, else sorted
    (numerically when every label is an integer)."""
    seen = set(train.labels)
    if train.class_labels is not None and seen <= set(train.class_labels):
        return [c for c in train.class_labels if c in seen]
    return sort_labels(seen)


def label_ids(s: SeriesSet, labels: list[str]) -> np.ndarray:
    """Class ids of a file's labels; a label the training data never showed is an error naming the line."""
    return class_ids(s.labels, labels, s.where, noun="class label")


# ------------------------------------------------------------------------------------------
# Normalisation


def fit_normalizer(train: SeriesSet, mode: str) -> dict:
    """The JSON-safe normaliser state: ``{"mode", "mean", "std"}`` (mean/std per dimension for ``channel``)."""
    if mode == "auto":
        mode = "series" if train.dims == 1 else "channel"
    state = {"mode": mode, "mean": None, "std": None}
    if mode == "channel":
        steps = np.concatenate(train.series, axis=0)  # (sum T_i, D)
        std = steps.std(axis=0)
        state["mean"] = steps.mean(axis=0).tolist()
        state["std"] = np.where(std > 0, std, 1.0).tolist()
    return state


def normalize(series: np.ndarray, state: dict) -> np.ndarray:
    """One series (T, D), normalised as ``state`` says, as float32."""
    if state["mode"] == "series":
        std = series.std(axis=0)
        series = (series - series.mean(axis=0)) / np.where(std > 0, std, 1.0)
    elif state["mode"] == "channel":
        series = (series - np.asarray(state["mean"])) / np.asarray(state["std"])
    return series.astype(np.float32)


# ------------------------------------------------------------------------------------------
# Batches


class SeriesDataset(Dataset):
    """Normalised series (each (T_i, D) float32) and, for training and scoring, class ids."""

    def __init__(self, series: list[np.ndarray], y: np.ndarray | None = None) -> None:
        self.series = [torch.from_numpy(np.ascontiguousarray(s)) for s in series]
        self.y = None if y is None else torch.as_tensor(y, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.series)

    def __getitem__(self, i: int):
        return (self.series[i], self.y[i]) if self.y is not None else (self.series[i],)


def pad_series(items: list[tuple]) -> tuple:
    """``[(series (T_i, D), y), ...]`` -> ``({"x": (B, T, D), "lengths": (B,)}, y (B,))``, zeros after each end."""
    return pad_batch(items, "x")


def make_loader(dataset: SeriesDataset, batch_size: int, train: bool = False) -> DataLoader:
    """Shuffled from the torch RNG in training (which the engine reseeds each epoch); in order otherwise."""
    return DataLoader(dataset, batch_size=batch_size, shuffle=train, collate_fn=pad_series)


# ------------------------------------------------------------------------------------------
# A run's data


@dataclass
class Split:
    series: list[np.ndarray]  # normalised, each (T_i, D) float32
    y: np.ndarray  # (n,) class ids
    source: str


@dataclass
class ClassifySetup:
    """A run's data: classes, the fitted normaliser, and the ``train``, maybe ``val`` and ``test`` splits."""

    data: ClassifyData
    labels: list[str]
    dims: int
    normalizer: dict
    splits: dict[str, Split]
    info: dict = field(default_factory=dict)

    def dataset(self, split: str) -> SeriesDataset:
        part = self.splits[split]
        return SeriesDataset(part.series, part.y)

    def preprocessing(self) -> dict:
        """What a saved run needs to read and normalise new series exactly as training did (JSON-safe)."""
        return {"labels": self.labels, "dims": self.dims, "normalizer": self.normalizer,
                "missing": self.data.missing, "train_lengths": self.info["train_lengths"]}


def resolve_path(path: str, base: Path | None) -> Path | str:
    """A user path made absolute (relative to ``base`` when given); a key of data in memory as it is."""
    if memory.is_key(path):
        return path
    p = Path(path).expanduser()
    return (p if p.is_absolute() or base is None else base / p).resolve()


def stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val): ``fraction`` of each class (at least one, never a class's last series) to val."""
    rng = np.random.default_rng(seed)
    val = []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        take = min(max(1, round(fraction * len(members))), len(members) - 1)
        val.extend(members[:take].tolist())
    val_idx = np.sort(np.asarray(val, dtype=np.int64))
    return np.setdiff1d(np.arange(len(y)), val_idx), val_idx


def check_dims(s: SeriesSet, dims: int) -> None:
    bad = next((i for i, x in enumerate(s.series) if x.shape[1] != dims), None)
    if bad is not None:
        raise DataError(f"{s.where(bad)}: the series has {s.series[bad].shape[1]} dimension(s), the training "
                        f"data has {dims}")


def prepare(data: ClassifyData, base: Path | None = None, seed: int = 0) -> ClassifySetup:
    """Read, check, normalise and split ``data`` (see the module docstring)."""
    path = resolve_path(data.path, base)
    train_path, partner = (path, None) if memory.is_key(path) else resolve_pair(path)
    train = read_checked(train_path, data.missing)
    check_dims(train, train.dims)
    labels = class_order(train)
    if len(labels) < 2:
        raise DataError(f"{train.source}: every series has the label {labels[0]!r}; a classifier needs two "
                        "classes or more")
    normalizer = fit_normalizer(train, data.normalize)
    y = label_ids(train, labels)
    series = [normalize(s, normalizer) for s in train.series]
    splits: dict[str, Split] = {}
    info = {"name": train.name, "train_file": train.source, "dims": train.dims, "classes": len(labels),
            "train_lengths": [min(train.lengths), max(train.lengths)], "normalize": normalizer["mode"]}
    if data.val_fraction > 0:
        if np.bincount(y).min() < 2:
            raise DataError(f"{train.source}: a class has a single series, too few to hold one out for "
                            "validation; use val_fraction 0")
        tr, va = stratified_split(y, data.val_fraction, seed)
        splits["train"] = Split([series[i] for i in tr], y[tr], train.source)
        splits["val"] = Split([series[i] for i in va], y[va], train.source)
    else:
        splits["train"] = Split(series, y, train.source)
    test_path = resolve_path(data.test_path, base) if data.test_path is not None else partner
    if test_path is not None:
        test = read_checked(test_path, data.missing)
        check_dims(test, train.dims)
        splits["test"] = Split([normalize(s, normalizer) for s in test.series], label_ids(test, labels), test.source)
        info["test_file"] = test.source
    info.update({f"{k}_series": len(v.y) for k, v in splits.items()})
    return ClassifySetup(data=data, labels=labels, dims=train.dims, normalizer=normalizer, splits=splits, info=info)


def absolute_paths(data: ClassifyData, base: Path | None) -> ClassifyData:
    """``data`` with its file paths absolute, so a saved config works from anywhere."""
    update = {k: str(resolve_path(getattr(data, k), base)) for k in ("path", "test_path") if getattr(data, k)}
    return data.model_copy(update=update)


def series_for_run(path: str | Path, preprocessing: dict, labelled: bool) -> tuple[SeriesSet, list[np.ndarray]]:
    """A file's series read, checked and normalised as a saved run's training data was."""
    s = read_checked(path, preprocessing["missing"], labelled=labelled)
    check_dims(s, preprocessing["dims"])
    return s, [normalize(x, preprocessing["normalizer"]) for x in s.series]
