"""seqlab's own fused CPU recurrences: a C++ extension with explicit backpropagation through time.

The C++ source (``csrc/``: ``common.h`` and one file per cell) is compiled once with torch's extension builder and
cached (``python -m seqlab.kernels.build`` does it at install time; otherwise the first use
does, saying so in the log). A built library is loaded directly, with no lock: a stamp file
beside it records what it was built from. Only a build takes a lock, ``build.lock``: an
``flock`` that records its holder's PID and that the kernel drops when the holder dies, so a
build stopped by ``timeout``, Ctrl-C or ``kill -9`` never leaves the next process waiting. A
process that finds a live build waits at most ``$SEQLAB_KERNELS_LOCK_TIMEOUT`` seconds (default
600), saying whom it waits for. (torch's own builder takes a lock file even when nothing needs
building and waits for it with no time limit; a killed process leaves it behind. Under
``build.lock`` such a file is stale by construction and removed.) Each function here wraps one layer and one direction in a ``torch.autograd.Function``:
the forward keeps only the gate activations and states it needs, and the backward walks the
steps in reverse, then computes dW_hh with one GEMM over all steps. Inputs are time-major
(T, B, .) and contiguous; the input projection for all steps is the caller's, computed with
one GEMM under ordinary autograd.

If no C++ compiler is available, ``available()`` is False and the layers fall back to the
reference path (``backend="auto"``) or raise (``backend="native"``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import sys
import threading
from pathlib import Path

import torch
from torch.autograd.function import once_differentiable

from seqlab.fileio import FileLock, atomic_write_text

log = logging.getLogger(__name__)
CSRC = Path(__file__).resolve().parent / "csrc"
SOURCES = [CSRC / name for name in ("lstm.cpp", "gru.cpp", "rnn.cpp", "module.cpp")]  # + common.h
EXTENSION_NAME = "seqlab_recurrent"
EPS = 1e-5  # layer norm's epsilon, as torch.nn.LayerNorm's default

_lock = threading.Lock()
_module = None
_error: str | None = None


# -O3 with -ffast-math vectorises the loops and their sums. Fast-math also assumes no NaN, so
# the source keeps NaN by integer tests where a comparison would drop it (see fast_exp, relu):
# a NaN must come out as a NaN for the engine to stop on it.
FLAGS = ["-O3", "-ffast-math"]
STAMP_FILE, BUILD_LOCK = "seqlab-build.json", "build.lock"
LOCK_TIMEOUT_S = 600.0  # a build takes about a minute; $SEQLAB_KERNELS_LOCK_TIMEOUT changes the wait
WAIT_NOTICE_S = 30.0  # how often a waiting process says so


def load(verbose: bool = False):
    """The compiled extension, building it on first use (about a minute); raises on failure.

    Built for this CPU (``-march=native``) where the compiler takes it, generic otherwise, into
    ``$SEQLAB_KERNELS_DIR`` (default ``~/.cache/seqlab/kernels``); torch's builder rebuilds
    when the source, the flags or torch change.
    """
    global _module, _error
    with _lock:
        if _module is not None:
            return _module
        if _error is not None:
            raise RuntimeError(_error)
        errors = []
        for tag, arch in ((_cpu_tag(), ["-march=native"]), ("generic", [])):
            try:
                _module = _build(f"{EXTENSION_NAME}_{tag}", FLAGS + arch, verbose)
                return _module
            except Exception as exc:  # no compiler, no ninja, a flag refused: try, then say why
                errors.append(_reason(exc))
        _error = f"seqlab's C++ recurrent kernels could not be built: {'; '.join(errors)}"
        log.warning(_error)
        raise RuntimeError(_error)


def _reason(exc: Exception) -> str:
    """The compiler's first error line if there is one, else the exception's last line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return next((line for line in lines if ": error:" in line), lines[-1] if lines else type(exc).__name__)


def kernels_folder(name: str) -> Path:
    """Where the extension ``name`` is built: ``$SEQLAB_KERNELS_DIR/torch-<version>/<name>``."""
    root = os.environ.get("SEQLAB_KERNELS_DIR") or Path.home() / ".cache" / "seqlab" / "kernels"
    return Path(root) / f"torch-{torch.__version__}" / name


def build_stamp(name: str, flags: list[str]) -> str:
    """A hash of everything the library depends on: the sources, flags, torch and Python."""
    digest = hashlib.sha256()
    for path in sorted(CSRC.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for part in (name, *flags, torch.__version__, sys.version, str(CSRC)):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def _load_built(folder: Path, name: str, stamp: str):
    """The library in ``folder`` if its stamp says it was built from these sources, else None."""
    try:
        recorded = json.loads((folder / STAMP_FILE).read_text())
    except (OSError, ValueError):
        return None
    library = folder / f"{name}.so"
    if not isinstance(recorded, dict) or recorded.get("stamp") != stamp or not library.is_file():
        return None
    try:
        spec = importlib.util.spec_from_file_location(name, library)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except (ImportError, OSError) as exc:
        log.warning("%s: cannot be loaded (%s); rebuilding it", library, exc)
        return None
    return module


def _lock_timeout() -> float:
    value = os.environ.get("SEQLAB_KERNELS_LOCK_TIMEOUT")
    try:
        return float(value) if value else LOCK_TIMEOUT_S
    except ValueError:
        return LOCK_TIMEOUT_S


def _build(name: str, flags: list[str], verbose: bool):
    folder = kernels_folder(name)
    stamp = build_stamp(name, flags)
    module = _load_built(folder, name, stamp)  # the common case: built before, no lock needed
    if module is not None:
        return module
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / BUILD_LOCK)
    timeout = _lock_timeout()
    notices: list[float] = []

    def waiting(pid: int | None, waited: float) -> None:
        if not notices or waited - notices[-1] >= WAIT_NOTICE_S:
            notices.append(waited)
            who = f"process {pid}" if pid is not None else "another process"
            log.warning("waiting for %s, which is building seqlab's C++ kernels in %s (%.0f s so far, "
                        "at most %.0f s)", who, folder, waited, timeout)

    if not lock.acquire(timeout=timeout, poll=0.5, on_wait=waiting):
        holder = lock.holder()
        raise RuntimeError(f"gave up after {timeout:.0f} s waiting for process {holder} to build the kernels in "
                           f"{folder} (its lock: {lock.path}); stop that process, or raise "
                           "$SEQLAB_KERNELS_LOCK_TIMEOUT")
    try:
        module = _load_built(folder, name, stamp)  # built by the process waited for
        if module is not None:
            return module
        from torch.utils.cpp_extension import load as build

        _put_ninja_on_path()
        # torch's builder waits, without a limit, for its own lock file; whoever made it held
        # build.lock, which is ours now, so the file is left by a process that was stopped
        torch_lock = folder / "lock"
        if torch_lock.exists():
            log.warning("removing %s, left by a build that was stopped", torch_lock)
            torch_lock.unlink(missing_ok=True)
        if not (folder / f"{name}.so").exists():
            log.warning("building seqlab's C++ recurrent kernels in %s (once, about a minute)", folder)
        module = build(name=name, sources=[str(p) for p in SOURCES], extra_cflags=flags,
                       extra_include_paths=[str(CSRC)], build_directory=str(folder), verbose=verbose)
        atomic_write_text(folder / STAMP_FILE, json.dumps({"stamp": stamp, "library": f"{name}.so"}) + "\n")
        return module
    finally:
        lock.release()


def _put_ninja_on_path() -> None:
    """torch's builder runs ``ninja`` from PATH; the ninja wheel's binary is not on it unless the
    virtual environment is activated."""
    try:
        import ninja
    except ImportError:
        return
    if ninja.BIN_DIR not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = ninja.BIN_DIR + os.pathsep + os.environ.get("PATH", "")


def _cpu_tag() -> str:
    """A short hash of this CPU's instruction-set flags: the build uses -march=native, so a
    cache shared between machines must not hand one CPU's build to another."""
    import hashlib
    import platform

    flags = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                flags += line
                break
    except OSError:
        pass
    return hashlib.sha1(flags.encode()).hexdigest()[:8]


def available() -> bool:
    """Whether the C++ kernels are built (or can be built now)."""
    if os.environ.get("SEQLAB_NO_NATIVE"):
        return False
    try:
        load()
    except RuntimeError:
        return False
    return True


def unavailable_reason(x: torch.Tensor) -> str | None:
    """Why seqlab's kernels cannot take ``x``, or None if they can."""
    if x.device.type != "cpu":
        return f"seqlab's kernels run on the CPU, not {x.device.type}"
    if x.dtype not in (torch.float32, torch.float64):
        return f"seqlab's kernels take float32 or float64, not {x.dtype}"
    if os.environ.get("SEQLAB_NO_NATIVE"):
        return "SEQLAB_NO_NATIVE is set"
    if not available():
        return _error or "seqlab's C++ kernels are not built"
    return None


def _contiguous(t: torch.Tensor | None) -> torch.Tensor | None:
    return None if t is None else t.contiguous()


class LSTMFunction(torch.autograd.Function):
    """(T, B, 4H) input projections -> state sequence hs (T, B, H) and final cell state c_T."""

    @staticmethod
    def forward(ctx, gx, w_hh, peep, ln_hh_w, ln_hh_b, ln_c_w, ln_c_b, h0, c0, mask):
        ext = load()
        args = [_contiguous(t) for t in (w_hh, peep, ln_hh_w, ln_hh_b, ln_c_w, ln_c_b)]
        h0, c0 = h0.contiguous(), c0.contiguous()
        hs, cs, gates, ghn, rstd_h, cn, rstd_c = ext.lstm_forward(gx.contiguous(), *args, h0, c0, mask, EPS)
        ctx.save_for_backward(hs, cs, gates, ghn, rstd_h, cn, rstd_c, *args, h0, c0)
        ctx.mask = mask
        ctx.has = [t is not None for t in (peep, ln_hh_w, ln_hh_b, ln_c_w, ln_c_b)]
        return hs, cs[-1].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, dhs, dcT):
        hs, cs, gates, ghn, rstd_h, cn, rstd_c, w_hh, *rest = ctx.saved_tensors
        peep, ln_hh_w, ln_hh_b, ln_c_w, ln_c_b, h0, c0 = rest
        dhs = torch.zeros_like(hs) if dhs is None else dhs.contiguous()
        dcT = torch.zeros_like(c0) if dcT is None else dcT.contiguous()
        dgx, dw, dpeep, dlnh_w, dlnh_b, dlnc_w, dlnc_b, dh0, dc0 = load().lstm_backward(
            dhs, dcT, hs, cs, gates, ghn, rstd_h, cn, rstd_c, w_hh, peep, ln_hh_w, ln_hh_b,
            ln_c_w, ln_c_b, h0, c0, ctx.mask)
        extras = [g if h else None for g, h in zip((dpeep, dlnh_w, dlnh_b, dlnc_w, dlnc_b), ctx.has)]
        return (dgx, dw, *extras, dh0, dc0, None)


class GRUFunction(torch.autograd.Function):
    """(T, B, 3H) input projections -> state sequence hs (T, B, H)."""

    @staticmethod
    def forward(ctx, gx, w_hh, b_hh, ln_hh_w, h0, mask):
        ext = load()
        w_hh, b_hh, ln_hh_w, h0 = (_contiguous(t) for t in (w_hh, b_hh, ln_hh_w, h0))
        hs, gates, ghn, rstd_h = ext.gru_forward(gx.contiguous(), w_hh, b_hh, ln_hh_w, h0, mask, EPS)
        ctx.save_for_backward(hs, gates, ghn, rstd_h, w_hh, b_hh, ln_hh_w, h0)
        ctx.mask = mask
        return hs

    @staticmethod
    @once_differentiable
    def backward(ctx, dhs):
        hs, gates, ghn, rstd_h, w_hh, b_hh, ln_hh_w, h0 = ctx.saved_tensors
        dgx, dw, db, dln, dh0 = load().gru_backward(
            dhs.contiguous(), hs, gates, ghn, rstd_h, w_hh, b_hh, ln_hh_w, h0, ctx.mask)
        return (dgx, dw, db if b_hh is not None else None, dln if ln_hh_w is not None else None,
                dh0, None)


class RNNFunction(torch.autograd.Function):
    """(T, B, H) input projections (both biases included) -> state sequence hs (T, B, H)."""

    @staticmethod
    def forward(ctx, gx, w_hh, h0, mask, relu: bool):
        w_hh, h0 = w_hh.contiguous(), h0.contiguous()
        hs = load().rnn_forward(gx.contiguous(), w_hh, h0, mask, relu)
        ctx.save_for_backward(hs, w_hh, h0)
        ctx.mask, ctx.relu = mask, relu
        return hs

    @staticmethod
    @once_differentiable
    def backward(ctx, dhs):
        hs, w_hh, h0 = ctx.saved_tensors
        dgx, dw, dh0 = load().rnn_backward(dhs.contiguous(), hs, w_hh, h0, ctx.mask, ctx.relu)
        return dgx, dw, dh0, None, None
