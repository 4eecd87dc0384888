"""What every command shares: the --json option, one JSON object on stdout, errors without tracebacks,
and SIGTERM / Ctrl-C turned into a message and a non-zero exit status."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import signal
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from rich.console import Console

from seqlab.errors import SeqlabError
from seqlab.jsonsafe import json_safe

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout instead of tables.")]
ResumeOption = Annotated[bool, typer.Option("--resume", help="Continue the run in --out from its last checkpoint "
                                                             "(an interrupted run, or a finished one trained further).")]
OutputOverwriteOption = Annotated[bool, typer.Option("--overwrite", help="Replace the --out file if it exists.")]
console = Console()
err_console = Console(stderr=True)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(json_safe(obj)) + "\n")
    sys.stdout.flush()


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived. A ``BaseException``, like ``KeyboardInterrupt``, so that no
    ``except Exception`` swallows it; unlike it, Lightning does not turn it into ``sys.exit(1)``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupted(signum: int, frame) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` for the block (main thread only), so that the
    code they stop unwinds: run directories keep their checkpoints, locks are released."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in previous:
        signal.signal(s, _raise_interrupted)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


def _stopped(name: str, code: int) -> typer.Exit:
    # what was kept, and how to continue, the run directory has already said (a warning in the log)
    err_console.print(f"[bold red]interrupted:[/] {name} received; stopped with exit status {code}",
                      highlight=False, soft_wrap=True)
    return typer.Exit(code=code)


def user_errors(fn: Callable) -> Callable:
    """Turn seqlab's user-facing errors into a red one-line message and exit code 2, and SIGINT /
    SIGTERM into a message and exit code 130 / 143 (128 + the signal's number, as a shell says)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        try:
            with _signals_raise():
                return fn(*args, **kwargs)
        except SeqlabError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None
        except Interrupted as exc:
            raise _stopped(signal.Signals(exc.signum).name, 128 + exc.signum) from None
        except KeyboardInterrupt:
            raise _stopped("SIGINT", 128 + signal.SIGINT) from None
        except SystemExit as exc:
            if exc.code in (None, 0) and type(exc).__name__ == "SIGTERMException":  # Lightning's, exit 0
                raise _stopped("SIGTERM", 128 + signal.SIGTERM) from None
            if exc.code == 128 + signal.SIGTERM:  # engine.fit's, after Lightning stopped on SIGTERM
                raise _stopped("SIGTERM", exc.code) from None
            raise

    return wrapper


# --------------------------------------------------------------------------------------------
# The options every task command shares, written once. Where an option's help depends on the task
# (what --data reads, which models --model names, the default of --epochs), a function builds the
# alias from the task's own names and config, so that --help never states a default of its own.


def config_default(config: type, key: str) -> Any:
    """The default of the dotted config key ``key`` (``"train.epochs"``) in task config class ``config``:
    the task's section default where it sets one (``train``), else the section class's field default
    (``data.lookback``). ``--help`` shows these, so that the help and the config cannot disagree."""
    value: Any = config
    for part in key.split("."):
        if not isinstance(value, type):  # a section's default instance: read its value
            value = getattr(value, part)
            continue
        field = value.model_fields[part]
        value = field.annotation if field.is_required() else field.get_default(call_default_factory=True)
    return value


def data_option(help: str, *, required: bool = True, aliases: Sequence[str] = ()) -> Any:
    """``--data`` (and older names of it, ``aliases``): what a task reads."""
    option = typer.Option("--data", *aliases, help=help)
    return Annotated[str, option] if required else Annotated[Optional[str], option]


def model_option(names: Sequence[str], auto: str) -> Any:
    """``--model``: one of the task's model ``names``, or auto, described by ``auto``."""
    return Annotated[Optional[str], typer.Option("--model", help=f"{', '.join(names)}, or auto (the default: {auto}).")]


def epochs_option(config: type, note: str = "early stopping on validation") -> Any:
    """``--epochs``: its default read from the task config ``config``."""
    default = config_default(config, "train.epochs")
    return Annotated[Optional[int], typer.Option("--epochs", help=f"Maximum epochs (default {default}; {note}).")]


def run_dir_argument(task: str) -> Any:
    """``RUN_DIR``: a run directory that ``seqlab {task} train`` wrote."""
    return Annotated[Path, typer.Argument(help=f"A run directory of `seqlab {task} train`.")]


def config_option(task: str) -> Any:
    """``--config``: a task config YAML."""
    return Annotated[Optional[Path], typer.Option("--config", help=f"A {task} config YAML; options override it.")]


OutOption = Annotated[Path, typer.Option("--out", help="Run directory.")]
OverwriteOption = Annotated[bool, typer.Option("--overwrite", help="Replace an existing run directory.")]
SetOption = Annotated[Optional[list[str]], typer.Option("--set", help="Override any config key, e.g. model.units=64 "
                                                                      "(repeatable).")]
ConfusionOption = Annotated[Optional[Path], typer.Option("--confusion", help="Also draw the confusion matrix as "
                                                                            "PNG.")]
PredictionsOutOption = Annotated[Optional[Path], typer.Option("--out", help="Write the JSON lines here instead of "
                                                                            "stdout.")]
JsonLinesOption = Annotated[bool, typer.Option("--json", help="Print one JSON object per prediction, one per line "
                                                              "(JSON lines).")]


def print_json_lines(records: Iterable[Any]) -> None:
    """One JSON object per line: how every ``predict`` command prints predictions."""
    for record in records:
        print_json(record)


def print_result(result: dict) -> None:
    """A ``train``/``evaluate`` result as one JSON line in the one shape every task keeps:
    ``{"metrics": {...}, "baselines": {name: {...}}, "model": ..., "run_dir": ...}`` (and what the
    task reports besides, beside those keys)."""
    from seqlab.tasks.results import standard_result

    print_json(standard_result(result))
