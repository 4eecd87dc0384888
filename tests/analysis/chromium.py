"""Headless Chromium for tests: the DOM of a page after its scripts ran, and a screenshot.

Debian's ``/usr/bin/chromium`` runs with a fresh profile in the test's tmp folder, no network
chatter and a virtual time budget, so ``load`` handlers have run before the DOM is dumped.
A missing browser fails the test (``make test`` installs it): a browser check that silently
skips proves nothing.
"""

from __future__ import annotations

import subprocess
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_S = 60


def _run(extra: list[str], path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run chromium headless on ``path`` with ``extra`` flags; AssertionError with stderr if it fails."""
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: the browser checks need Debian's chromium; "
        "`make test` installs it (or: apt-get install chromium)"
    )
    cmd = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000", *extra, Path(path).resolve().as_uri(),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr
        raise AssertionError(
            f"chromium did not finish within {TIMEOUT_S} s on {path}\n"
            f"command: {' '.join(cmd)}\nstderr:\n{(err or '')[-4000:]}"
        ) from None
    assert proc.returncode == 0, (
        f"chromium exited with {proc.returncode} on {path}\n"
        f"command: {' '.join(cmd)}\nstderr:\n{proc.stderr[-4000:]}"
    )
    return proc


def render(path: Path, tmp_path: Path) -> str:
    """The serialised DOM of ``path`` after load (``--dump-dom``)."""
    proc = _run(["--dump-dom"], path, tmp_path)
    assert "<html" in proc.stdout, f"chromium dumped no DOM for {path}\nstderr:\n{proc.stderr[-4000:]}"
    return proc.stdout


def screenshot(path: Path, tmp_path: Path) -> Path:
    """A 1200x2000 PNG screenshot of ``path``, written under ``tmp_path``."""
    png = tmp_path / "screenshot.png"
    proc = _run([f"--screenshot={png}", "--window-size=1200,2000", "--hide-scrollbars"], path, tmp_path)
    assert png.is_file() and png.stat().st_size > 0, (
        f"chromium wrote no screenshot of {path}\nstderr:\n{proc.stderr[-4000:]}"
    )
    return png


class Dom(HTMLParser):
    """Collects what the tests look at: body attributes, table rows by table id, token spans."""

    def __init__(self) -> None:
        super().__init__()
        self.body: dict[str, str | None] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.tokens: list[tuple[str, str]] = []  # (text, title)
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._tok: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "table":
            self._table = a.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "span" and "tok" in (a.get("class") or "").split():
            self._tok = a
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "span" and self._tok is not None:
            self.tokens.append(("".join(self._cell), self._tok.get("title")))
            self._tok = self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
