"""Data held in memory, handed to the same readers as files.

An estimator's ``fit(df)`` or ``predict(texts)`` lends its data for the length of the call under a
key (``memory:DataFrame-3``) that stands where a path would; each reader asks :func:`lookup` first.
So data given in memory takes the one pipeline that files take: the same checks, splits, scaler,
baselines and run directory, and its errors name the key and the row.

Example:
    >>> with lend([1, 2], "list") as key:
    ...     key.startswith("memory:list-"), lookup(key)
    (True, [1, 2])
    >>> lookup("ETTh1.csv") is None
    True
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

from seqlab.errors import DataError

PREFIX = "memory:"
_held: dict[str, object] = {}
_counter = itertools.count()
_lock = threading.Lock()


def is_key(spec: object) -> bool:
    """True for a key made by :func:`lend` (held or not)."""
    return isinstance(spec, str) and spec.startswith(PREFIX)


@contextlib.contextmanager
def lend(data: object, label: str) -> Iterator[str]:
    """Hold ``data`` under a new key while the block runs; ``label`` names it in messages."""
    with _lock:
        key = f"{PREFIX}{label}-{next(_counter)}"
        _held[key] = data
    try:
        yield key
    finally:
        with _lock:
            _held.pop(key, None)


def lookup(spec: object) -> object | None:
    """The data lent under ``spec``; None when ``spec`` is no key (a path or a name).

    Raises:
        DataError: ``spec`` is a key whose data is no longer held, as in a run fitted on data given
            in memory and later re-read from its config.
    """
    if not is_key(spec):
        return None
    with _lock:
        if spec in _held:
            return _held[spec]
    raise DataError(f"{spec}: this run was fitted on data given in memory, which is not kept with the run; "
                    "pass the data again (estimator.evaluate(data), or --data on the command line)")


def absolute(spec: str, base: Path | None = None) -> str:
    """A user path made absolute (relative to ``base`` when given), so a saved config works from
    anywhere; a key of data in memory as it is."""
    if is_key(spec):
        return spec
    path = Path(spec).expanduser()
    return str((path if path.is_absolute() or base is None else base / path).resolve())
