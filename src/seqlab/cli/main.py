"""The ``seqlab`` command: the root typer app. Commands are thin: parse, call the Python API, print."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from seqlab.cli.common import JsonOption, SetOption, console, print_json, print_result, user_errors
from seqlab.cli.analysis import analyze_app, compare, explain, report
from seqlab.cli.anomaly import anomaly_app
from seqlab.cli.classify import classify_app
from seqlab.cli.forecast import forecast_app
from seqlab.cli.generate import generate_app
from seqlab.cli.speech import speech_app
from seqlab.cli.text import text_app
from seqlab.cli.translate import translate_app

app = typer.Typer(name="seqlab", help="Sequence modelling with recurrent and convolutional networks.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.add_typer(forecast_app, name="forecast")
app.add_typer(text_app, name="text")
app.add_typer(classify_app, name="classify")
app.add_typer(speech_app, name="speech")
app.add_typer(anomaly_app, name="anomaly")
app.add_typer(generate_app, name="generate")
app.add_typer(translate_app, name="translate")
app.add_typer(analyze_app, name="analyze")
app.command()(user_errors(compare))
app.command()(user_errors(explain))
app.command()(user_errors(report))


def _print_version(asked: bool) -> None:
    if asked:
        import seqlab

        typer.echo(f"seqlab {seqlab.__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                help="Print seqlab's version and exit.")] = False) -> None:
    pass  # the options of `seqlab` itself; each command has its own


@app.command()
@user_errors
def train(
    config: Annotated[Optional[Path], typer.Argument(help="Run config YAML; omitted: the embedded default "
                                                    "(LSTM(50) -> Dense(1) on ETTh1's OT).")] = None,
    set_: SetOption = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default runs/<time>).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing run directory.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --out from its last checkpoint.")] = False,
    json_: JsonOption = False,
) -> None:
    """Train a model from a config into a run directory; prints test metrics beside the baseline."""
    from seqlab.tasks import runs

    result = runs.train(config, set_ or [], out, overwrite=overwrite, resume=resume, progress=not json_)
    if not runs.is_main_process():
        return  # the other DDP ranks re-run this command; rank 0 reports
    if json_:
        print_result(result)
        return
    _metrics_table("Test metrics", result)
    console.print(f"run directory: {result['run_dir']}")


@app.command()
@user_errors
def evaluate(run_dir: Annotated[Path, typer.Argument(help="A run directory written by `seqlab train`.")],
             json_: JsonOption = False) -> None:
    """Score a run's model on its test split again."""
    from seqlab.tasks import runs

    result = runs.evaluate(run_dir)
    if json_:
        print_result(result)
        return
    _metrics_table("Test metrics", result)


@app.command()
@user_errors
def predict(run_dir: Annotated[Path, typer.Argument(help="A run directory written by `seqlab train`.")],
            input_file: Annotated[Path, typer.Argument(help="Series CSV, text file (one per line) or MNIST idx file.")],
            json_: JsonOption = False) -> None:
    """Predict with a run's model; prints one JSON line per prediction (one object with --json)."""
    from seqlab.tasks import runs

    records = runs.predict(run_dir, input_file)
    if json_:
        print_json({"predictions": records})
        return
    for record in records:
        print_json(record)


@app.command()
@user_errors
def info(json_: JsonOption = False) -> None:
    """Versions, devices and the layers seqlab offers."""
    import lightning
    import torch

    import seqlab
    from seqlab.data.registry import BUILTIN
    from seqlab.data.textsets import TEXT_DATASETS
    from seqlab.layers import LAYERS

    result = {"seqlab": seqlab.__version__, "python": platform.python_version(), "torch": torch.__version__,
              "lightning": lightning.__version__, "cuda": torch.cuda.is_available(),
              "threads": torch.get_num_threads(), "layers": sorted(LAYERS),
              "datasets": sorted(BUILTIN) + sorted(TEXT_DATASETS)}
    if json_:
        print_json(result)
        return
    table = Table(title="seqlab")
    table.add_column("what")
    table.add_column("value")
    for key, value in result.items():
        table.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    console.print(table)


def _metrics_table(title: str, result: dict) -> None:
    table = Table(title=title)
    table.add_column("model")
    names = list(result["test"])
    for name in names:
        table.add_column(name, justify="right")
    table.add_row("model", *(f"{result['test'][n]:.4f}" for n in names))
    baseline = result.get("baseline") or {}
    if "name" in baseline:
        table.add_row(baseline["name"], *(f"{baseline.get(n, float('nan')):.4f}" for n in names))
    console.print(table)


if __name__ == "__main__":
    app()
