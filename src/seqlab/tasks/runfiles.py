"""The files of a run directory: ``model.json`` (format, family, config, shape) and the weights, written
together and read back into a network, with the run's format checked.

Where a run is written (staging, locks, manifests, resuming) is :mod:`seqlab.tasks.rundir`'s.
"""

from __future__ import annotations

from pathlib import Path

from seqlab.errors import RunDirError
from seqlab.fileio import read_json
from seqlab.models import io
from seqlab.tasks.rundir import (CONFIG_FILE, MANIFEST_FILE, MANIFEST_FORMAT, MODEL_FILE, PREPROCESSING_FILE,
                                 WEIGHTS_FILE)


def existing_run_dir(path: str | Path) -> Path:
    """``path`` as a run directory; an error when it has no ``config.yaml``."""
    path = Path(path)
    if not (path / CONFIG_FILE).is_file():
        raise RunDirError(f"{path}: not a seqlab run directory ({CONFIG_FILE} is missing)")
    return path


def save_model(folder: Path, net, description: dict) -> None:
    """``model.json`` (the run format, the model family, its config and shape) and ``weights.safetensors``.

    ``description`` is the task's: ``{"config": {...}, "shape": {...}}``, or ``{"ensemble": [...]}``.
    """
    config = description.get("config")
    family = config.get("name") if isinstance(config, dict) else "ensemble" if "ensemble" in description else None
    io.write_json(folder / MODEL_FILE, {"format": MANIFEST_FORMAT, "family": family, **description})
    io.save_tensors(folder / WEIGHTS_FILE, {k: v.detach().contiguous() for k, v in net.state_dict().items()})


def check_format(run_dir: Path, spec: dict) -> None:
    """Refuse a run written in another format than this release's (runs of 0.1, with no format, load)."""
    manifest = run_dir / MANIFEST_FILE
    found = read_json(manifest).get("format") if manifest.is_file() else None
    found = spec.get("format", found) if isinstance(spec, dict) else found
    if found is not None and found != MANIFEST_FORMAT:
        raise RunDirError(f"{run_dir}: written in run format {found!r}; this release of seqlab reads "
                          f"{MANIFEST_FORMAT!r} (and the format of 0.1, which has none); retrain it or use the "
                          "release that wrote it")


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
    check_format(run_dir, spec)
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
