"""Files that are never half-written, locks that are never left behind.

Every write goes to a temporary file in the same folder and is renamed over the target, so a
crash leaves either the old file or the new one. A :class:`FileLock` is an ``fcntl.flock`` on a
file that records its holder's PID: the kernel drops it when the holder dies (``kill -9``
included), so a killed process never leaves a lock that others wait on, and the PID is there for
the message of whoever finds it taken. :func:`signals_deferred` makes a few renames one step
that SIGINT and SIGTERM cannot split.

This module knows nothing of seqlab's models or runs; ``models``, ``training`` and ``tasks``
build on it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from seqlab.errors import WeightsError
from seqlab.jsonsafe import json_safe

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read the process umask (os.umask can only be read by setting it)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; a plain open() would honour the umask
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(json_safe(obj), indent=2, sort_keys=False) + "\n")


def read_json(path: str | Path) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise WeightsError(f"{path}: not valid JSON ({exc})") from exc


def write_synced(path: str | Path, data: bytes) -> None:
    """Write a new file and flush it to disk (inside a folder that is itself renamed into place)."""
    with open(path, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(path, 0o666 & ~_UMASK)


def fsync_dir(path: str | Path) -> None:
    """Flush a folder's entries (the renames in it) to disk; a no-op where folders cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_dir_beside(path: str | Path) -> Path:
    """A new hidden folder next to ``path`` (same file system, so it can be renamed onto it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_UMASK)  # mkdtemp makes 0700
    return tmp


def make_dir(path: str | Path) -> Path:
    """``mkdir`` with the permissions a plain ``mkdir`` gives (the umask's), failing if it exists."""
    path = Path(path)
    path.mkdir(mode=0o777)
    return path


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends, so a handler that raises cannot cut a
    sequence of renames in two (a no-op outside the main thread, where Python runs no handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class FileLock:
    """An exclusive lock on ``path`` that records the PID of its holder.

    ``fcntl.flock`` on an open file: the kernel releases it when the holder's process ends, however
    it ends, so there is no stale lock to detect or break. The holder writes its PID into the file
    for others' messages, and removes the file on release (an acquirer checks that the file it
    locked is still the one at ``path``, so removing it is safe).

    Example:
        >>> import tempfile
        >>> lock = FileLock(Path(tempfile.mkdtemp()) / "x.lock")
        >>> lock.acquire(), FileLock(lock.path).acquire(), lock.holder() == os.getpid()
        (True, False, True)
        >>> lock.release(); lock.path.exists()
        False
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, timeout: float = 0.0, poll: float = 0.1,
                on_wait: Callable[[int | None, float], None] | None = None) -> bool:
        """Take the lock, waiting at most ``timeout`` seconds; False if another process holds it.

        ``on_wait(holder_pid, seconds_waited)`` is called before each pause (to say who is waited on).
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.path}: this lock is already held by this object")
        started = time.monotonic()
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                waited = time.monotonic() - started
                if waited >= timeout:
                    return False
                if on_wait is not None:
                    on_wait(self.holder(), waited)
                time.sleep(min(poll, max(timeout - waited, 0.0)))
                continue
            try:  # its last holder may have removed the file between our open and our flock
                current = os.stat(self.path)
                mine = os.fstat(fd)
                same = (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino)
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fd = fd
            return True

    def holder(self) -> int | None:
        """The PID written by the lock's holder (None when unknown or free)."""
        try:
            text = self.path.read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            self.path.unlink(missing_ok=True)  # while still holding it: nobody can lock the old file after
        finally:
            os.close(fd)

    def __enter__(self) -> FileLock:
        if not self.acquire():
            raise BlockingIOError(errno.EWOULDBLOCK, f"locked by PID {self.holder()}", str(self.path))
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()

