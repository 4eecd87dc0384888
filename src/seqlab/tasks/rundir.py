"""Run directories shared by every task: check the target, train beside it, move it into place.

A run trains in a hidden sibling folder (``models.io.temp_dir_beside``) that replaces ``out`` only
once it is complete, so a failure or an interrupted run leaves the disk as it was.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from seqlab.errors import RunDirError
from seqlab.models import io

CONFIG_FILE = "config.yaml"


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


def existing_run_dir(path: str | Path) -> Path:
    """``path`` as a run directory; an error when it has no ``config.yaml``."""
    path = Path(path)
    if not (path / CONFIG_FILE).is_file():
        raise RunDirError(f"{path}: not a seqlab run directory ({CONFIG_FILE} is missing)")
    return path
