"""`seqlab classify`: thin over seqlab.tasks.classify (parse, call the Python API, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from seqlab.cli.common import JsonOption, console, print_json, user_errors
from seqlab.cli.tables import class_scores_table

classify_app = typer.Typer(help="Time-series classification on UCR/UEA data: FCN, ResNet, LSTM-FCN, BiGRU, LSTM.", no_args_is_help=True)

# the names of seqlab.models.tsc.MODEL_NAMES, written out so that `--help` does not load torch
Model = Annotated[Optional[str], typer.Option("--model", help="fcn, resnet, lstm-fcn, bigru, lstm, or auto (the "
                                                              "default: the recommended model, FCN).")]
Epochs = Annotated[Optional[int], typer.Option("--epochs", help="Maximum epochs (default 500; training stops "
                                                                "earlier when the training loss stalls).")]
Config = Annotated[Optional[Path], typer.Option("--config", help="A classify config YAML; options override it.")]
Sets = Annotated[Optional[list[str]], typer.Option("--set", help="Override any config key, e.g. model.units=32 or "
                                                                 "data.normalize=channel.")]


@classify_app.command()
@user_errors
def train(train_: Annotated[str, typer.Option("--train", help="Training data: a UCR/UEA .ts, .arff or .tsv file "
                                                              "(X_TRAIN.ts), or a dataset folder.")],
          out: Annotated[Path, typer.Option("--out", help="Run directory.")],
          model: Model = None, epochs: Epochs = None,
          test: Annotated[Optional[str], typer.Option("--test", help="A labelled file scored after training "
                                                                     "(default: the _TEST file beside --train).")] = None,
          config: Config = None, set_: Sets = None,
          overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing run directory.")] = False,
          json_: JsonOption = False) -> None:
    """Train a time-series classifier into a run directory; prints its scores beside the majority-class baseline."""
    from seqlab.tasks.classify import run
    from seqlab.tasks.classify.config import build_config

    cfg = build_config(config, set_ or [], data=train_, model=model, epochs=epochs, test_path=test)
    result = run.train(cfg, out, overwrite=overwrite, progress=not json_)
    if json_:
        print_json(result)
        return
    majority = result["baselines"]["majority_class"]
    class_scores_table(f"{result['split']} ({result['model']}, {result['parameters']:,} parameters, "
                  f"{result['epochs']} epochs, {result['train_seconds']} s)", result)
    console.print(f"majority class '{majority['label']}': accuracy {majority['accuracy']:.4f}")
    if "selection" in result:
        console.print(f"auto: {result['selection']['reason']}")
    console.print(f"run directory: {result['run_dir']}")


@classify_app.command()
@user_errors
def evaluate(run_dir: Annotated[Path, typer.Argument(help="A run directory of `seqlab classify train`.")],
             data: Annotated[Optional[str], typer.Option("--data", help="A labelled UCR/UEA file (X_TEST.ts); "
                                                                        "default: the run's test file.")] = None,
             confusion: Annotated[Optional[Path], typer.Option("--confusion", help="Also draw the confusion "
                                                                                   "matrix as PNG.")] = None,
             json_: JsonOption = False) -> None:
    """Score a run's model: accuracy, macro-F1, per-class precision and recall, confusion matrix."""
    from seqlab.tasks.classify import run

    result = run.evaluate(run_dir, data, confusion=confusion)
    if json_:
        print_json(result)
        return
    class_scores_table(f"{result['source']} ({result['model']}, {result['series']} series)", result)


@classify_app.command()
@user_errors
def predict(run_dir: Annotated[Path, typer.Argument(help="A run directory of `seqlab classify train`.")],
            data: Annotated[str, typer.Argument(help="A UCR/UEA .ts, .arff or .tsv file of series to label "
                                                     "(labels in it are ignored).")],
            out: Annotated[Optional[Path], typer.Option("--out", help="Write the JSON lines here instead of "
                                                                      "stdout.")] = None) -> None:
    """Label series: one JSON line per series with its index, line, label and class probabilities."""
    from seqlab.tasks.classify import run

    records = run.predict(run_dir, data, out)
    if out is None:
        for record in records:
            print_json(record)
