"""Verified downloads into a local cache, through pooch: a file is either complete and checked, or absent.

``fetch`` is ``pooch.retrieve``: pooch streams the URL into a temporary file beside its
destination, checks the checksum and only then moves it into place, so an interrupted or corrupt
download never leaves a file that looks finished, and an older file at the destination is
replaced only by a verified one. seqlab adds its messages (what failed, and to pass a local path
instead) and keeps pooch's own log quiet. ``cached`` is what the registry calls for a remote
dataset: the cached copy if it is there (its checksum checked once per process), otherwise a
download.

Checksums are written ``"<algorithm>:<hex digest>"`` with algorithm ``md5`` or ``sha256``, as
pooch writes them. The cache folder is ``$SEQLAB_CACHE`` when set, else ``~/.cache/seqlab``.

Example:
    >>> parse_checksum("md5:8381763947C85F4BE6AC456C508460D6")
    ('md5', '8381763947c85f4be6ac456c508460d6')
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path

import pooch

from seqlab.errors import DataError

logger = logging.getLogger(__name__)

ALGORITHMS = {"md5": 32, "sha256": 64}  # name -> hex digest length
# Cached files whose checksum was checked in this process: (path, size, mtime_ns, checksum).
_VERIFIED: set[tuple[str, int, int, str]] = set()


def cache_dir() -> Path:
    """The download cache: ``$SEQLAB_CACHE`` if set, else ``~/.cache/seqlab`` (not created here)."""
    env = os.environ.get("SEQLAB_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "seqlab"


def parse_checksum(checksum: str) -> tuple[str, str]:
    """Split ``"md5:<hex>"`` or ``"sha256:<hex>"`` into (algorithm, lower-case hex digest)."""
    algorithm, _, digest = str(checksum).partition(":")
    algorithm, digest = algorithm.strip().lower(), digest.strip().lower()
    if algorithm not in ALGORITHMS or len(digest) != ALGORITHMS[algorithm] or not all(
        c in "0123456789abcdef" for c in digest
    ):
        raise DataError(
            f"checksum {checksum!r} is not 'md5:<32 hex digits>' or 'sha256:<64 hex digits>'"
        )
    return algorithm, digest


def file_checksum(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes (``"md5"`` or ``"sha256"``), by ``pooch.file_hash``."""
    return pooch.file_hash(str(path), alg=algorithm)


def fetch(url: str, checksum: str, dest: str | Path, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` and check its checksum before the file appears.

    A file already at ``dest`` with the expected checksum is kept as it is; otherwise the bytes
    go to a temporary file in ``dest``'s folder and replace ``dest`` only when their checksum
    matches (``pooch.retrieve``).

    Args:
        url: what to download (``http`` or ``https``; pooch also reads ``ftp``, ``sftp`` and ``doi``).
        checksum: ``"md5:<hex>"`` or ``"sha256:<hex>"`` of the expected bytes.
        dest: the final path; its folder is created if needed.
        timeout: seconds to wait for the server before giving up.

    Returns:
        ``dest`` as a ``Path``.

    Raises:
        DataError: the download failed (the message says to pass a local path instead), or
            the checksum differs (the message names the URL, the expected and the received
            digest; nothing is left on disk).
    """
    import requests  # pooch's HTTP client

    algorithm, expected = parse_checksum(checksum)
    dest = Path(dest)
    downloader = pooch.HTTPDownloader(timeout=timeout, progressbar=False) if url.startswith("http") else None
    try:
        with _pooch_quiet():
            pooch.retrieve(url, known_hash=f"{algorithm}:{expected}", fname=dest.name, path=dest.parent,
                           downloader=downloader)
    except ValueError as exc:  # pooch's checksum mismatch; the partial file is already gone
        got = re.search(r"but got (\w+)", str(exc))
        raise DataError(
            f"{url}: checksum mismatch, expected {algorithm} {expected}, got {got[1] if got else 'another digest'}; "
            "the download was discarded (the file may have changed upstream or been corrupted in transit)"
        ) from None
    except (requests.RequestException, OSError) as exc:
        response = getattr(exc, "response", None)
        reason = f"HTTP Error {response.status_code}: {response.reason}" if response is not None else exc
        raise DataError(
            f"could not download {url} ({reason}); check the network connection, or download "
            "the file yourself and pass its local path instead of the dataset name"
        ) from exc
    logger.info("%s is at %s (%s verified)", url, dest, algorithm)
    return dest


def cached(url: str, checksum: str, filename: str) -> Path:
    """The verified local copy of ``url`` in ``cache_dir()``, downloading it when needed.

    A cached file is hashed the first time it is used in a process; one that does not match
    (a truncated copy, an edited file) is downloaded again.

    Args:
        url: where the file is downloaded from when it is not cached.
        checksum: ``"md5:<hex>"`` or ``"sha256:<hex>"``.
        filename: the file's name inside the cache folder.

    Returns:
        The path of the verified file.

    Raises:
        DataError: as ``fetch``.
    """
    algorithm, expected = parse_checksum(checksum)
    path = cache_dir() / filename
    if path.is_file() and _stamp(path, algorithm, expected) in _VERIFIED:
        return path
    fetch(url, checksum, path)
    _VERIFIED.add(_stamp(path, algorithm, expected))
    return path


def _stamp(path: Path, algorithm: str, digest: str) -> tuple[str, int, int, str]:
    stat = path.stat()
    return str(path), stat.st_size, stat.st_mtime_ns, f"{algorithm}:{digest}"


@contextlib.contextmanager
def _pooch_quiet():
    """pooch logs every download at INFO on its own stderr handler; library code does not print."""
    log = pooch.get_logger()
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(level)
