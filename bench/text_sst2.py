"""SST-2 from scratch: every text-classification family side by side, and what length bucketing buys.

    python bench/text_sst2.py [--models lstm,gru,...,auto] [--epochs N] [--throughput-only] [--json]

Each model trains with the text task's defaults (``TextConfig``: word tokenizer, random embeddings,
no pretrained vectors and no outside data; Adam 1e-3, batch 64, early stopping on a validation split
carved from the training set by whole sentences) on GLUE SST-2 train, and is scored on SST-2 dev,
which is never used for any choice. ``auto`` is what ``seqlab text train --data sst2`` gives a user.

The throughput part trains the BiLSTM classifier for one epoch on SST-2 with and without length
bucketing (same batch size, each batch padded to its own longest text either way) and reports
tokens per second and the epoch-time ratio, measured in the same run.

Results are merged into bench/results/text_sst2.json (atomically), one entry per model.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from seqlab.models import io
from seqlab.models.text import ClassifierConfig
from seqlab.tasks.text import run as text_run
from seqlab.tasks.text.config import TextConfig
from seqlab.tasks.text.data import prepare_text

RESULTS = Path(__file__).resolve().parent / "results"
MODELS = ["lstm", "gru", "rnn", "bilstm", "bigru", "cnn", "cnn-lstm", "auto"]
PUBLISHED = {  # SST-2 dev/test accuracy, from ../shared/data/README.md
    "kim2014_cnn_rand": 0.827, "kim2014_cnn_non_static_word2vec": 0.872,
    "tai2015_lstm_glove": 0.849, "tai2015_bilstm_glove": 0.875,
}


def train_one(name: str, epochs: int | None) -> dict:
    config = TextConfig(data={"path": "sst2"}, model=name)
    if epochs is not None:
        config = config.model_copy(update={"train": config.train.model_copy(update={"epochs": epochs})})
    with tempfile.TemporaryDirectory() as tmp:
        result = text_run.train(config, Path(tmp) / "run")
    return {"dev_accuracy": result["accuracy"], "dev_macro_f1": result["macro_f1"],
            "val_accuracy": result["val"]["accuracy"], "model": result["model"], "parameters": result["parameters"],
            "epochs": result["epochs"], "train_seconds": result["train_seconds"],
            **({"selection": result["selection"]} if "selection" in result else {})}


def throughput() -> dict:
    """One BiLSTM epoch on SST-2 with and without bucketing: seconds, tokens/s, and their ratio."""
    rows = {}
    for bucketing in (False, True):
        config = TextConfig(data={"path": "sst2", "bucketing": bucketing}, model="bilstm",
                            train={"epochs": 1, "batch_size": 64, "early_stopping": None})
        setup = prepare_text(config.data)
        tokens = sum(len(ids) for ids in setup.splits["train"].ids)
        _, summary = text_run.fit_model(config, config.model, setup)
        rows["bucketed" if bucketing else "plain"] = {
            "epoch_seconds": summary["train_seconds"], "train_tokens": tokens,
            "tokens_per_second": round(tokens / summary["train_seconds"], 1)}
    rows["speedup"] = round(rows["plain"]["epoch_seconds"] / rows["bucketed"]["epoch_seconds"], 2)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--epochs", type=int, default=None, help="Maximum epochs (default: the task's).")
    parser.add_argument("--throughput-only", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    path = RESULTS / "text_sst2.json"
    report = json.loads(path.read_text()) if path.is_file() else {"results": {}}
    report.update(machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
                          f"torch {torch.__version__}", published=PUBLISHED)
    stamp = lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")  # noqa: E731
    models = [] if args.throughput_only else args.models.split(",")
    for name in models:
        if name != "auto":
            ClassifierConfig(name=name)  # fail fast on a typo
        started = time.perf_counter()
        row = train_one(name, args.epochs)
        row.update(wall_seconds=round(time.perf_counter() - started, 1), date=stamp(),
                   command=f"python bench/text_sst2.py --models {name}" + (f" --epochs {args.epochs}" if args.epochs else ""))
        report["results"][name] = row
        io.write_json(path, report)
        if not args.json:
            print(f"{name:9s} dev acc {row['dev_accuracy']:.4f}  macro-F1 {row['dev_macro_f1']:.4f}  val acc "
                  f"{row['val_accuracy']:.4f}  {row['parameters']:>9,d} params  {row['train_seconds']:7.1f} s "
                  f"({row['epochs']} epochs)", flush=True)
    if args.throughput_only or "bilstm" in models:
        report["throughput"] = {**throughput(), "date": stamp(), "command": "python bench/text_sst2.py --throughput-only"}
        io.write_json(path, report)
        if not args.json:
            t = report["throughput"]
            print(f"BiLSTM epoch: plain {t['plain']['epoch_seconds']:.1f} s ({t['plain']['tokens_per_second']:.0f} tok/s), "
                  f"bucketed {t['bucketed']['epoch_seconds']:.1f} s ({t['bucketed']['tokens_per_second']:.0f} tok/s): "
                  f"{t['speedup']:.2f}x", flush=True)
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
