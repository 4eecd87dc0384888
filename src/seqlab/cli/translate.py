"""`seqlab translate`: thin over seqlab.tasks.translate (parse, call the Python API, print)."""

from __future__ import annotations

import typer

translate_app = typer.Typer(help="Translation with attention: GRU/LSTM encoder-decoder, Bahdanau/Luong attention, greedy and beam search, BLEU.", no_args_is_help=True)
