"""`seqlab speech`: thin over seqlab.tasks.speech (parse, call the Python API, print)."""

from __future__ import annotations

import typer

speech_app = typer.Typer(help="Spoken-word recognition from WAV audio: log-mel/MFCC features, (Bi)LSTM/GRU, Conv1D and CNN+RNN classifiers.", no_args_is_help=True)
