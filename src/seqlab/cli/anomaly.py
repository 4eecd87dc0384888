"""`seqlab anomaly`: thin over seqlab.tasks.anomaly (parse, call the Python API, print)."""

from __future__ import annotations

import typer

anomaly_app = typer.Typer(help="Anomaly detection in series: forecast residuals and autoencoder reconstruction error, thresholds, streaming scores.", no_args_is_help=True)
