"""`seqlab speech`: thin over seqlab.tasks.speech (parse, call the Python API, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from seqlab.cli.common import JsonOption, console, print_json, user_errors
from seqlab.cli.tables import class_scores_table

speech_app = typer.Typer(help="Spoken-word recognition from WAV audio: log-mel/MFCC features, (Bi)LSTM/GRU, Conv1D and CNN+RNN classifiers.", no_args_is_help=True)

# the names of seqlab.models.speech.MODEL_NAMES, written out so that `--help` does not load torch
Model = Annotated[Optional[str], typer.Option("--model", help="lstm, gru, bilstm, bigru, conv1d, cnn-rnn, or auto "
                                                              "(the default: conv1d and cnn-rnn, averaged or the "
                                                              "better one, chosen on validation).")]
Epochs = Annotated[Optional[int], typer.Option("--epochs", help="Maximum epochs (early stopping on validation).")]
Features = Annotated[Optional[str], typer.Option("--features", help="mfcc (default) or logmel.")]
SampleRate = Annotated[Optional[int], typer.Option("--sample-rate", help="Resample every file to this rate "
                                                                         "(default: the training files' most "
                                                                         "common rate).")]
Config = Annotated[Optional[Path], typer.Option("--config", help="A speech config YAML; options override it.")]
Sets = Annotated[Optional[list[str]], typer.Option("--set", help="Override any config key, e.g. model.units=128 "
                                                                 "or data.test_speakers=[theo].")]


@speech_app.command()
@user_errors
def train(data: Annotated[str, typer.Option("--data", help="A folder of {label}_{speaker}_{index}.wav files; index "
                                                           "0-4 is the test set, the rest trains.")],
          out: Annotated[Path, typer.Option("--out", help="Run directory.")],
          model: Model = None, epochs: Epochs = None, features: Features = None, sample_rate: SampleRate = None,
          config: Config = None, set_: Sets = None,
          overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing run directory.")] = False,
          json_: JsonOption = False) -> None:
    """Train a spoken-word classifier into a run directory; prints its scores beside the majority-class baseline."""
    from seqlab.tasks.speech import run
    from seqlab.tasks.speech.config import build_config

    cfg = build_config(config, set_ or [], data=data, model=model, epochs=epochs, features=features,
                       sample_rate=sample_rate)
    result = run.train(cfg, out, overwrite=overwrite, progress=not json_)
    if json_:
        print_json(result)
        return
    class_scores_table(f"{result['split']} ({result['model']}, {result['parameters']:,} parameters, "
                  f"{result['train_seconds']} s)", result)
    majority = result["baselines"]["majority_class"]
    console.print(f"majority class '{majority['label']}': accuracy {majority['accuracy']:.4f}")
    if "selection" in result:
        _selection_table(result["selection"])
    console.print(f"run directory: {result['run_dir']}")


@speech_app.command()
@user_errors
def evaluate(run_dir: Annotated[Path, typer.Argument(help="A run directory of `seqlab speech train`.")],
             data: Annotated[Optional[str], typer.Option("--data", help="A folder of {label}_{speaker}_{index}.wav "
                                                                        "files, every one scored; default: the "
                                                                        "run's test files.")] = None,
             snr: Annotated[Optional[float], typer.Option("--snr", help="Add white noise at this signal-to-noise "
                                                                        "ratio (dB) to each file first.")] = None,
             seed: Annotated[int, typer.Option("--seed", help="Seed of the added noise.")] = 0,
             confusion: Annotated[Optional[Path], typer.Option("--confusion", help="Also draw the confusion matrix "
                                                                                   "as PNG.")] = None,
             json_: JsonOption = False) -> None:
    """Score a run's model: accuracy, macro-F1, per-class precision and recall, confusion matrix."""
    from seqlab.tasks.speech import run

    result = run.evaluate(run_dir, data, snr_db=snr, seed=seed, confusion=confusion)
    if json_:
        print_json(result)
        return
    noise = f", white noise at {snr:g} dB SNR" if snr is not None else ""
    class_scores_table(f"{result['source']} ({result['model']}{noise}, {result['files']} files)", result)


@speech_app.command()
@user_errors
def predict(run_dir: Annotated[Path, typer.Argument(help="A run directory of `seqlab speech train`.")],
            files: Annotated[list[Path], typer.Argument(metavar="FILE.wav...", help="WAV files (or folders of "
                                                                                    "them) to label.")]) -> None:
    """Label WAV files: one JSON line per file with its label and class probabilities."""
    from seqlab.tasks.speech import run

    for record in run.predict_files(run_dir, files):
        print_json(record)


def _selection_table(selection: dict) -> None:
    table = Table(title=f"auto: candidates on validation (chosen: {'+'.join(selection['chosen'])}, "
                        f"val accuracy {selection['ensemble_val_accuracy']:.4f})")
    for col in ("model", "val accuracy", "parameters", "epochs", "train s"):
        table.add_column(col, justify="right" if col != "model" else "left")
    for row in selection["candidates"]:
        table.add_row(row["model"], f"{row['val_accuracy']:.4f}", f"{row['parameters']:,}", str(row["epochs"]),
                      f"{row['train_seconds']:.1f}")
    console.print(table)
