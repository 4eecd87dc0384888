"""``seqlab forecast``: train, evaluate, predict and backtest forecasting models (thin over seqlab.tasks.forecasting)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from seqlab.cli.common import (JsonOption, OutOption, OverwriteOption, ResumeOption, SetOption, config_default,
                               config_option, console, data_option, epochs_option, model_option, print_json,
                               print_result, run_dir_argument, user_errors)
from seqlab.models.forecast import MODEL_NAMES
from seqlab.tasks.forecasting.config import ForecastConfig

forecast_app = typer.Typer(help="Time-series forecasting: ETT protocol, RNN/CNN/TCN/SegRNN/linear models, baselines.",
                           no_args_is_help=True)

Data = data_option("CSV/Parquet file or built-in name (etth1, etth2, ettm1, ettm2, airline, sunspots, "
                   "melbourne-temp).")
Features = Annotated[Optional[str], typer.Option("--features", help="M: all series in and out; S: the target alone; "
                                                 "MS: all in, the target out (default "
                                                 f"{config_default(ForecastConfig, 'data.features')}).")]
Target = Annotated[Optional[str], typer.Option("--target", help="Target column (default: the built-in's, else the last).")]
Lookback = Annotated[Optional[int], typer.Option("--lookback", help="Input steps L (default "
                                                 f"{config_default(ForecastConfig, 'data.lookback')}).")]
Horizon = Annotated[Optional[int], typer.Option("--horizon", help="Forecast steps H (default "
                                                f"{config_default(ForecastConfig, 'data.horizon')}).")]
Model = model_option(MODEL_NAMES, "the best candidate by validation MSE; cycle-segrnn is the recommended recurrent "
                                  "model")
Split = Annotated[Optional[str], typer.Option("--split", help="ett, three fractions (0.7,0.1,0.2) or three row counts; "
                                                              "default: ett for ETT files, else 0.7,0.1,0.2.")]
Epochs = epochs_option(ForecastConfig)
Covariates = Annotated[Optional[str], typer.Option("--covariates", help="Comma-separated past-observed input columns.")]
Calendar = Annotated[Optional[bool], typer.Option("--calendar/--no-calendar", help="Add known-future calendar "
                                                                               "features of the timestamps.")]
Missing = Annotated[Optional[str], typer.Option("--missing", help="error | ffill | interpolate (default: error).")]
TimestampCol = Annotated[Optional[str], typer.Option("--timestamp-col", help="Timestamp column (default: the first).")]
Config = config_option("forecasting")
Sets = SetOption
RunDir = run_dir_argument("forecast")


def _config(data, features, target, lookback, horizon, model, split, epochs, covariates, calendar, missing,
            timestamp_col, config_file, sets):
    from seqlab.tasks.forecasting.config import build_config

    return build_config(config_file, sets or [], data=data, features=features, target=target, lookback=lookback,
                        horizon=horizon, model=model, split=split, epochs=epochs, calendar=calendar,
                        missing=missing, timestamp_col=timestamp_col,
                        covariates=[c.strip() for c in covariates.split(",") if c.strip()] if covariates else None)


@forecast_app.command()
@user_errors
def train(data: Data, out: OutOption,
          features: Features = None, target: Target = None, lookback: Lookback = None, horizon: Horizon = None,
          model: Model = None, split: Split = None, epochs: Epochs = None, covariates: Covariates = None,
          calendar: Calendar = None, missing: Missing = None, timestamp_col: TimestampCol = None,
          config: Config = None, set_: Sets = None,
          overwrite: OverwriteOption = False,
          resume: ResumeOption = False,
          json_: JsonOption = False) -> None:
    """Train a forecaster into a run directory; prints test metrics beside the baselines."""
    from seqlab.tasks.forecasting import run

    cfg = _config(data, features, target, lookback, horizon, model, split, epochs, covariates, calendar, missing,
                  timestamp_col, config, set_)
    result = run.train(cfg, out, overwrite=overwrite, progress=not json_, resume=resume)
    if json_:
        print_result(result)
        return
    _scores_table(f"Test ({result['model']}, {result['parameters']} parameters, {result['train_seconds']} s)", result)
    if "selection" in result:
        _selection_table(result["selection"])
    console.print(f"run directory: {result['run_dir']}")


@forecast_app.command()
@user_errors
def evaluate(run_dir: RunDir,
             split: Annotated[str, typer.Option("--split", help="train, val or test.")] = "test",
             data: Annotated[Optional[str], typer.Option("--data", help="Score on another file with the same "
                                                                        "columns instead.")] = None,
             json_: JsonOption = False) -> None:
    """Score a run's model on a split, beside the baselines."""
    from seqlab.tasks.forecasting import run

    result = run.evaluate(run_dir, split=split, data=data)
    if json_:
        print_result(result)
        return
    _scores_table(f"{split} ({result['model']})", result)


@forecast_app.command()
@user_errors
def predict(run_dir: RunDir,
            history: Annotated[str, typer.Option("--history", help="CSV/Parquet (or built-in name) whose last "
                                                                    "lookback rows are the input.")],
            out: Annotated[Path, typer.Option("--out", help="CSV of the future timestamps and values.")],
            plot: Annotated[Optional[Path], typer.Option("--plot", help="Also draw the forecast as PNG.")] = None,
            overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out and --plot if they "
                                                                        "exist.")] = False,
            json_: JsonOption = False) -> None:
    """Forecast the horizon after the end of a history; writes timestamps and values as CSV."""
    from seqlab.errors import ConfigError
    from seqlab.tasks.figures import png_path
    from seqlab.tasks.forecasting import run
    from seqlab.tasks.rundir import check_output_file

    check_output_file(out, overwrite)
    if plot is not None:  # both names checked before anything is written
        check_output_file(png_path(plot), overwrite, option="--plot")
        if plot.resolve() == out.resolve():
            raise ConfigError(f"--plot {plot}: the same file as --out; name another")
    frame = run.predict(run_dir, history, out=out, plot=plot)
    if json_:
        print_json({"out": str(out), "rows": len(frame),
                    "forecast": frame.astype({c: str for c in frame.columns[:1]}).to_dict(orient="records")})
        return
    console.print(frame.to_string(index=False))
    console.print(f"written: {out}")


@forecast_app.command()
@user_errors
def backtest(data: Data, features: Features = None, target: Target = None, lookback: Lookback = None,
             horizon: Horizon = None, model: Model = None, epochs: Epochs = None, covariates: Covariates = None,
             calendar: Calendar = None, missing: Missing = None, timestamp_col: TimestampCol = None,
             config: Config = None, set_: Sets = None,
             folds: Annotated[int, typer.Option("--folds", help="Forecast origins.")] = 3,
             test_size: Annotated[Optional[int], typer.Option("--test-size", help="Rows forecast per fold "
                                                                                  "(default: the horizon).")] = None,
             refit: Annotated[bool, typer.Option("--refit/--no-refit", help="Retrain at every origin.")] = True,
             expanding: Annotated[bool, typer.Option("--expanding/--sliding", help="Training rows grow from the "
                                                                                   "start, or slide.")] = True,
             json_: JsonOption = False) -> None:
    """Rolling-origin backtest: per-fold and mean metrics against the last-value baseline."""
    from seqlab.tasks.forecasting.backtest import backtest as run_backtest

    cfg = _config(data, features, target, lookback, horizon, model, None, epochs, covariates, calendar, missing,
                  timestamp_col, config, set_)
    result = run_backtest(cfg, folds=folds, refit=refit, test_size=test_size, expanding=expanding,
                          progress=not json_)
    if json_:
        print_json(result)
        return
    table = Table(title=f"Backtest ({result['model']}, {'refit' if refit else 'no refit'})")
    for column in ("fold", "test rows", "windows", "mse", "mae", "naive mse"):
        table.add_column(column, justify="right")
    for row in result["folds"]:
        table.add_row(str(row["fold"]), f"{row['test'][0]}-{row['test'][1]}", str(row["windows"]),
                      f"{row['mse']:.4f}", f"{row['mae']:.4f}", f"{row['naive_mse']:.4f}")
    mean = result["mean"]
    table.add_row("mean", "", "", f"{mean['mse']:.4f}", f"{mean['mae']:.4f}", f"{mean['naive_mse']:.4f}")
    console.print(table)


def _scores_table(title: str, result: dict) -> None:
    table = Table(title=title)
    table.add_column("model")
    for column in ("mse", "mae", "mse (orig.)", "mae (orig.)", "smape %", "mase"):
        table.add_column(column, justify="right")

    def row(name: str, scores: dict) -> None:
        orig = scores["original"]
        table.add_row(name, f"{scores['mse']:.4f}", f"{scores['mae']:.4f}", f"{orig['mse']:.4g}", f"{orig['mae']:.4g}",
                      f"{orig['smape']:.2f}", f"{orig['mase']:.3f}")

    row(result["model"], result)
    for name, scores in result.get("baselines", {}).items():
        row(name, scores)
    console.print(table)


def _selection_table(selection: dict) -> None:
    table = Table(title=f"auto: validation (chosen: {selection['chosen']})")
    for column in ("candidate", "val mse", "val mae", "parameters", "seconds"):
        table.add_column(column, justify="right")
    for row in selection["candidates"]:
        table.add_row(row["model"], f"{row['val_mse']:.4f}", f"{row['val_mae']:.4f}", str(row["parameters"]),
                      f"{row['train_seconds']:.1f}")
    console.print(table)
