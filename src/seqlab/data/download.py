"""Verified downloads into a local cache: a file is either complete and checked, or absent.

``fetch`` streams a URL into a temporary file beside its destination, checks the checksum and
only then renames it into place (atomic on one file system), so an interrupted or corrupt
download never leaves a file that looks finished. ``cached`` is what the registry calls for a
remote dataset: the cached copy if it is there (its checksum checked once per process),
otherwise a download.

Checksums are written ``"<algorithm>:<hex digest>"`` with algorithm ``md5`` or ``sha256``.
The cache folder is ``$SEQLAB_CACHE`` when set, else ``~/.cache/seqlab``.

Example:
    >>> parse_checksum("md5:8381763947C85F4BE6AC456C508460D6")
    ('md5', '8381763947c85f4be6ac456c508460d6')
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from seqlab.errors import DataError

logger = logging.getLogger(__name__)

_ALGORITHMS = {"md5": 32, "sha256": 64}  # name -> hex digest length
_CHUNK = 1 << 20
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
    if algorithm not in _ALGORITHMS or len(digest) != _ALGORITHMS[algorithm] or not all(
        c in "0123456789abcdef" for c in digest
    ):
        raise DataError(
            f"checksum {checksum!r} is not 'md5:<32 hex digits>' or 'sha256:<64 hex digits>'"
        )
    return algorithm, digest


def file_checksum(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes (``"md5"`` or ``"sha256"``), read in 1 MiB chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url: str, checksum: str, dest: str | Path, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` and check its checksum before the file appears.

    The bytes go to a temporary file in ``dest``'s folder, are hashed on the way, and the
    file is renamed to ``dest`` only when the checksum matches; otherwise it is deleted.

    Args:
        url: what to download (``http``, ``https`` or ``file`` URL).
        checksum: ``"md5:<hex>"`` or ``"sha256:<hex>"`` of the expected bytes.
        dest: the final path; its folder is created if needed; an existing file is replaced.
        timeout: seconds to wait for the server before giving up.

    Returns:
        ``dest`` as a ``Path``.

    Raises:
        DataError: the download failed (the message says to pass a local path instead), or
            the checksum differs (the message names the URL, the expected and the received
            digest; nothing is left on disk).
    """
    algorithm, expected = parse_checksum(checksum)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    digest = hashlib.new(algorithm)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        digest.update(chunk)
                        out.write(chunk)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                plain = isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError)
                reason = exc.reason if plain else exc
                raise DataError(
                    f"could not download {url} ({reason}); check the network connection, or download "
                    "the file yourself and pass its local path instead of the dataset name"
                ) from exc
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if got != expected:
            raise DataError(
                f"{url}: checksum mismatch, expected {algorithm} {expected}, got {got}; the download "
                "was discarded (the file may have changed upstream or been corrupted in transit)"
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("downloaded %s to %s (%s verified)", url, dest, algorithm)
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
    if path.is_file():
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns, f"{algorithm}:{expected}")
        if key in _VERIFIED:
            return path
        got = file_checksum(path, algorithm)
        if got == expected:
            _VERIFIED.add(key)
            return path
        logger.warning("%s: cached copy has %s %s, expected %s; downloading it again", path, algorithm, got, expected)
    fetch(url, checksum, path)
    stat = path.stat()
    _VERIFIED.add((str(path), stat.st_size, stat.st_mtime_ns, f"{algorithm}:{expected}"))
    return path
