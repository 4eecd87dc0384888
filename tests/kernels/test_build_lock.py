"""Loading seqlab's C++ kernels never waits on a lock without a limit: a built library loads with no
lock at all, a build lock left by a dead process is taken over, and a wait for a live build ends
with a message naming the builder."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch.utils.cpp_extension

from seqlab.kernels import native

NAME = f"{native.EXTENSION_NAME}_{native._cpu_tag()}"
FLAGS = native.FLAGS + ["-march=native"]
HOLD = ("import sys, time; from seqlab.fileio import FileLock; lock = FileLock(sys.argv[1]); "
        "assert lock.acquire(); print('held', flush=True); time.sleep(120)")


def _hold(lock: Path) -> subprocess.Popen:
    """A process that holds ``lock`` (as a build would) until it is killed."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.fixture
def kernels_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SEQLAB_KERNELS_DIR", str(tmp_path / "kernels"))
    folder = native.kernels_folder(NAME)
    folder.mkdir(parents=True)
    return folder


def test_a_built_library_loads_while_both_locks_are_taken(tmp_path, monkeypatch):
    """The issue's hang: torch's ``lock`` left by a process stopped mid-load, and a live builder
    holding ``build.lock``: a process that finds the library built loads it at once."""
    if not native.available():
        pytest.skip("no C++ compiler: the kernels are not built on this machine")
    built = native.kernels_folder(NAME) / f"{NAME}.so"  # the cache the rest of the tests use
    assert built.is_file()
    monkeypatch.setenv("SEQLAB_KERNELS_DIR", str(tmp_path / "kernels"))
    folder = native.kernels_folder(NAME)
    folder.mkdir(parents=True)
    shutil.copy2(built, folder / built.name)
    (folder / native.STAMP_FILE).write_text(
        f'{{"stamp": "{native.build_stamp(NAME, FLAGS)}", "library": "{built.name}"}}\n')
    (folder / "lock").write_text("")  # torch's FileBaton, left behind: torch itself would wait forever
    holder = _hold(folder / native.BUILD_LOCK)
    try:
        env = {**os.environ, "SEQLAB_KERNELS_DIR": str(tmp_path / "kernels"), "SEQLAB_KERNELS_LOCK_TIMEOUT": "600"}
        child = subprocess.run(
            [sys.executable, "-c", "import time; from seqlab.kernels import native; t = time.monotonic(); "
                                   "m = native.load(); print(m.__file__, time.monotonic() - t)"],
            env=env, capture_output=True, text=True, timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert child.returncode == 0, child.stderr[-2000:]
    path, seconds = child.stdout.split()
    assert Path(path) == folder / built.name and float(seconds) < 10


def test_a_build_lock_left_by_a_killed_build_is_taken_over(kernels_dir, monkeypatch):
    holder = _hold(kernels_dir / native.BUILD_LOCK)
    holder.kill()  # kill -9 in the middle of a build: the kernel drops its flock
    holder.wait()
    (kernels_dir / "lock").write_text("")  # and torch's lock file stays behind
    calls = []

    def fake_build(**kwargs):
        calls.append(kwargs["build_directory"])
        assert not (kernels_dir / "lock").exists()  # removed before torch could wait on it
        return "module"

    monkeypatch.setattr(torch.utils.cpp_extension, "load", fake_build)
    started = time.monotonic()
    assert native._build(NAME, FLAGS, False) == "module"
    assert time.monotonic() - started < 5 and calls == [str(kernels_dir)]
    assert (kernels_dir / native.STAMP_FILE).is_file() and not (kernels_dir / native.BUILD_LOCK).exists()


def test_waiting_for_a_live_build_has_a_limit_and_names_the_builder(kernels_dir, monkeypatch, caplog):
    monkeypatch.setenv("SEQLAB_KERNELS_LOCK_TIMEOUT", "1.5")
    monkeypatch.setattr(torch.utils.cpp_extension, "load",
                        lambda **kwargs: pytest.fail("built while another process held the lock"))
    holder = _hold(kernels_dir / native.BUILD_LOCK)
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="seqlab.kernels.native"), \
                pytest.raises(RuntimeError, match=rf"waiting for process {holder.pid} to build"):
            native._build(NAME, FLAGS, False)
        assert 1.4 < time.monotonic() - started < 10
        assert f"waiting for process {holder.pid}" in caplog.text
    finally:
        holder.kill()
        holder.wait()
