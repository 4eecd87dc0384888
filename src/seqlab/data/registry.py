"""Built-in datasets by name, and one way to open any data file whether gzipped or not.

A built-in dataset is either a file shipped unmodified inside the package
(``seqlab/data/files/``, with its licence and attribution in ``files/README.md``) or a remote
file with a known checksum, downloaded once into the cache (``seqlab.data.download``).
``resolve`` turns a name such as ``"etth1"`` into the path of that file, or any other string into
a path on disk, so every reader accepts either. ``builtin_info`` gives what a task needs to read
a built-in: its timestamp column, default target and recommended ``missing`` policy.

Remote files are fetched from their ``url``; set ``SEQLAB_DATA_URL`` to a base URL to fetch the
same file names from a mirror instead (tests serve them from a local server).

Example:
    >>> from seqlab.data.registry import builtin_info, resolve
    >>> resolve("etth1").name
    'ETTh1.csv.gz'
    >>> info = builtin_info("airline")
    >>> info.timestamp_col, info.target, info.missing
    ('Month', 'Passengers', 'error')
"""

from __future__ import annotations

import gzip
import io
import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TextIO

from seqlab.data.download import cached
from seqlab.errors import DataError

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class BuiltinDataset:
    """A dataset known by name: a file shipped inside the package, or a verified download.

    Attributes:
        filename: name of the file in ``seqlab/data/files/`` (shipped) or in the cache (remote).
        description: one line saying what the data is.
        source: where the original file comes from.
        licence: the licence it is redistributed under.
        timestamp_col: the timestamp column (``read_series(timestamp_col=...)``).
        target: the column forecast by default.
        missing: the recommended ``read_series(missing=...)`` policy.
        note: why that policy, or anything else a user should know about the data.
        url: where a remote file is downloaded from; None for a shipped file.
        checksum: ``"md5:<hex>"`` or ``"sha256:<hex>"`` of a remote file's bytes.
    """

    filename: str
    description: str
    source: str
    licence: str
    timestamp_col: str | None = "date"
    target: str = "OT"
    missing: str = "error"
    note: str = ""
    url: str | None = None
    checksum: str | None = None

    @property
    def remote(self) -> bool:
        """True when the file is downloaded rather than shipped."""
        return self.url is not None


_ETT_SOURCE = "https://github.com/zhouhaoyi/ETDataset (Zhou et al., Informer, AAAI 2021)"
_ETT_LICENCE = "CC BY-ND 4.0, redistributed unmodified, gzip-compressed (files/ETT-LICENSE)"
_ETT_URL = "https://raw.githubusercontent.com/zhouhaoyi/ETDataset/main/ETT-small"
_TSDL = "jbrownlee/Datasets on GitHub, from the Time Series Data Library (R. J. Hyndman)"
_TSDL_LICENCE = (
    "no licence stated by jbrownlee/Datasets; a classic published series, redistributed "
    "unmodified, gzip-compressed, with attribution (files/README.md)"
)

# The md5 checksums of ETTm1/ETTm2 are those of darts (unit8co/darts, darts/datasets/__init__.py,
# ETTm1Dataset / ETTm2Dataset, hash=...). darts' ETTh1 and ETTh2 hashes equal the md5 of the
# unmodified ETDataset files shipped here (tests/data/test_registry.py checks it), so its ETTm
# hashes are taken to be those of the same ETDataset files; other code downloading
# ETDataset/main/ETT-small/ETTm1.csv directly uses the same md5. Expected sizes: ETTm1.csv
# 10,360,719 bytes, ETTm2.csv 9,677,236 bytes (69,680 rows each).
BUILTIN: dict[str, BuiltinDataset] = {
    "etth1": BuiltinDataset(
        filename="ETTh1.csv.gz",
        description="Electricity Transformer Temperature, hourly, 17,420 rows x 7 columns (date + 6 loads + OT)",
        source=_ETT_SOURCE,
        licence=_ETT_LICENCE,
    ),
    "etth2": BuiltinDataset(
        filename="ETTh2.csv.gz",
        description="Electricity Transformer Temperature, transformer 2, hourly, 17,420 rows x 7 columns",
        source=_ETT_SOURCE,
        licence=_ETT_LICENCE,
    ),
    "ettm1": BuiltinDataset(
        filename="ETTm1.csv",
        description="Electricity Transformer Temperature, transformer 1, every 15 minutes, 69,680 rows x 7 columns",
        source=_ETT_SOURCE,
        licence="CC BY-ND 4.0; downloaded unmodified into the cache, not shipped",
        url=f"{_ETT_URL}/ETTm1.csv",
        checksum="md5:82d6bd89109c63d075d99c1077b33f38",
    ),
    "ettm2": BuiltinDataset(
        filename="ETTm2.csv",
        description="Electricity Transformer Temperature, transformer 2, every 15 minutes, 69,680 rows x 7 columns",
        source=_ETT_SOURCE,
        licence="CC BY-ND 4.0; downloaded unmodified into the cache, not shipped",
        url=f"{_ETT_URL}/ETTm2.csv",
        checksum="md5:7687e47825335860bf58bccb31be0c56",
    ),
    "airline": BuiltinDataset(
        filename="airline-passengers.csv.gz",
        description="International airline passengers, monthly totals in thousands, 1949-1960, 144 rows",
        source=f"{_TSDL}; Box, Jenkins & Reinsel, Time Series Analysis (series G)",
        licence=_TSDL_LICENCE,
        timestamp_col="Month",
        target="Passengers",
    ),
    "sunspots": BuiltinDataset(
        filename="monthly-sunspots.csv.gz",
        description="Zurich monthly mean sunspot numbers, 1749-1983, 2,820 rows",
        source=f"{_TSDL}; Andrews & Herzberg, Data (1985)",
        licence=_TSDL_LICENCE,
        timestamp_col="Month",
        target="Sunspots",
    ),
    "melbourne-temp": BuiltinDataset(
        filename="daily-min-temperatures.csv.gz",
        description="Daily minimum temperature in Melbourne, Australia, 1981-1990, 3,650 rows",
        source=f"{_TSDL}; Australian Bureau of Meteorology",
        licence=_TSDL_LICENCE,
        timestamp_col="Date",
        target="Temp",
        missing="interpolate",
        note=(
            "two days are absent from the file (1984-12-31 and 1988-12-31, the last days of two "
            "leap years); missing='interpolate' inserts them, giving a regular daily series of 3,652 rows"
        ),
    ),
}


def builtin_info(name: str) -> BuiltinDataset:
    """What is known about built-in dataset ``name`` (case-insensitive), without opening it.

    Raises:
        DataError: not a built-in name (the message lists them).
    """
    key = name.lower()
    if key not in BUILTIN:
        raise DataError(f"unknown built-in dataset '{name}'; built-in names: {', '.join(sorted(BUILTIN))}")
    return BUILTIN[key]


def mirror_url(url: str) -> str:
    """``url``, or the same file name under ``$SEQLAB_DATA_URL`` when that is set
    (``https://host/data/train.csv`` -> ``$SEQLAB_DATA_URL/train.csv``)."""
    base = os.environ.get("SEQLAB_DATA_URL")
    return f"{base.rstrip('/')}/{url.rsplit('/', 1)[1]}" if base else url


def download_url(info: BuiltinDataset) -> str:
    """Where a remote dataset is fetched from: its ``url``, or the same file name under
    ``$SEQLAB_DATA_URL`` when that is set."""
    if info.url is None:
        raise DataError(f"built-in dataset file '{info.filename}' is shipped, not downloaded")
    return mirror_url(info.url)


def builtin_path(name: str) -> Path:
    """Path of the file of built-in dataset ``name`` (case-insensitive).

    A shipped file is returned from the package; a remote one from the cache, downloaded and
    verified first if it is not there (``seqlab.data.download.cached``).
    """
    info = builtin_info(name)
    if info.remote:
        if info.checksum is None:
            raise DataError(f"built-in dataset '{name}' is remote but has no checksum; refusing to download it")
        return cached(download_url(info), info.checksum, info.filename)
    resource = files("seqlab.data").joinpath("files", info.filename)
    # An installed wheel or an editable install puts the package on disk, so the resource is a
    # real path; only a zipped import would not be, and nothing in seqlab supports that.
    path = Path(str(resource))
    if not path.is_file():
        raise DataError(
            f"built-in dataset '{name}': packaged file {path} is missing; reinstall seqlab "
            "(package data 'data/files/*' was not installed)"
        )
    return path


def resolve(name_or_path: str | Path, base_dir: Path | None = None) -> Path:
    """Turn a built-in dataset name or a path into the path of an existing file or folder.

    Args:
        name_or_path: a built-in name (``"etth1"``, case-insensitive) or a path. A remote
            built-in (``"ettm1"``) is downloaded into the cache on first use.
        base_dir: folder that a relative path is resolved against (a config file's folder,
            say); the current working directory when ``None``.

    Returns:
        The packaged or cached file for a built-in name; otherwise the existing path.

    Raises:
        DataError: neither a built-in name nor an existing path; a remote built-in could not be
            downloaded or failed its checksum.
    """
    text = str(name_or_path)
    if isinstance(name_or_path, str) and text.lower() in BUILTIN:
        return builtin_path(text)
    path = Path(text).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if path.exists():
        return path
    raise DataError(
        f"dataset '{text}' not found: not a built-in name ({', '.join(sorted(BUILTIN))}) nor an existing path "
        f"(looked for {path.absolute()})"
    )


def is_gzip(path: str | Path) -> bool:
    """True when the file starts with the gzip magic bytes (whatever its suffix)."""
    with open(path, "rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def open_binary(path: str | Path) -> io.BufferedIOBase:
    """Open ``path`` for reading bytes, decompressing gzip transparently (detected by content)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    if is_gzip(path):
        return gzip.open(path, "rb")
    return open(path, "rb")


def open_text(path: str | Path, encoding: str = "utf-8") -> TextIO:
    """Open ``path`` for reading text, decompressing gzip transparently (detected by content).

    Newlines are passed through untranslated (``newline=""``), as the ``csv`` module expects.
    """
    return io.TextIOWrapper(open_binary(path), encoding=encoding, newline="")
