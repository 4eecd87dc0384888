"""Run directories shared by every task: check the target, train beside it, move it into place.

A run trains in a hidden sibling folder (``models.io.temp_dir_beside``) that replaces ``out`` only
once it is complete, so a failure or an interrupted run leaves the disk as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from seqlab.errors import RunDirError
from seqlab.models import io

CONFIG_FILE = "config.yaml"
MODEL_FILE, WEIGHTS_FILE, PREPROCESSING_FILE = "model.json", "weights.safetensors", "preprocessing.json"


def is_main_process() -> bool:
    """False in the other ranks of a DDP run (Lightning's launcher, torchrun or SLURM)."""
    for key in ("RANK", "LOCAL_RANK", "SLURM_PROCID"):
        if os.environ.get(key, "").isdigit():
            return int(os.environ[key]) == 0
    return True


def check_out(out: Path, overwrite: bool, resume_hint: bool = True) -> None:
    """Refuse to train into ``out`` unless it is new, empty, or a run directory with ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise RunDirError(f"{out}: exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            hint = " or --resume to continue it" if resume_hint else ""
            raise RunDirError(f"{out}: run directory already exists; pass --overwrite to replace it{hint}")
        if not (out / CONFIG_FILE).is_file():
            raise RunDirError(f"{out}: --overwrite replaces run directories only, and this folder has no "
                              f"{CONFIG_FILE}; choose another --out")


def replace_run(new: Path, out: Path) -> None:
    """Move the finished run ``new`` to ``out``, replacing an old run there only after it is in place."""
    old = None
    if out.exists():
        old = io.temp_dir_beside(out)
        os.replace(out, old / out.name)
    os.replace(new, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_run(out: Path) -> Iterator[Path]:
    """A temporary folder beside ``out`` to write a run into; it replaces ``out`` when the block
    ends normally and is removed when it raises, so ``out`` is never half-written."""
    work = io.temp_dir_beside(out)
    try:
        yield work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    replace_run(work, out)


def existing_run_dir(path: str | Path) -> Path:
    """``path`` as a run directory; an error when it has no ``config.yaml``."""
    path = Path(path)
    if not (path / CONFIG_FILE).is_file():
        raise RunDirError(f"{path}: not a seqlab run directory ({CONFIG_FILE} is missing)")
    return path


def load_trained(run_dir: str | Path, kind: str, command: str, build) -> tuple[Path, object, dict]:
    """``(run_dir, net, preprocessing)`` of a complete run of ``kind``: the files checked, the network
    ``build(model.json)`` makes with the saved weights loaded, in eval mode.

    Raises:
        RunDirError: a file is missing (the message names ``command``, the one that writes such a
            run), the run is of another kind, or model.json cannot be built.
    """
    run_dir = existing_run_dir(run_dir)
    for name in (MODEL_FILE, WEIGHTS_FILE, PREPROCESSING_FILE):
        if not (run_dir / name).is_file():
            raise RunDirError(f"{run_dir}: {name} is missing; not a complete `{command}` run")
    spec = io.read_json(run_dir / MODEL_FILE)
    state = io.read_json(run_dir / PREPROCESSING_FILE)
    found = state.get("kind") if isinstance(state, dict) else None
    if found != kind:
        raise RunDirError(f"{run_dir / PREPROCESSING_FILE}: not a {kind} run (kind {found!r})")
    try:
        net = build(spec)
    except (KeyError, TypeError, ValueError) as exc:
        raise RunDirError(f"{run_dir / MODEL_FILE}: unreadable model description ({exc})") from None
    io.load_weights(net, run_dir / WEIGHTS_FILE)
    net.eval()
    return run_dir, net, state
