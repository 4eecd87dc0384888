"""English -> French with attention on Tatoeba's fra-eng.txt: BLEU of greedy and beam search, training time, examples.

    flock /tmp/seqlab-cpu.lock .venv/bin/python bench/translate_fra.py [--models gru+bahdanau,lstm+luong]
        [--max-time 200] [--threads 1]

Each model is trained by ``seqlab.tasks.translate.run.train`` with the task's defaults (pairs of at
most 10 words per side, split by source sentence with seed 0: 5 % validation, 5 % test; word
vocabularies of at most 8000 ids; embeddings 128, 256 units, Adam 2e-3, batch 64, early stopping on
the validation loss) except the training budget, ``--max-time`` seconds instead of the default 600,
so that the whole benchmark fits in about ten minutes of a 2-core CPU. The beam width is chosen on
1000 validation sentences (greedy or 5); test BLEU is reported for both. BLEU is sacrebleu's
corpus BLEU (13a, cased) of detokenised, recased output against the original French sentences.

Torch runs on ``--threads`` threads (default 1): on a 2-core machine shared with other jobs, two
OpenMP threads spin against them and a training step took 5-7 times longer (measured before this run).

Results go to bench/results/translate_fra.json and translate_fra.md; the attention heatmap of the
first test sentence of the first model to bench/results/translate_fra_attention.png.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, write_atomic  # noqa: E402

from seqlab.tasks.translate import run  # noqa: E402
from seqlab.tasks.translate.config import TranslateConfig  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "../shared/data/translation/fra-eng.txt"


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent)
    return out.stdout.strip()


def train_one(spec: str, max_time: float, tmp: Path, data: Path) -> tuple[dict, Path]:
    name, attention = spec.split("+")
    config = TranslateConfig(data={"path": str(data.resolve())}, model={"name": name, "attention": attention})
    config = config.model_copy(update={"train": config.train.model_copy(update={"max_time_s": max_time})})
    out = tmp / spec
    started = time.perf_counter()
    result = run.train(config, out)
    result["wall_seconds_total"] = round(time.perf_counter() - started, 1)
    return result, out


def markdown(results: dict, meta: dict, command: str) -> str:
    lines = ["## Translation with attention (English → French, Tatoeba fra-eng.txt)", "",
             f"Machine: {meta['cpu']}, {meta['cores']} cores, torch {meta['torch']} CPU, {meta['torch_threads']} "
             f"torch thread(s); load average {meta['load_average_1min']:.1f} at the start (the machine was shared "
             f"with other jobs). Date {meta['date']}, commit {meta['commit']}.", "",
             f"Command: `{command}`", "",
             f"Data: {meta['data']['pairs_read']} pairs read, {meta['data']['dropped_longer_than_max_words']} longer "
             f"than 10 words dropped; {meta['data']['train_pairs']} train / {meta['data']['val_pairs']} validation / "
             f"{meta['data']['test_pairs']} test pairs (split by source sentence, seed 0); vocabularies "
             f"{meta['data']['src_vocab']} (English) and {meta['data']['tgt_vocab']} (French) ids.", "",
             "| model | parameters | training budget (s) | epochs started | val BLEU greedy / beam 5 "
             "(1000 sent.) | test BLEU greedy | test BLEU beam 5 | test BLEU (chosen search) | "
             "total wall s (train + decoding) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for spec, r in results.items():
        sel = r.get("beam_selection", {}).get("val_bleu", {})
        lines.append(f"| {r['model']} | {r['parameters']:,} | {r['train_seconds']} | {r['epochs']} | "
                     f"{sel.get('1', '-')} / {sel.get('5', '-')} | {r['bleu_greedy']:.2f} | {r['bleu_beam']['5']:.2f} | "
                     f"{r['bleu']:.2f} (beam {r['beam']}) | {r['wall_seconds_total']} |")
    first = next(iter(results.values()))
    base = first["baselines"]
    lines += ["", f"Trivial baselines on the same test pairs: copying the English source BLEU "
              f"{base['copy_source']:.2f}; answering every sentence with the most frequent training target "
              f"(\"{base['most_frequent_target']['sentence']}\") BLEU {base['most_frequent_target']['bleu']:.2f}.", "",
              "Training stops at the budget even inside an epoch (Lightning's max_time); the validation loss "
              "is then measured once, when training stops (val_loss in translate_fra.json).", ""]
    for spec, r in results.items():
        lines += [f"Examples ({r['model']}, the first test pairs, chosen search):", "",
                  "| English | reference | translation |", "|---|---|---|"]
        lines += [f"| {e['source']} | {e['reference']} | {e['translation']} |" for e in r["examples"]]
        lines.append("")
    lines.append("Attention of the first test sentence: `bench/results/translate_fra_attention.png`.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="gru+bahdanau,lstm+luong")
    parser.add_argument("--max-time", type=float, default=200.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DATA, help="pairs file (default: the shared fra-eng.txt)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the result files go")
    args = parser.parse_args()
    results_dir = args.results
    torch.set_num_threads(args.threads)
    meta = {**machine(), "commit": commit()}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k, spec in enumerate(args.models.split(",")):
            result, out = train_one(spec, args.max_time, Path(tmp), args.data)
            result.pop("run_dir", None)
            meta["data"] = result.pop("data")
            results[spec] = result
            print(json.dumps({spec: {k: result[k] for k in ("bleu", "bleu_greedy", "bleu_beam", "train_seconds")}}),
                  flush=True)
            if k == 0:
                shutil.copyfile(out / "attention.png", results_dir / "translate_fra_attention.png")
    meta["finished"] = machine()["date"]
    command = "flock /tmp/seqlab-cpu.lock .venv/bin/python bench/translate_fra.py " + " ".join(sys.argv[1:])
    write_atomic(results_dir / "translate_fra.json", {"machine": meta, "command": command.strip(), "results": results})
    (results_dir / "translate_fra.md").write_text(markdown(results, meta, command.strip()), encoding="utf-8")


if __name__ == "__main__":
    main()
