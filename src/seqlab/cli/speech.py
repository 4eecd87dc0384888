"""`seqlab speech`: thin over seqlab.tasks.speech (parse, call the Python API, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from seqlab.cli.common import (ConfusionOption, JsonLinesOption, JsonOption, OutOption, OverwriteOption, ResumeOption,
                               SetOption, config_default, config_option, console, data_option, epochs_option,
                               model_option, print_json_lines, print_result, run_dir_argument, user_errors)
from seqlab.cli.tables import class_scores_table, selection_table
from seqlab.models.speech.config import MODEL_NAMES
from seqlab.tasks.speech.config import SpeechConfig

speech_app = typer.Typer(help="Spoken-word recognition from WAV audio: log-mel/MFCC features, (Bi)LSTM/GRU, Conv1D and CNN+RNN classifiers.", no_args_is_help=True)

Model = model_option(MODEL_NAMES, "conv1d and cnn-rnn, averaged or the better one, chosen on validation")
Epochs = epochs_option(SpeechConfig)
Features = Annotated[Optional[str], typer.Option("--features", help="mfcc or logmel (default "
                                                 f"{config_default(SpeechConfig, 'data.features')}).")]
SampleRate = Annotated[Optional[int], typer.Option("--sample-rate", help="Resample every file to this rate "
                                                                         "(default: the training files' most "
                                                                         "common rate).")]
Config = config_option("speech")
Sets = SetOption
TrainData = data_option("A folder of {label}_{speaker}_{index}.wav files; index 0-4 is the test set, the rest trains.")
RunDir = run_dir_argument("speech")


@speech_app.command()
@user_errors
def train(data: TrainData,
          out: OutOption,
          model: Model = None, epochs: Epochs = None, features: Features = None, sample_rate: SampleRate = None,
          config: Config = None, set_: Sets = None,
          overwrite: OverwriteOption = False,
          resume: ResumeOption = False,
          json_: JsonOption = False) -> None:
    """Train a spoken-word classifier into a run directory; prints its scores beside the majority-class baseline."""
    from seqlab.tasks.speech import run
    from seqlab.tasks.speech.config import build_config

    cfg = build_config(config, set_ or [], data=data, model=model, epochs=epochs, features=features,
                       sample_rate=sample_rate)
    result = run.train(cfg, out, overwrite=overwrite, progress=not json_, resume=resume)
    if json_:
        print_result(result)
        return
    class_scores_table(f"{result['split']} ({result['model']}, {result['parameters']:,} parameters, "
                  f"{result['train_seconds']} s)", result)
    majority = result["baselines"]["majority_class"]
    console.print(f"majority class '{majority['label']}': accuracy {majority['accuracy']:.4f}")
    if "selection" in result:
        selection = result["selection"]
        selection_table(selection, f"{'+'.join(selection['chosen'])}, val accuracy "
                                   f"{selection['ensemble_val_accuracy']:.4f}")
    console.print(f"run directory: {result['run_dir']}")


@speech_app.command()
@user_errors
def evaluate(run_dir: RunDir,
             data: Annotated[Optional[str], typer.Option("--data", help="A folder of {label}_{speaker}_{index}.wav "
                                                                        "files, every one scored; default: the "
                                                                        "run's test files.")] = None,
             snr: Annotated[Optional[float], typer.Option("--snr", help="Add white noise at this signal-to-noise "
                                                                        "ratio (dB) to each file first.")] = None,
             seed: Annotated[int, typer.Option("--seed", help="Seed of the added noise.")] = 0,
             confusion: ConfusionOption = None,
             json_: JsonOption = False) -> None:
    """Score a run's model: accuracy, macro-F1, per-class precision and recall, confusion matrix."""
    from seqlab.tasks.speech import run

    result = run.evaluate(run_dir, data, snr_db=snr, seed=seed, confusion=confusion)
    if json_:
        print_result(result)
        return
    noise = f", white noise at {snr:g} dB SNR" if snr is not None else ""
    class_scores_table(f"{result['source']} ({result['model']}{noise}, {result['files']} files)", result)


@speech_app.command()
@user_errors
def predict(run_dir: RunDir,
            files: Annotated[list[Path], typer.Argument(metavar="FILE.wav...", help="WAV files (or folders of "
                                                                                    "them) to label.")],
            json_: JsonLinesOption = False) -> None:
    """Label WAV files: one JSON line per file with its label and class probabilities.

    JSON lines are this command's output with or without --json."""
    from seqlab.tasks.speech import run

    print_json_lines(run.predict_files(run_dir, files))

