"""`seqlab generate`: thin over seqlab.tasks.generate (parse, call the Python API, print)."""

from __future__ import annotations

import typer

generate_app = typer.Typer(help="Language models and text generation: character/word LSTM/GRU, truncated BPTT, sampling.", no_args_is_help=True)
