"""`seqlab classify`: thin over seqlab.tasks.classify (parse, call the Python API, print)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from seqlab.cli.common import (ConfusionOption, JsonLinesOption, JsonOption, OutOption, OutputOverwriteOption,
                               OverwriteOption, PredictionsOutOption, ResumeOption, SetOption, config_option, console,
                               data_option, epochs_option, model_option, print_json_lines, print_result,
                               run_dir_argument, user_errors)
from seqlab.cli.tables import class_scores_table
from seqlab.models.tsc import MODEL_NAMES
from seqlab.tasks.classify.config import ClassifyConfig

classify_app = typer.Typer(help="Time-series classification on UCR/UEA data: FCN, ResNet, LSTM-FCN, BiGRU, LSTM.", no_args_is_help=True)

Model = model_option(MODEL_NAMES, "the recommended model, FCN")
Epochs = epochs_option(ClassifyConfig, "training stops earlier when the training loss stalls")
Config = config_option("classify")
Sets = SetOption
# --train: the option's older name, still accepted
TrainData = data_option("Training data: a UCR/UEA .ts, .arff or .tsv file (X_TRAIN.ts), or a dataset folder.",
                        aliases=("--train",))
RunDir = run_dir_argument("classify")


@classify_app.command()
@user_errors
def train(data: TrainData,
          out: OutOption,
          model: Model = None, epochs: Epochs = None,
          test: Annotated[Optional[str], typer.Option("--test", help="A labelled file scored after training "
                                                                     "(default: the _TEST file beside --data).")] = None,
          config: Config = None, set_: Sets = None,
          overwrite: OverwriteOption = False,
          resume: ResumeOption = False,
          json_: JsonOption = False) -> None:
    """Train a time-series classifier into a run directory; prints its scores beside the majority-class baseline."""
    from seqlab.tasks.classify import run
    from seqlab.tasks.classify.config import build_config

    cfg = build_config(config, set_ or [], data=data, model=model, epochs=epochs, test_path=test)
    result = run.train(cfg, out, overwrite=overwrite, progress=not json_, resume=resume)
    if json_:
        print_result(result)
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
def evaluate(run_dir: RunDir,
             data: Annotated[Optional[str], typer.Option("--data", help="A labelled UCR/UEA file (X_TEST.ts); "
                                                                        "default: the run's test file.")] = None,
             confusion: ConfusionOption = None,
             json_: JsonOption = False) -> None:
    """Score a run's model: accuracy, macro-F1, per-class precision and recall, confusion matrix."""
    from seqlab.tasks.classify import run

    result = run.evaluate(run_dir, data, confusion=confusion)
    if json_:
        print_result(result)
        return
    class_scores_table(f"{result['source']} ({result['model']}, {result['series']} series)", result)


@classify_app.command()
@user_errors
def predict(run_dir: RunDir,
            data: Annotated[str, typer.Argument(help="A UCR/UEA .ts, .arff or .tsv file of series to label "
                                                     "(labels in it are ignored).")],
            out: PredictionsOutOption = None,
            overwrite: OutputOverwriteOption = False, json_: JsonLinesOption = False) -> None:
    """Label series: one JSON line per series with its index, line, label and class probabilities.

    JSON lines are this command's output with or without --json."""
    from seqlab.tasks.classify import run
    from seqlab.tasks.rundir import check_output_file

    if out is not None:
        check_output_file(out, overwrite)
    records = run.predict(run_dir, data, out)
    if out is None:
        print_json_lines(records)
