"""``seqlab text``: train, evaluate and apply text classifiers (thin over seqlab.tasks.text)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from seqlab.cli.common import JsonOption, console, print_json, user_errors
from seqlab.cli.tables import class_scores_table

text_app = typer.Typer(help="Text classification and sentiment analysis: tokenizers, (Bi)LSTM/GRU/CNN classifiers.",
                       no_args_is_help=True)

Data = Annotated[str, typer.Option("--data", help="CSV/TSV/JSONL file, a folder with one subfolder per label, or a "
                                                  "built-in name (sst2, imdb, ag_news; name:split picks a split).")]
TextCol = Annotated[Optional[str], typer.Option("--text-col", help="Text column (default: detected: text, sentence, "
                                                                   "review, ...).")]
LabelCol = Annotated[Optional[str], typer.Option("--label-col", help="Label column (default: detected: label, "
                                                                     "sentiment, class, ...).")]
# the names of seqlab.models.text.MODEL_NAMES, written out so that `--help` does not load torch
Model = Annotated[Optional[str], typer.Option("--model", help="lstm, gru, rnn, bilstm, bigru, cnn, cnn-lstm, or auto "
                                                              "(the default: the recommended model, chosen on "
                                                              "validation).")]
Epochs = Annotated[Optional[int], typer.Option("--epochs", help="Maximum epochs (early stopping on validation).")]
Tokenizer = Annotated[Optional[str], typer.Option("--tokenizer", help="word (default), bpe or wordpiece.")]
MaxLen = Annotated[Optional[int], typer.Option("--max-len", help="Longest text in tokens (default 400).")]
Truncation = Annotated[Optional[str], typer.Option("--truncation", help="head (default), tail or head+tail.")]
ValPath = Annotated[Optional[str], typer.Option("--val-path", help="A validation file (default: carved from the "
                                                                   "training data).")]
TestPath = Annotated[Optional[str], typer.Option("--test-path", help="A labelled file scored after training "
                                                                     "(default: a built-in's evaluation split).")]
Vectors = Annotated[Optional[str], typer.Option("--vectors", help="Local word2vec/GloVe text file to start the "
                                                                  "embedding from.")]
Config = Annotated[Optional[Path], typer.Option("--config", help="A text config YAML; options override it.")]
Sets = Annotated[Optional[list[str]], typer.Option("--set", help="Override any config key, e.g. model.units=256.")]


@text_app.command()
@user_errors
def train(data: Data, out: Annotated[Path, typer.Option("--out", help="Run directory.")],
          text_col: TextCol = None, label_col: LabelCol = None, model: Model = None, epochs: Epochs = None,
          tokenizer: Tokenizer = None, max_len: MaxLen = None, truncation: Truncation = None,
          val_path: ValPath = None, test_path: TestPath = None, vectors: Vectors = None,
          config: Config = None, set_: Sets = None,
          overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing run directory.")] = False,
          json_: JsonOption = False) -> None:
    """Train a text classifier into a run directory; prints its scores beside the majority-class baseline."""
    from seqlab.tasks.text import run
    from seqlab.tasks.text.config import build_config

    cfg = build_config(config, set_ or [], data=data, text_col=text_col, label_col=label_col, model=model,
                       epochs=epochs, tokenizer=tokenizer, max_len=max_len, truncation=truncation,
                       val_path=val_path, test_path=test_path, vectors=vectors)
    result = run.train(cfg, out, overwrite=overwrite, progress=not json_)
    if json_:
        print_json(result)
        return
    head = result["split"]
    class_scores_table(f"{head} ({result['model']}, {result['parameters']:,} parameters, {result['train_seconds']} s)",
                  result, result["baselines"]["majority_class"])
    if "selection" in result:
        _selection_table(result["selection"])
    console.print(f"run directory: {result['run_dir']}")


@text_app.command()
@user_errors
def evaluate(run_dir: Annotated[Path, typer.Argument(help="A run directory of `seqlab text train`.")],
             data: Annotated[Optional[str], typer.Option("--data", help="Labelled texts (file, folder or built-in "
                                                                        "name); default: the run's test data.")] = None,
             text_col: TextCol = None, label_col: LabelCol = None,
             confusion: Annotated[Optional[Path], typer.Option("--confusion", help="Also draw the confusion matrix "
                                                                                   "as PNG.")] = None,
             json_: JsonOption = False) -> None:
    """Score a run's model: accuracy, macro-F1, per-class precision and recall, confusion matrix."""
    from seqlab.tasks.text import run

    result = run.evaluate(run_dir, data, text_col=text_col, label_col=label_col, confusion=confusion)
    if json_:
        print_json(result)
        return
    class_scores_table(f"{result['source']} ({result['model']})", result)


@text_app.command()
@user_errors
def predict(run_dir: Annotated[Path, typer.Argument(help="A run directory of `seqlab text train`.")],
            input_: Annotated[str, typer.Argument(metavar="[FILE|-]", help="Texts to label: a .txt file (one text "
                                                  "per line), a CSV/TSV/JSONL with the run's text column, or - for "
                                                  "stdin (the default).")] = "-",
            text_col: TextCol = None,
            out: Annotated[Optional[Path], typer.Option("--out", help="Write the JSON lines here instead of "
                                                                      "stdout.")] = None) -> None:
    """Label texts: one JSON line per input text with its label and class probabilities."""
    from seqlab.tasks.text import run

    if input_ == "-":
        texts = run.decode_lines(sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode())
    else:
        texts = run.read_inputs(input_, run_dir, text_col)
    records = run.predict(run_dir, texts, out)
    if out is None:
        for record in records:
            print_json(record)


def _selection_table(selection: dict) -> None:
    table = Table(title=f"auto: candidates on validation (chosen: {selection['chosen']})")
    for col in ("model", "val accuracy", "parameters", "epochs", "train s"):
        table.add_column(col, justify="right" if col != "model" else "left")
    for row in selection["candidates"]:
        table.add_row(row["model"], f"{row['val_accuracy']:.4f}", f"{row['parameters']:,}", str(row["epochs"]),
                      f"{row['train_seconds']:.1f}")
    console.print(table)
