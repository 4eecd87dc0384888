"""`seqlab generate`: thin over seqlab.tasks.generate (parse, call the Python API, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from seqlab.cli.common import (JsonOption, OutOption, OverwriteOption, ResumeOption, SetOption, config_default,
                               config_option, console, data_option, epochs_option, model_option, print_json,
                               print_result, run_dir_argument, user_errors)
from seqlab.models.lm.config import LMName
from seqlab.tasks.generate.config import GenerateConfig

generate_app = typer.Typer(help="Language models and text generation: character/word LSTM/GRU, truncated BPTT, sampling.", no_args_is_help=True)

RunDir = run_dir_argument("generate")
Config = config_option("generate")
Sets = SetOption
TrainData = data_option("One UTF-8 text file (the first 90% trains, the last 10% validates).")
Model = model_option(LMName.__args__, "the recommended model for the level")
Epochs = epochs_option(GenerateConfig, "an epoch is data.epoch_tokens tokens")


@generate_app.command()
@user_errors
def train(data: TrainData,
          out: OutOption,
          model: Model = None,
          level: Annotated[Optional[str], typer.Option("--level", help="char or word (default "
                                                       f"{config_default(GenerateConfig, 'data.level')}).")] = None,
          max_time: Annotated[Optional[float], typer.Option("--max-time", help="Training budget in seconds (default "
                                                            f"{config_default(GenerateConfig, 'train.max_time_s'):g})."
                                                            )] = None,
          epochs: Epochs = None,
          steps: Annotated[Optional[int], typer.Option("--steps", help="Truncated-BPTT length in tokens (default "
                                                       f"{config_default(GenerateConfig, 'data.steps')}).")] = None,
          batch_size: Annotated[Optional[int], typer.Option("--batch-size", help="Parallel streams (default "
                                                            f"{config_default(GenerateConfig, 'train.batch_size')})."
                                                            )] = None,
          config: Config = None, set_: Sets = None,
          overwrite: OverwriteOption = False,
          resume: ResumeOption = False,
          json_: JsonOption = False) -> None:
    """Train a language model into a run directory; prints its validation loss beside the unigram baseline."""
    from seqlab.tasks.generate import run
    from seqlab.tasks.generate.config import build_config

    run.check_train_options(max_time)
    cfg = build_config(config, set_ or [], data=data, model=model, level=level, epochs=epochs, steps=steps,
                       max_time_s=max_time, batch_size=batch_size)
    result = run.train(cfg, out, overwrite=overwrite, progress=not json_, resume=resume)
    if json_:
        print_result(result)
        return
    unigram = result["baselines"]["unigram"]
    table = Table(title=f"validation ({result['model']}, {result['parameters']:,} parameters, {result['epochs']} "
                        f"epochs, {result['train_seconds']} s)")
    for col in ("model", "nats/token", "bits/char", "perplexity"):
        table.add_column(col, justify="left" if col == "model" else "right")
    table.add_row(result["model"], f"{result['val_loss_nats']:.4f}", f"{result['bpc']:.4f}", f"{result['perplexity']:.2f}")
    table.add_row("unigram baseline", f"{unigram['val_loss_nats']:.4f}", f"{unigram['bpc']:.4f}",
                  f"{2.718281828459045 ** unigram['val_loss_nats']:.2f}")
    console.print(table)
    console.print(f"run directory: {result['run_dir']}")


@generate_app.command()
@user_errors
def evaluate(run_dir: RunDir,
             data: Annotated[Optional[Path], typer.Option("--data", help="Score this whole text file instead of "
                                                                         "the run's validation part.")] = None,
             json_: JsonOption = False) -> None:
    """Validation loss (nats per token) and bits per character, the state carried over the whole text."""
    from seqlab.tasks.generate import run

    result = run.evaluate(run_dir, data)
    if json_:
        print_result(result)
        return
    console.print(f"{result['source']}: {result['val_loss_nats']:.4f} nats/{result['level']}, "
                  f"{result['bpc']:.4f} bits/char, perplexity {result['perplexity']:.2f} "
                  f"({result['tokens']:,} tokens)")


@generate_app.command()
@user_errors
def sample(run_dir: RunDir,
           prompt: Annotated[str, typer.Option("--prompt", help="Text to continue (empty: start a new line).")] = "",
           length: Annotated[int, typer.Option("--length", help="Tokens to generate.")] = 500,
           temperature: Annotated[float, typer.Option("--temperature", help="Softmax temperature; 0 is greedy.")] = 0.8,
           top_k: Annotated[Optional[int], typer.Option("--top-k", help="Draw from the k most likely tokens only.")] = None,
           top_p: Annotated[Optional[float], typer.Option("--top-p", help="Draw from the smallest set of tokens "
                                                                          "whose probability reaches p.")] = None,
           seed: Annotated[int, typer.Option("--seed", help="Random seed of the draw.")] = 0,
           json_: JsonOption = False) -> None:
    """Generate text that continues a prompt."""
    from seqlab.tasks.generate import run

    result = run.sample(run_dir, prompt, length, temperature, top_k, top_p, seed)
    if json_:
        print_json(result)
        return
    typer.echo(result["text"])


# `predict` is `sample` under the name every task's command has (kept out of --help: one name shows)
generate_app.command("predict", hidden=True)(sample)
