"""What every command shares: the --json option, one JSON object on stdout, errors without tracebacks."""

from __future__ import annotations

import functools
import json
import logging
import sys
from typing import Annotated, Any, Callable

import typer
from rich.console import Console

from seqlab.errors import SeqlabError
from seqlab.jsonsafe import json_safe

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout instead of tables.")]
console = Console()
err_console = Console(stderr=True)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(json_safe(obj)) + "\n")
    sys.stdout.flush()


def user_errors(fn: Callable) -> Callable:
    """Turn seqlab's user-facing errors into a red one-line message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        try:
            return fn(*args, **kwargs)
        except SeqlabError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None

    return wrapper
