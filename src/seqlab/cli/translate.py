"""`seqlab translate`: thin over seqlab.tasks.translate (parse, call the Python API, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from seqlab.cli.common import (JsonLinesOption, JsonOption, OutOption, OverwriteOption, ResumeOption, SetOption,
                               config_default, config_option, console, data_option, epochs_option, model_option,
                               print_json_lines, print_result, run_dir_argument, user_errors)
from seqlab.models.seq2seq import ATTENTIONS, MODEL_NAMES
from seqlab.tasks.translate.config import TranslateConfig

translate_app = typer.Typer(help="Translation with attention: GRU/LSTM encoder-decoder, Bahdanau/Luong attention, greedy and beam search, BLEU.", no_args_is_help=True)

RunDir = run_dir_argument("translate")
Model = model_option(MODEL_NAMES, "the recommended model, its beam width chosen on validation")
Attention = Annotated[Optional[str], typer.Option("--attention", help=f"{' (additive) or '.join(ATTENTIONS)} (dot); "
                                                  "with auto, the recommended cell with this attention.")]
Beam = Annotated[Optional[int], typer.Option("--beam", help="Beam width (1 = greedy); default: the run's.")]
TrainData = data_option("Sentence pairs: 'source<TAB>target[<TAB>...]' lines.")
Epochs = epochs_option(TranslateConfig, "early stopping on validation loss")
Config = config_option("translate")


@translate_app.command()
@user_errors
def train(data: TrainData,
          out: OutOption,
          model: Model = None, attention: Attention = None,
          beam: Annotated[Optional[int], typer.Option("--beam", help="Beam width (1 = greedy); default: chosen on "
                                                                     "validation (1 or 5).")] = None,
          epochs: Epochs = None,
          max_time: Annotated[Optional[float], typer.Option("--max-time", help="Training budget in seconds (default "
                                                            f"{config_default(TranslateConfig, 'train.max_time_s'):g})."
                                                            )] = None,
          max_words: Annotated[Optional[int], typer.Option("--max-words", help="Keep pairs of at most this many words "
                                                           "per side (default "
                                                           f"{config_default(TranslateConfig, 'data.max_words')}).")] = None,
          config: Config = None,
          set_: SetOption = None,
          overwrite: OverwriteOption = False,
          resume: ResumeOption = False,
          json_: JsonOption = False) -> None:
    """Train an encoder-decoder with attention; prints test BLEU beside the trivial baselines."""
    from seqlab.tasks.translate import run
    from seqlab.tasks.translate.config import build_config

    cfg = build_config(config, set_ or [], data=data, model=model, attention=attention, beam=beam, epochs=epochs,
                       max_time=max_time, max_words=max_words)
    result = run.train(cfg, out, overwrite=overwrite, progress=not json_, resume=resume)
    if json_:
        print_result(result)
        return
    console.print(f"{result['model']}: {result['parameters']:,} parameters, {result['epochs']} epoch(s), "
                  f"{result['train_seconds']} s; {result['sentences']} test pairs")
    _bleu_line(result)
    if "beam_selection" in result:
        sel = result["beam_selection"]
        console.print(f"beam chosen on validation: {sel['chosen']} (val BLEU {sel['val_bleu']})")
    _examples(result["examples"])
    console.print(f"run directory: {result['run_dir']}")


@translate_app.command()
@user_errors
def evaluate(run_dir: RunDir,
             data: Annotated[Optional[Path], typer.Option("--data", help="Sentence pairs to score; default: the "
                                                                         "run's held-out test pairs.")] = None,
             beam: Beam = None,
             heatmaps: Annotated[Optional[Path], typer.Option("--heatmaps", help="Draw the attention of the first "
                                                                                 "10 sentences into this folder.")] = None,
             json_: JsonOption = False) -> None:
    """BLEU (sacrebleu, cased) of a run's translations, beside the copy-the-source baseline."""
    from seqlab.tasks.translate import run

    result = run.evaluate(run_dir, data, beam=beam, heatmaps=heatmaps)
    if json_:
        print_result(result)
        return
    console.print(f"{result['model']} on {result['source']} ({result['sentences']} pairs, beam {result['beam']})")
    _bleu_line(result)
    for path in result.get("heatmaps", []):
        console.print(f"heatmap: {path}")


@translate_app.command()
@user_errors
def predict(run_dir: RunDir,
            text: Annotated[list[str], typer.Argument(help="One or more sentences to translate.")],
            beam: Beam = None,
            heatmap: Annotated[Optional[Path], typer.Option("--heatmap", help="Draw the attention as PNG (the first "
                                                                              "sentence; others as <stem>_<i>.png).")] = None,
            json_: JsonLinesOption = False) -> None:
    """Translate sentences: one line per sentence (one JSON object per line with --json)."""
    from seqlab.tasks.translate import run

    records = run.predict(run_dir, list(text), beam=beam, heatmap=heatmap)
    if json_:
        print_json_lines(records)
        return
    for record in records:
        console.print(record["translation"], highlight=False)


def _bleu_line(result: dict) -> None:
    base = result["baselines"]
    line = f"BLEU {result['bleu']:.2f} (lowercased {result['bleu_lowercase']:.2f}, beam {result['beam']})"
    if "bleu_greedy" in result:
        line += f"   greedy {result['bleu_greedy']:.2f}"
    line += f"   baselines: copy the source {base['copy_source']:.2f}"
    if "most_frequent_target" in base:
        line += f", most frequent target {base['most_frequent_target']['bleu']:.2f}"
    console.print(line)


def _examples(examples: list[dict]) -> None:
    table = Table(title="test examples")
    for col in ("source", "reference", "translation"):
        table.add_column(col)
    for e in examples:
        table.add_row(e["source"], e["reference"], e["translation"])
    console.print(table)
