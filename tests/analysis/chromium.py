"""Headless Chromium for tests: the DOM of a page after its scripts ran, and a screenshot.

Debian's ``/usr/bin/chromium`` runs with a fresh profile in the test's tmp folder, no network
chatter and a virtual time budget, so ``load`` handlers have run before the DOM is dumped.
A missing browser fails the test (``make test`` installs it): a browser check that silently
skips proves nothing.
"""

from __future__ import annotations

import subprocess
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
