"""`seqlab anomaly`: thin over seqlab.tasks.anomaly (parse, call the Python API, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from seqlab.cli.common import (JsonLinesOption, JsonOption, OutOption, OverwriteOption, ResumeOption, SetOption,
                               config_default, config_option, console, data_option, epochs_option, model_option,
                               print_json_lines, print_result, run_dir_argument, user_errors)
from seqlab.models.anomaly.config import MODEL_NAMES
from seqlab.tasks.anomaly.config import AnomalyConfig

anomaly_app = typer.Typer(help="Anomaly detection in series: forecast residuals and autoencoder reconstruction error, thresholds, streaming scores.", no_args_is_help=True)

Data = data_option("A CSV with the columns timestamp,value (NAB's format).")
Model = model_option(MODEL_NAMES, "lstm-forecast if it beats persistence on validation, else zscore, the baseline")
Threshold = Annotated[Optional[str], typer.Option("--threshold", help="pot (peaks over threshold) or quantile "
                                                  f"(default {config_default(AnomalyConfig, 'threshold.method')}).")]
Epochs = epochs_option(AnomalyConfig)
Config = config_option("anomaly")
Sets = SetOption
RunDir = run_dir_argument("anomaly")


@anomaly_app.command()
@user_errors
def train(data: Data, out: OutOption, model: Model = None,
        threshold: Threshold = None, epochs: Epochs = None, config: Config = None, set_: Sets = None,
        overwrite: OverwriteOption = False,
        resume: ResumeOption = False,
        json_: JsonOption = False) -> None:
    """Fit a detector on the series' early part (NAB's probationary period) and set its alarm threshold.

    ``seqlab anomaly fit`` is the older name of this command."""
    from seqlab.tasks.anomaly import run
    from seqlab.tasks.anomaly.config import build_config

    sets = list(set_ or []) + ([f"threshold.method={threshold}"] if threshold is not None else [])
    cfg = build_config(config, sets, data=str(data), model=model, epochs=epochs)
    result = run.fit(cfg, out, overwrite=overwrite, progress=False, resume=resume)
    if json_:
        print_result(result)
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
def evaluate(run_dir: RunDir, data: Data,
          labels: Annotated[Path, typer.Option("--labels", help="NAB's combined_windows.json (the series is found by "
                                                                "its folder and file name).")],
          streaming: Annotated[bool, typer.Option("--streaming", help="Score one row at a time, carrying the state "
                                                                      "(lstm-forecast, zscore).")] = False,
          json_: JsonOption = False) -> None:
    """Score a series against its labelled windows: point-wise P/R/F1 (f1), window-wise P/R/F1, NAB scores.

    ``seqlab anomaly score`` is the older name of this command."""
    from seqlab.tasks.anomaly import run

    result = run.score(run_dir, data, labels, streaming=streaming)
    if json_:
        print_result(result)
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


@anomaly_app.command()
@user_errors
def predict(run_dir: RunDir, data: Data,
            streaming: Annotated[bool, typer.Option("--streaming", help="Score one row at a time, carrying the state "
                                                                        "(lstm-forecast, zscore).")] = False,
            json_: JsonLinesOption = False) -> None:
    """Score every row of a series: its anomaly score and whether it raises an alarm.

    With --json, one JSON object per row: timestamp, score, alarm."""
    from seqlab.tasks.anomaly import run

    result = run.predict(run_dir, data, streaming=streaming)
    rows = [{"timestamp": str(t), "score": float(s), "alarm": bool(a)}
            for t, s, a in zip(result["timestamps"], result["scores"], result["alarms"])]
    if json_:
        print_json_lines(rows)
        return
    alarms = [r for r in rows if r["alarm"]]
    table = Table(title=f"{len(alarms)} alarm(s) in {len(rows)} rows (threshold {result['threshold']:.4g})")
    for col in ("timestamp", "score"):
        table.add_column(col, justify="left" if col == "timestamp" else "right")
    for row in alarms:
        table.add_row(row["timestamp"], f"{row['score']:.4g}")
    console.print(table)


# the commands' older names, still accepted and kept out of --help
anomaly_app.command("fit", hidden=True)(train)
anomaly_app.command("score", hidden=True)(evaluate)
