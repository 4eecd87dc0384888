"""Run directories shared by every task: check the target, lock it, train beside it, move it into place.

A run writes into a staging folder beside ``out``, ``.<name>.partial``, and renames it to ``out``
once it is complete. Around that:

- a **manifest** (``seqlab-run.json``, format ``seqlab.run/2``) marks every folder seqlab writes;
  ``--overwrite`` replaces only a folder that holds one, never anything else;
- a **lock** (``.<name>.lock`` beside ``out``, an ``flock`` that records its holder's PID) is held
  from the start of the run to the rename, so a second writer into the same ``out`` fails at once
  and names the process it would collide with; the kernel drops the lock of a killed process;
- the staging folder has a **fixed name**, so a run killed by ``kill -9`` (or stopped by SIGTERM or
  Ctrl-C, which keep it on purpose) is found again: ``--resume`` continues it from its last
  checkpoint, ``--overwrite`` discards it, and a plain run refuses to start until one is chosen.
  A run that fails with an error is removed, so an error leaves the disk as it was.

``runs/<time>-<pid>`` names a run that was given no ``--out`` (:func:`default_run_dir`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import yaml

from seqlab.errors import RunDirError
from seqlab.fileio import FileLock, fsync_dir, read_json, signals_deferred, temp_dir_beside, write_json
from seqlab.models import io
from seqlab.training.checkpoint import CHECKPOINT_DIR, checkpoint_dir, epochs_completed, resuming

log = logging.getLogger(__name__)

CONFIG_FILE = "config.yaml"
MODEL_FILE, WEIGHTS_FILE, PREPROCESSING_FILE = "model.json", "weights.safetensors", "preprocessing.json"
MANIFEST_FILE, MANIFEST_FORMAT = "seqlab-run.json", "seqlab.run/2"


def is_main_process() -> bool:
    """False in the other ranks of a DDP run (Lightning's launcher, torchrun or SLURM)."""
    for key in ("RANK", "LOCAL_RANK", "SLURM_PROCID"):
        if os.environ.get(key, "").isdigit():
            return int(os.environ[key]) == 0
    return True


# --------------------------------------------------------------------------------------------
# Names: where a run goes, where it is staged, what locks it


def run_path(out: str | Path) -> Path:
    """``out`` checked as a place a run directory can be created at (returned as given).

    Raises:
        RunDirError: ``out`` is the current folder or one above it (it cannot be replaced by a
            rename), or a file stands where one of its parent folders would be.
    """
    out = Path(out)
    full = Path(os.path.abspath(out))
    cwd = Path.cwd()
    if full == cwd or full in cwd.parents:
        raise RunDirError(f"--out {out}: that is the current folder{' or one above it' if full != cwd else ''}; "
                          "a run directory must be a folder of its own, e.g. --out runs/first")
    for parent in full.parents:
        if parent.exists():
            if not parent.is_dir():
                raise RunDirError(f"--out {out}: {parent} is a file, so no folder can be made below it; "
                                  "choose another --out")
            break
    return out


def _full(out: Path) -> Path:
    return Path(os.path.abspath(out))


def staging_dir(out: str | Path) -> Path:
    """The folder a run of ``out`` is written in until it is complete: ``.<name>.partial`` beside it."""
    full = _full(Path(out))
    return full.parent / f".{full.name}.partial"


def lock_file(out: str | Path) -> Path:
    """The lock a writer of ``out`` holds: ``.<name>.lock`` beside it."""
    full = _full(Path(out))
    return full.parent / f".{full.name}.lock"


def default_run_dir(root: str | Path = "runs") -> Path:
    """``runs/<YYYYmmdd-HHMMSS>-<pid>``: distinct for two processes started in the same second,
    and for two runs of one process (a suffix is added while the name is taken)."""
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    for n in range(1, 1000):
        out = Path(root) / (base if n == 1 else f"{base}-{n}")
        if not any(p.exists() for p in (out, staging_dir(out), lock_file(out))):
            return out
    raise RunDirError(f"{root}: no free run name for {base}; pass --out")


# --------------------------------------------------------------------------------------------
# Manifests: what seqlab wrote


def is_seqlab_dir(path: str | Path) -> bool:
    """Whether ``path`` is a folder with a seqlab manifest (a folder seqlab wrote)."""
    manifest = Path(path) / MANIFEST_FILE
    if not manifest.is_file():
        return False
    try:
        data = read_json(manifest)
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and str(data.get("format", "")).startswith("seqlab.run/")


def _write_manifest(folder: Path, status: str, **fields) -> None:
    path = folder / MANIFEST_FILE
    try:
        old = read_json(path) if path.is_file() else {}
    except (OSError, ValueError):
        old = {}
    data = {**old, "format": MANIFEST_FORMAT, "status": status, **fields}
    data.setdefault("created", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    data.update(updated=time.strftime("%Y-%m-%dT%H:%M:%S%z"), pid=os.getpid(), host=socket.gethostname(),
                command=sys.argv)
    write_json(path, data)


# --------------------------------------------------------------------------------------------
# Checks: before any work, and again under the lock


def check_out(out: Path, overwrite: bool, resume_hint: bool = True, resume: bool = False) -> None:
    """Refuse to write ``out`` unless it is new, empty, or a run directory seqlab wrote and
    ``overwrite`` is set; also when another process holds it or an interrupted run of it waits.
    With ``resume``: refuse unless there is a run of ``out`` to continue.

    Called before the data is read, so that a refusal costs nothing; :func:`staged_run` checks
    again under the lock.
    """
    out = run_path(out)
    probe = FileLock(lock_file(out))
    if probe.path.exists():  # first: a live run's staging folder is not an interrupted one
        if not probe.acquire():
            raise RunDirError(_locked_message(out, probe))
        probe.release()
    partial = staging_dir(out)
    if resume:
        if not partial.is_dir() and checkpoint_dir(out) is None:
            raise RunDirError(f"{out}: nothing to resume (no {CHECKPOINT_DIR}/ in it and no interrupted run at "
                              f"{partial}); train it without --resume")
    else:
        _check_target(out, overwrite, resume_hint)
        if partial.exists() and not overwrite:
            raise RunDirError(_interrupted_message(out, partial, resume_hint))


def _check_target(out: Path, overwrite: bool, resume_hint: bool) -> None:
    if out.exists() and not out.is_dir():
        raise RunDirError(f"{out}: exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            hint = " or --resume to continue it" if resume_hint and checkpoint_dir(out) is not None else ""
            raise RunDirError(f"{out}: run directory already exists; pass --overwrite to replace it{hint}")
        if not is_seqlab_dir(out):
            raise RunDirError(f"{out}: --overwrite replaces run directories only, and this folder has no "
                              f"{MANIFEST_FILE} (seqlab did not write it, or wrote it before runs were marked); "
                              "choose another --out, or delete the folder yourself")


def _interrupted_message(out: Path, partial: Path, resume_hint: bool) -> str:
    resume = "--resume to continue it or " if resume_hint else ""
    return (f"{out}: an interrupted run of it is kept in {partial}; pass {resume}--overwrite to discard it")


def _locked_message(out: Path, lock: FileLock) -> str:
    pid = lock.holder()
    who = f"process {pid}" if pid is not None else "another process"
    return (f"{out}: {who} is writing this run directory (lock {lock.path}); wait for it to finish "
            "or choose another --out")


# --------------------------------------------------------------------------------------------
# Writing a run


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[FileLock]:
    """Hold the lock of ``out`` for the block; RunDirError at once if another process holds it."""
    full = _full(out)
    try:
        full.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunDirError(f"--out {out}: cannot create {full.parent} ({exc.strerror}); choose another --out") from None
    lock = FileLock(lock_file(out))
    if not lock.acquire():
        raise RunDirError(_locked_message(out, lock))
    try:
        yield lock
    finally:
        lock.release()


@contextlib.contextmanager
def staged_run(out: str | Path, overwrite: bool | None = None, resume: bool | None = None) -> Iterator[Path]:
    """The folder to write the run of ``out`` into, under ``out``'s lock; it replaces ``out`` when
    the block ends normally.

    Args:
        out: the run directory.
        overwrite: replace a finished run there (one with a manifest) and discard an interrupted
            one. None: the caller has already decided with :func:`check_out` (a writer that
            cannot resume); a folder without a manifest is still never replaced.
        resume: continue the interrupted run of ``out`` (or a finished one: it is copied aside
            and trained further); ``engine.fit`` into the yielded folder then starts from its
            last checkpoint. False: a new run that can be resumed if it is stopped. None: a writer
            that cannot resume (a comparison, an analysis).

    When the block raises an error (``Exception``), a new staging folder is removed and ``out`` is
    left as it was. When it is interrupted (SIGTERM, Ctrl-C: a ``BaseException``), a resumable run
    that has a checkpoint is kept for ``--resume``.
    """
    out = run_path(out)
    allow = overwrite is not False
    with run_lock(out):
        partial = staging_dir(out)
        if resume:
            work, created = _resume_work(out, partial)
        else:
            _check_target(out, allow, resume is not None)
            if partial.exists():
                if not allow:
                    raise RunDirError(_interrupted_message(out, partial, resume is not None))
                _discard(partial)
            work, created = _new_work(partial), True
        original_epochs = _config_epochs(work / CONFIG_FILE)
        try:
            with resuming(work) if resume else contextlib.nullcontext():
                yield work
        except Exception:
            if created:
                shutil.rmtree(work, ignore_errors=True)
            raise
        except BaseException:
            if resume is not None and checkpoint_dir(work) is not None:
                log.warning("%s: interrupted; the run so far (%s epochs) is kept in %s: run the same command "
                            "with --resume to continue it, or with --overwrite to start again",
                            out, epochs_completed(work), work)
            elif created or resume is None:
                shutil.rmtree(work, ignore_errors=True)
            raise
        if resume:
            _keep_epochs(work / CONFIG_FILE, original_epochs)
        _write_manifest(work, "complete")
        replace_run(work, out)


def _new_work(partial: Path) -> Path:
    """The staging folder, made with its manifest in it (built aside, then renamed: never unmarked)."""
    try:
        folder = temp_dir_beside(partial)
        _write_manifest(folder, "running")
        os.rename(folder, partial)
    except OSError as exc:
        raise RunDirError(f"{partial}: cannot create the run's staging folder ({exc.strerror})") from None
    return partial


def _resume_work(out: Path, partial: Path) -> tuple[Path, bool]:
    """The folder a resumed run continues in, and whether it was made now (a copy of ``out``)."""
    if partial.is_dir():
        if not is_seqlab_dir(partial):
            raise RunDirError(f"{partial}: not a folder seqlab staged (no {MANIFEST_FILE}); move it away first")
        _write_manifest(partial, "running")
        return partial, False
    if out.is_dir() and checkpoint_dir(out) is not None:
        # a finished run trained further: on a copy, so that out stays whole until the new run is
        shutil.copytree(out, partial, symlinks=True)
        _write_manifest(partial, "running", resumed_from=str(out))
        return partial, True
    raise RunDirError(f"{out}: nothing to resume (no {CHECKPOINT_DIR}/ in it and no interrupted run at {partial}); "
                      "train it without --resume")


def _discard(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        return
    if not is_seqlab_dir(folder):
        raise RunDirError(f"{folder}: not a folder seqlab staged (no {MANIFEST_FILE}); move it away first")
    shutil.rmtree(folder)


def _config_epochs(path: Path) -> int | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return int(data["train"]["epochs"])
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
        return None


def _keep_epochs(path: Path, original: int | None) -> None:
    """After a resume, ``train.epochs`` in config.yaml says how far the run went: a smaller value
    given on ``--resume`` (which trains nothing) leaves the original, or the epochs completed."""
    requested = _config_epochs(path)
    done = epochs_completed(path.parent)
    if requested is None or done is None or requested >= done:
        return
    keep = original if original is not None and original >= done else done
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["train"]["epochs"] = keep
    io.atomic_write_text(path, yaml.safe_dump(data, sort_keys=False))
    log.info("%s: train.epochs stays %d (%d epochs ran; --resume asked for %d)", path, keep, done, requested)


def replace_run(new: Path, out: Path) -> None:
    """Move the finished run ``new`` to ``out``, replacing an old run there only after it is in place."""
    out = Path(out)
    old = None
    with signals_deferred():
        if out.exists():
            old = temp_dir_beside(out)
            os.replace(out, old / out.name)
        os.replace(new, out)
        fsync_dir(_full(out).parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def resume_source(out: str | Path) -> Path:
    """Where the run to resume of ``out`` is: its interrupted staging folder, else ``out`` itself."""
    partial = staging_dir(out)
    return partial if partial.is_dir() else Path(out)


# --------------------------------------------------------------------------------------------
# Single output files (predictions, reports)


def check_output_file(path: str | Path, overwrite: bool, option: str = "--out") -> Path:
    """``path`` checked as a file to write: not a folder, not below a file, and new unless ``overwrite``."""
    path = Path(path)
    if path.is_dir():
        raise RunDirError(f"{option} {path}: is a folder; name the file to write, e.g. {path / 'out'}")
    for parent in _full(path).parents:
        if parent.exists():
            if not parent.is_dir():
                raise RunDirError(f"{option} {path}: {parent} is a file, so nothing can be written below it")
            break
    if path.exists() and not overwrite:
        raise RunDirError(f"{option} {path}: already exists; pass --overwrite to replace it")
    return path
