"""Built-in text-classification datasets by name, and one reader for a name or a path.

``read_text_source`` reads ``"sst2"``, ``"sst2:dev"``, ``"imdb:test"``, ``"ag_news"`` or any path
``read_labelled_texts`` reads, and returns a ``TextTable``.

- ``sst2`` (GLUE SST-2) is shipped inside the package, unmodified and gzip-compressed
  (``seqlab/data/files/``, attribution in ``files/README.md``). Its evaluation split is ``dev``:
  GLUE's test split has no labels.
- ``imdb`` (aclImdb) and ``ag_news`` are downloaded on first use into the cache
  (``seqlab.data.download``: checksum verified before the file appears), from their ``url`` or
  the same file names under ``$SEQLAB_DATA_URL``. The IMDB archive is extracted into a temporary
  folder, then renamed into place with a marker naming the archive's checksum: a folder that is
  there is complete.

Example:
    >>> table = read_text_source("sst2:dev")
    >>> len(table), table.labels[:3], table.source, eval_split("imdb")
    (872, ['1', '0', '1'], 'sst2:dev', 'test')
    >>> table.where[0].endswith("sst2-dev.tsv.gz:2")
    True
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from seqlab.data.download import cache_dir, cached
from seqlab.data.registry import mirror_url
from seqlab.data.text_tables import TextTable, read_labelled_texts
from seqlab.errors import DataError

_DONE = ".seqlab-extracted"  # written last into an extracted folder: the archive's checksum


@dataclass(frozen=True)
class Download:
    """A file fetched into the cache.

    Attributes:
        url: where it comes from (or its name under ``$SEQLAB_DATA_URL``).
        checksum: ``"md5:<hex>"`` or ``"sha256:<hex>"`` of its bytes.
        filename: its path inside the cache folder.
        extract: for a ``.tar.gz``: the folder at the archive's top, extracted beside it.
    """

    url: str
    checksum: str
    filename: str
    extract: str | None = None


@dataclass(frozen=True)
class TextDataset:
    """A text-classification dataset known by name.

    Attributes:
        description: one line saying what the data is.
        source: where it comes from, and what to cite.
        licence: the terms it is used under.
        splits: the split names (``"train"`` first).
        eval_split: the split a model is evaluated on (the one with labels).
        paths: one per split: a file in ``seqlab/data/files/`` (shipped) or a path in the cache.
        downloads: the remote files the paths come from; empty for a shipped dataset.
        text_col: the text column(s), joined with a space when several; None for folders.
        label_col: the label column; None for folders (the label is the subfolder).
        column_names: the columns of a headerless table.
        label_names: ``(written, name)`` pairs renaming labels (ag_news ``"1"`` -> ``"World"``).
        newline_escape: a sequence the file writes for a line break, read as a space.
    """

    description: str
    source: str
    licence: str
    splits: tuple[str, ...]
    eval_split: str
    paths: tuple[str, ...]
    downloads: tuple[Download, ...] = ()
    text_col: str | tuple[str, ...] | None = None
    label_col: str | None = None
    column_names: tuple[str, ...] | None = None
    label_names: tuple[tuple[str, str], ...] = ()
    newline_escape: str | None = None

    @property
    def remote(self) -> bool:
        """True when the data is downloaded rather than shipped."""
        return bool(self.downloads)


_AG_URL = "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv"

TEXT_DATASETS: dict[str, TextDataset] = {
    "sst2": TextDataset(
        description="GLUE SST-2: movie-review sentences and phrases, sentiment 0 (negative) / 1 (positive); "
        "train 67,349, dev 872",
        source="GLUE (Wang et al. 2019, https://gluebenchmark.com) from the Stanford Sentiment Treebank "
        "(Socher et al., EMNLP 2013, https://nlp.stanford.edu/sentiment/)",
        licence="no licence stated by GLUE or Stanford; distributed by both for research; shipped unmodified "
        "(gzip-compressed) with attribution (files/README.md)",
        splits=("train", "dev"),
        eval_split="dev",
        paths=("sst2-train.tsv.gz", "sst2-dev.tsv.gz"),
        text_col="sentence",
        label_col="label",
    ),
    "imdb": TextDataset(
        description="Large Movie Review Dataset (aclImdb v1): full IMDB reviews, pos / neg; train 25,000, "
        "test 25,000, balanced",
        source="Maas et al., 'Learning Word Vectors for Sentiment Analysis', ACL 2011, "
        "https://ai.stanford.edu/~amaas/data/sentiment/",
        licence="no licence stated; cite Maas et al. 2011; downloaded into the cache, not shipped",
        splits=("train", "test"),
        eval_split="test",
        paths=("aclImdb/train", "aclImdb/test"),
        # The md5 torchtext checks (torchtext/datasets/imdb.py).
        downloads=(Download("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
                            "md5:7c2ac02c03563afcf9b574c7e56c153a", "aclImdb_v1.tar.gz", extract="aclImdb"),),
    ),
    "ag_news": TextDataset(
        description="AG's News topic classification: title + description of news articles, 4 classes "
        "(World, Sports, Business, Sci/Tech); train 120,000, test 7,600",
        source="Zhang, Zhao & LeCun, 'Character-level Convolutional Networks for Text Classification', "
        "NeurIPS 2015; files from github.com/mhjabreel/CharCnn_Keras",
        licence="research and non-commercial use (the dataset's readme); downloaded into the cache, not shipped",
        splits=("train", "test"),
        eval_split="test",
        paths=("ag_news/train.csv", "ag_news/test.csv"),
        downloads=(Download(f"{_AG_URL}/train.csv", "md5:b1a00f826fdfbd249f79597b59e1dc12", "ag_news/train.csv"),
                   Download(f"{_AG_URL}/test.csv", "md5:d52ea96a97a2d943681189a97654912d", "ag_news/test.csv")),
        text_col=("title", "description"),
        label_col="class",
        column_names=("class", "title", "description"),
        label_names=(("1", "World"), ("2", "Sports"), ("3", "Business"), ("4", "Sci/Tech")),
        newline_escape="\\n",
    ),
}


def _dataset(name: str) -> TextDataset:
    key = name.lower()
    if key not in TEXT_DATASETS:
        raise DataError(f"unknown text dataset '{name}'; built-in text datasets: {', '.join(TEXT_DATASETS)}")
    return TEXT_DATASETS[key]


def _reference(spec: str | Path) -> tuple[str, str | None] | None:
    """``(name, split or None)`` when ``spec`` names a built-in (``"imdb"``, ``"imdb:test"``)."""
    if not isinstance(spec, str):
        return None
    name, _, split = spec.partition(":")
    return (name.lower(), split or None) if name.lower() in TEXT_DATASETS else None


def is_text_dataset(spec: str | Path) -> bool:
    """True when ``spec`` is a built-in name, with or without a split (``"sst2:dev"``)."""
    return _reference(spec) is not None


def eval_split(name: str) -> str:
    """The split built-in dataset ``name`` is evaluated on (``"dev"`` for sst2, else ``"test"``)."""
    return _dataset(name).eval_split


# --------------------------------------------------------------------------------------------
# Files of the built-ins


def _extracted(download: Download) -> Path:
    """The extracted folder of an archive download: checked, else downloaded and extracted."""
    dest = cache_dir() / download.extract
    if _complete(dest, download.checksum):
        return dest
    archive = cached(mirror_url(download.url), download.checksum, download.filename)
    extract_archive(archive, dest, download.checksum)
    return dest


def _complete(folder: Path, stamp: str) -> bool:
    marker = folder / _DONE
    return marker.is_file() and marker.read_text(encoding="utf-8") == stamp


def extract_archive(archive: Path, dest: Path, stamp: str) -> Path:
    """Extract the folder ``dest.name`` at the top of a tar archive to ``dest``, all or nothing.

    Members are extracted with tarfile's ``"data"`` filter (no absolute paths, no ``..``, no
    links out of the folder, no device files) into a temporary folder beside ``dest``; the folder
    gets a marker holding ``stamp`` and is then renamed to ``dest``. An older ``dest`` is replaced.

    Raises:
        DataError: the archive cannot be read, holds an unsafe member, or has no ``dest.name``
            folder at its top; nothing is left in ``dest``'s folder.
    """
    if not hasattr(tarfile, "data_filter"):  # Python < 3.11.4
        raise DataError(f"{archive}: extracting archives safely needs Python 3.11.4 or newer (tarfile filters)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part"))
    try:
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise DataError(
                f"{archive}: cannot extract the archive ({exc}); delete it and try again, or extract it "
                "yourself and pass the folder's path"
            ) from exc
        top = tmp / dest.name
        if not top.is_dir():
            raise DataError(f"{archive}: expected a folder '{dest.name}' at the top of the archive")
        (top / _DONE).write_text(stamp, encoding="utf-8")
        if dest.exists():
            os.replace(dest, tmp / ".older")  # moved aside, then deleted with tmp
        try:
            os.replace(top, dest)
        except OSError:
            if not _complete(dest, stamp):  # another process finished first: that copy is as good
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def dataset_path(name: str, split: str) -> Path:
    """The file or folder of ``split`` of built-in dataset ``name``, downloaded if needed.

    Raises:
        DataError: an unknown name or split (the message lists them); a download or extraction
            failed.
    """
    ds = _dataset(name)
    if split not in ds.splits:
        raise DataError(f"text dataset '{name}' has no split '{split}'; splits: {', '.join(ds.splits)}")
    rel = ds.paths[ds.splits.index(split)]
    if not ds.remote:
        path = Path(str(files("seqlab.data").joinpath("files", rel)))
        if not path.is_file():
            raise DataError(f"text dataset '{name}': packaged file {path} is missing; reinstall seqlab")
        return path
    for download in ds.downloads:
        if rel == download.filename:
            return cached(mirror_url(download.url), download.checksum, download.filename)
        if download.extract is not None and rel.split("/")[0] == download.extract:
            return _extracted(download).parent / rel
    raise DataError(f"text dataset '{name}': no download provides '{rel}'")  # a mistake in TEXT_DATASETS


# --------------------------------------------------------------------------------------------
# Reading


def _read_builtin(name: str, split: str, text_col, label_col, labelled: bool) -> TextTable:
    ds = _dataset(name)
    path = dataset_path(name, split)
    table = read_labelled_texts(
        path, text_col or ds.text_col, label_col or ds.label_col, labelled=labelled, column_names=ds.column_names
    )
    texts = table.texts
    if ds.newline_escape is not None:
        texts = [t.replace(ds.newline_escape, " ") for t in texts]
    labels = table.labels
    if labels is not None and ds.label_names:
        names = dict(ds.label_names)
        for label, where in zip(labels, table.where):
            if label not in names:
                raise DataError(f"{where}: label '{label}' is not one of {', '.join(names)} ({name})")
        labels = [names[label] for label in labels]
    return TextTable(texts=texts, labels=labels, where=table.where, source=f"{name}:{split}")


def read_text_source(
    spec: str | Path,
    *,
    split: str = "train",
    text_col: str | None = None,
    label_col: str | None = None,
    labelled: bool = True,
    base_dir: str | Path | None = None,
) -> TextTable:
    """Read a built-in text dataset, or a file or folder of texts.

    Args:
        spec: a built-in name (``"sst2"``, case-insensitive), a name and split (``"imdb:test"``,
            which overrides ``split``), or a path read by ``read_labelled_texts``. A built-in
            name wins over a file of the same name in the working folder.
        split: the split of a built-in named without one; ignored for paths.
        text_col: the text column; ``None`` for the dataset's own (built-in) or detection (path).
        label_col: the label column, likewise.
        labelled: ``False`` to read texts only.
        base_dir: the folder a relative path is resolved against (a config file's folder); the
            working folder when ``None``.

    Returns:
        A ``TextTable``; ``source`` is ``"name:split"`` for a built-in, else the path.

    Raises:
        DataError: an unknown split (listing the splits); a path that does not exist (listing
            the built-in names); anything ``read_labelled_texts`` or a download raises.
    """
    ref = _reference(spec)
    if ref is not None:
        name, named_split = ref
        return _read_builtin(name, named_split or split, text_col, label_col, labelled)
    path = Path(spec).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if not path.exists():
        raise DataError(
            f"text data '{spec}' not found: not a built-in text dataset ({', '.join(TEXT_DATASETS)}) nor an "
            f"existing file or folder (looked for {path.absolute()})"
        )
    return read_labelled_texts(path, text_col, label_col, labelled=labelled)
