"""`seqlab anomaly`: thin over seqlab.tasks.anomaly (parse, call the Python API, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from seqlab.cli.common import JsonOption, console, print_json, user_errors

anomaly_app = typer.Typer(help="Anomaly detection in series: forecast residuals and autoencoder reconstruction error, thresholds, streaming scores.", no_args_is_help=True)

Data = Annotated[Path, typer.Option("--data", help="A CSV with the columns timestamp,value (NAB's format).")]
# the names of seqlab.models.anomaly.MODEL_NAMES, written out so that `--help` does not load torch
Model = Annotated[Optional[str], typer.Option("--model", help="lstm-forecast, lstm-ae, conv-ae, zscore (the baseline), "
                                                              "or auto (the default: lstm-forecast if it beats "
                                                              "persistence on validation, else zscore).")]
Threshold = Annotated[Optional[str], typer.Option("--threshold", help="pot (default: peaks over threshold) or "
                                                                      "quantile.")]
Epochs = Annotated[Optional[int], typer.Option("--epochs", help="Maximum epochs (early stopping on validation).")]
Config = Annotated[Optional[Path], typer.Option("--config", help="An anomaly config YAML; options override it.")]
Sets = Annotated[Optional[list[str]], typer.Option("--set", help="Override any config key, e.g. model.window=64 "
                                                                 "or threshold.risk=0.01.")]


@anomaly_app.command()
@user_errors
def fit(data: Data, out: Annotated[Path, typer.Option("--out", help="Run directory.")], model: Model = None,
        threshold: Threshold = None, epochs: Epochs = None, config: Config = None, set_: Sets = None,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing run directory.")] = False,
        json_: JsonOption = False) -> None:
    """Fit a detector on the series' early part (NAB's probationary period) and set its alarm threshold."""
    from seqlab.tasks.anomaly import run
    from seqlab.tasks.anomaly.config import build_config

    sets = list(set_ or []) + ([f"threshold.method={threshold}"] if threshold is not None else [])
    cfg = build_config(config, sets, data=str(data), model=model, epochs=epochs)
    result = run.fit(cfg, out, overwrite=overwrite, progress=False)
    if json_:
        print_json(result)
        return
    base = result["baselines"]["zscore"]
    table = Table(title=f"fit on {result['data']['fit_rows']} of {result['data']['rows']} rows "
                        f"({result['data']['train_rows']} train)")
    for col in ("detector", "parameters", "epochs", "val skill", "threshold", "val alarm rate", "train s"):
        table.add_column(col, justify="left" if col == "detector" else "right")
    for row in (result, base):
        skill = "" if row["val_skill"] is None else f"{row['val_skill']:.3f}"
        table.add_row(row["model"], f"{row['parameters']:,}", str(row["epochs"]), skill,
                      f"{row['threshold']['threshold']:.4g} ({row['threshold']['method']})",
                      f"{row['val_alarm_rate']:.3f}", f"{row['train_seconds']:.1f}")
    console.print(table)
    if "selection" in result:
        console.print(f"auto chose {result['selection']['chosen']} (validation skill: model error / trivial error)")
    console.print(f"run directory: {result['run_dir']}")


@anomaly_app.command()
@user_errors
def score(run_dir: Annotated[Path, typer.Argument(help="A run directory of `seqlab anomaly fit`.")], data: Data,
          labels: Annotated[Path, typer.Option("--labels", help="NAB's combined_windows.json (the series is found by "
                                                                "its folder and file name).")],
          streaming: Annotated[bool, typer.Option("--streaming", help="Score one row at a time, carrying the state "
                                                                      "(lstm-forecast, zscore).")] = False,
          json_: JsonOption = False) -> None:
    """Score a series against its labelled windows: point-wise P/R/F1 (f1), window-wise P/R/F1, NAB scores."""
    from seqlab.tasks.anomaly import run

    result = run.score(run_dir, data, labels, streaming=streaming)
    if json_:
        print_json(result)
        return
    base = result["baselines"]["zscore"]
    table = Table(title=f"{result['key']}: {result['scored_rows']} rows scored after {result['probation']} "
                        f"probationary, {result['windows']} window(s)",
                  caption="P, R, F1: point-wise; wF1: window-wise; NAB: standard, reward_low_FP_rate, "
                          "reward_low_FN_rate profiles; zscore: the baseline")
    for col in ("detector", "alarms", "P", "R", "F1", "wF1", "NAB", "low FP", "low FN"):
        table.add_column(col, justify="left" if col == "detector" else "right")
    fmt = lambda v: "n/a" if v is None else f"{v:.1f}"  # noqa: E731
    nab = {p: v["score"] for p, v in result["nab"].items()}
    for name, row, window_f1, profiles in ((result["model"], result, result["window"]["f1"], nab),
                                           ("zscore", base, base["window_f1"], base["nab"])):
        table.add_row(name, str(row["alarms"]), f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                      f"{window_f1:.3f}", fmt(profiles["standard"]), fmt(profiles["reward_low_FP_rate"]),
                      fmt(profiles["reward_low_FN_rate"]))
    console.print(table)
