"""Long-memory benchmarks: every architecture as the time lag grows, under one wall-clock budget.

Adding problem and copy memory at T = 50 ... 1000, then sequential and permuted pixel MNIST
(784 steps; the 10,000 MNIST test digits of ../shared/data split 8,000 / 2,000 by a seed).
Each (task, architecture) is one `seqlab.compare` run: one seed, width 64, Adam 1e-3 with
clipping at 1, early stopping on validation, and at most ``--budget`` seconds of training.

Usage:
    python bench/long_memory.py                      # the table in BENCHMARKS.md
    python bench/long_memory.py --budget 20 --lengths 50,200 --skip-mnist   # a quick look
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, show, write_atomic  # noqa: E402

from seqlab.analysis.compare import compare, parse_compare_config  # noqa: E402

MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


def run(data: dict, budget: float, models: list[str] | None, batch_size: int) -> dict:
    raw = {"data": data, "units": 64, "seeds": [0],
           "train": {"epochs": 1000, "max_time_s": budget, "batch_size": batch_size, "gradient_clip_val": 1.0,
                     "early_stopping": {"patience": 5}}}
    if models:
        raw["models"] = models
    start = time.perf_counter()
    result = compare(parse_compare_config(raw, "bench"))
    result["wall_s"] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=45.0, help="training seconds per architecture and task")
    parser.add_argument("--lengths", default="50,200,1000")
    parser.add_argument("--models", default=None, help="comma-separated architectures (default: all)")
    parser.add_argument("--skip-mnist", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "long_memory.json")
    args = parser.parse_args()
    models = args.models.split(",") if args.models else None
    results = {"machine": machine(), "command": " ".join(["python", *sys.argv]), "budget_s": args.budget,
               "tasks": []}
    rows = []
    tasks = [(task, int(T)) for task in ("adding", "copy") for T in args.lengths.split(",")]
    for task, T in tasks:
        data = {"kind": "synthetic", "task": task, "length": T, "n_train": 10000, "n_val": 1000, "n_test": 1000}
        result = run(data, args.budget, models, batch_size=64)
        results["tasks"].append({"name": f"{task} T={T}", **result})
        for row in result["leaderboard"]:
            metric = "mse" if task == "adding" else "loss"
            extra = "" if task == "adding" else f" (recall {row['recall_accuracy']['mean']:.2f})"
            rows.append([f"{task} T={T}", row["model"], f"{row[metric]['mean']:.4g}{extra}",
                         f"{row['epochs']['mean']:.0f}", f"{row['train_time_s']['mean']:.0f}"])
        write_atomic(args.out, results)
    if not args.skip_mnist:
        for layout in ("pixels", "permuted"):
            data = {"kind": "mnist", "path": str(MNIST), "layout": layout}
            result = run(data, 4 * args.budget, models, batch_size=128)
            results["tasks"].append({"name": f"{layout} MNIST", **result})
            for row in result["leaderboard"]:
                rows.append([f"{layout} MNIST", row["model"], f"{row['accuracy']['mean']:.4f}",
                             f"{row['epochs']['mean']:.0f}", f"{row['train_time_s']['mean']:.0f}"])
            write_atomic(args.out, results)
    show("Long memory (test metric; adding: MSE, copy: cross-entropy per step, MNIST: accuracy)",
         ["task", "model", "test", "epochs", "train s"], rows)


if __name__ == "__main__":
    main()
