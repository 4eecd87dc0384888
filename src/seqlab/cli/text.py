"""``seqlab text``: train, evaluate and apply text classifiers (thin over seqlab.tasks.text)."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from seqlab.cli.common import (ConfusionOption, JsonLinesOption, JsonOption, OutOption, OutputOverwriteOption,
                               OverwriteOption, PredictionsOutOption, ResumeOption, SetOption, config_default,
                               config_option, console, data_option, epochs_option, model_option, print_json_lines,
                               print_result, run_dir_argument, user_errors)
from seqlab.cli.tables import class_scores_table, selection_table
from seqlab.models.text.config import MODEL_NAMES
from seqlab.tasks.text.config import TextConfig

text_app = typer.Typer(help="Text classification and sentiment analysis: tokenizers, (Bi)LSTM/GRU/CNN classifiers.",
                       no_args_is_help=True)

Data = data_option("CSV/TSV/JSONL file, a folder with one subfolder per label, or a built-in name (sst2, imdb, "
                   "ag_news; name:split picks a split).")
TextCol = Annotated[Optional[str], typer.Option("--text-col", help="Text column (default: detected: text, sentence, "
                                                                   "review, ...).")]
LabelCol = Annotated[Optional[str], typer.Option("--label-col", help="Label column (default: detected: label, "
                                                                     "sentiment, class, ...).")]
Model = model_option(MODEL_NAMES, "the recommended model, chosen on validation")
Epochs = epochs_option(TextConfig)
Tokenizer = Annotated[Optional[str], typer.Option("--tokenizer", help="word, bpe or wordpiece (default "
                                                  f"{config_default(TextConfig, 'data.tokenizer')}).")]
MaxLen = Annotated[Optional[int], typer.Option("--max-len", help="Longest text in tokens (default "
                                               f"{config_default(TextConfig, 'data.max_len')}).")]
Truncation = Annotated[Optional[str], typer.Option("--truncation", help="head, tail or head+tail (default "
                                                   f"{config_default(TextConfig, 'data.truncation')}).")]
ValPath = Annotated[Optional[str], typer.Option("--val-path", help="A validation file (default: carved from the "
                                                                   "training data).")]
TestPath = Annotated[Optional[str], typer.Option("--test-path", help="A labelled file scored after training "
                                                                     "(default: a built-in's evaluation split).")]
Vectors = Annotated[Optional[str], typer.Option("--vectors", help="Local word2vec/GloVe text file to start the "
                                                                  "embedding from.")]
Config = config_option("text")
Sets = SetOption
RunDir = run_dir_argument("text")


@text_app.command()
@user_errors
def train(data: Data, out: OutOption,
          text_col: TextCol = None, label_col: LabelCol = None, model: Model = None, epochs: Epochs = None,
          tokenizer: Tokenizer = None, max_len: MaxLen = None, truncation: Truncation = None,
          val_path: ValPath = None, test_path: TestPath = None, vectors: Vectors = None,
          config: Config = None, set_: Sets = None,
          overwrite: OverwriteOption = False,
          resume: ResumeOption = False,
          json_: JsonOption = False) -> None:
    """Train a text classifier into a run directory; prints its scores beside the majority-class baseline."""
    from seqlab.tasks.text import run
    from seqlab.tasks.text.config import build_config

    cfg = build_config(config, set_ or [], data=data, text_col=text_col, label_col=label_col, model=model,
                       epochs=epochs, tokenizer=tokenizer, max_len=max_len, truncation=truncation,
                       val_path=val_path, test_path=test_path, vectors=vectors)
    result = run.train(cfg, out, overwrite=overwrite, progress=not json_, resume=resume)
    if json_:
        print_result(result)
        return
    head = result["split"]
    class_scores_table(f"{head} ({result['model']}, {result['parameters']:,} parameters, {result['train_seconds']} s)",
                  result, result["baselines"]["majority_class"])
    if "selection" in result:
        selection_table(result["selection"], str(result["selection"]["chosen"]))
    console.print(f"run directory: {result['run_dir']}")


@text_app.command()
@user_errors
def evaluate(run_dir: RunDir,
             data: Annotated[Optional[str], typer.Option("--data", help="Labelled texts (file, folder or built-in "
                                                                        "name); default: the run's test data.")] = None,
             text_col: TextCol = None, label_col: LabelCol = None,
             confusion: ConfusionOption = None,
             json_: JsonOption = False) -> None:
    """Score a run's model: accuracy, macro-F1, per-class precision and recall, confusion matrix."""
    from seqlab.tasks.text import run

    result = run.evaluate(run_dir, data, text_col=text_col, label_col=label_col, confusion=confusion)
    if json_:
        print_result(result)
        return
    class_scores_table(f"{result['source']} ({result['model']})", result)


@text_app.command()
@user_errors
def predict(run_dir: RunDir,
            input_: Annotated[str, typer.Argument(metavar="[FILE|-]", help="Texts to label: a .txt file (one text "
                                                  "per line), a CSV/TSV/JSONL with the run's text column, or - for "
                                                  "stdin (the default).")] = "-",
            text_col: TextCol = None,
            out: PredictionsOutOption = None,
            overwrite: OutputOverwriteOption = False, json_: JsonLinesOption = False) -> None:
    """Label texts: one JSON line per input text with its label and class probabilities.

    JSON lines are this command's output with or without --json."""
    from seqlab.tasks.rundir import check_output_file
    from seqlab.tasks.text import run

    if out is not None:
        check_output_file(out, overwrite)
    if input_ == "-":
        texts = run.decode_lines(sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode())
    else:
        texts = run.read_inputs(input_, run_dir, text_col)
    records = run.predict(run_dir, texts, out)
    if out is None:
        print_json_lines(records)

