"""`seqlab classify`: thin over seqlab.tasks.classify (parse, call the Python API, print)."""

from __future__ import annotations

import typer

classify_app = typer.Typer(help="Time-series classification on UCR/UEA data: FCN, ResNet, LSTM-FCN, BiGRU, LSTM.", no_args_is_help=True)
