"""Built-in datasets by name, and one way to open any data file whether gzipped or not.

A built-in dataset is a file shipped unmodified inside the package (``seqlab/data/files/``, with
its licence and attribution in ``files/README.md``). ``resolve`` turns a name such as ``"etth1"``
into the path of that file, or any other string into a path on disk, so every reader accepts
either.

Example:
    >>> from seqlab.data.registry import resolve
    >>> resolve("etth1").name
    'ETTh1.csv.gz'
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TextIO

from seqlab.errors import DataError

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class BuiltinDataset:
    """A data file shipped inside the package.

    Attributes:
        filename: name of the file in ``seqlab/data/files/``.
        description: one line saying what the data is.
        source: where the original file comes from.
        licence: the licence it is redistributed under.
    """

    filename: str
    description: str
    source: str
    licence: str


BUILTIN: dict[str, BuiltinDataset] = {
    "etth1": BuiltinDataset(
        filename="ETTh1.csv.gz",
        description="Electricity Transformer Temperature, hourly, 17,420 rows x 7 columns (date + 6 loads + OT)",
        source="https://github.com/zhouhaoyi/ETDataset (Zhou et al., Informer, AAAI 2021)",
        licence="CC BY-ND 4.0, redistributed unmodified, gzip-compressed (files/ETT-LICENSE)",
    ),
}


def builtin_path(name: str) -> Path:
    """Path of the packaged file of built-in dataset ``name`` (case-insensitive)."""
    key = name.lower()
    if key not in BUILTIN:
        raise DataError(f"unknown built-in dataset '{name}'; built-in names: {', '.join(sorted(BUILTIN))}")
    resource = files("seqlab.data").joinpath("files", BUILTIN[key].filename)
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
        name_or_path: a built-in name (``"etth1"``, case-insensitive) or a path.
        base_dir: folder that a relative path is resolved against (a config file's folder,
            say); the current working directory when ``None``.

    Returns:
        The packaged file for a built-in name; otherwise the existing path.

    Raises:
        DataError: neither a built-in name nor an existing path.
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
