"""UCR/UEA time-series classification: the recommended model (``auto`` = FCN) on six datasets, five seeds.

    flock /tmp/seqlab-cpu.lock .venv/bin/python bench/tsc_ucr.py --measure          # seconds per epoch
    flock /tmp/seqlab-cpu.lock .venv/bin/python bench/tsc_ucr.py --seeds 5 --budget-s 1500

Each run is exactly what ``seqlab classify train --train <Name>_TRAIN.ts --model <model>`` does
(``ClassifyConfig`` defaults: Adam 1e-3, batch min(16, n/10), learning rate halved after 50 epochs
without a lower training loss, the weights of the lowest training loss kept; no validation split,
as Fawaz et al. 2019), with the number of epochs capped so that the whole table fits the CPU
budget: ``--budget-s`` is the wall time of the whole table; ``--workers`` runs train side by side
(one torch thread each, one per core), so each run gets ``max_time_s`` = budget x workers / runs
of training and ``--epochs`` at most. The test file is scored once, at the end; nothing is chosen
on it.

Baselines beside each row: the majority class, 1-NN with Euclidean distance on the z-normalised
series (scikit-learn; equal-length data only), and the published FCN and 1-NN-DTW accuracies
(../shared/data/README.md; Fawaz et al. 2019, mean of 5 runs of 2000 epochs on a GPU).

Results go to bench/results/tsc_ucr.json (atomically) and a markdown table to tsc_ucr.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, write_atomic  # noqa: E402

from seqlab.tasks.classify import run  # noqa: E402
from seqlab.tasks.classify.config import ClassifyConfig  # noqa: E402
from seqlab.tasks.classify.data import prepare  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ucr"
DATASETS = ["GunPoint", "ItalyPowerDemand", "ArrowHead", "BasicMotions", "JapaneseVowels", "OSULeaf"]
PUBLISHED_FCN = {"GunPoint": 1.000, "ItalyPowerDemand": 0.963, "ArrowHead": 0.843, "OSULeaf": 0.979,
                 "BasicMotions": 1.000, "JapaneseVowels": 0.993}
PUBLISHED_RESNET = {"GunPoint": 0.991, "ItalyPowerDemand": 0.962, "ArrowHead": 0.838, "OSULeaf": 0.980,
                    "BasicMotions": 1.000, "JapaneseVowels": 0.992}
PUBLISHED_DTW = {"GunPoint": 0.907, "ItalyPowerDemand": 0.950, "ArrowHead": 0.703, "OSULeaf": 0.591}


def commit() -> str:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], text=True,
                                       cwd=Path(__file__).resolve().parents[1]).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def one_nn_euclidean(name: str) -> float | None:
    """Test accuracy of 1-NN (Euclidean) on the series as the run normalises them; None for unequal lengths."""
    from sklearn.neighbors import KNeighborsClassifier

    setup = prepare(ClassifyConfig(data={"path": str(DATA / name)}).data)
    train, test = setup.splits["train"], setup.splits["test"]
    if len({s.shape for s in train.series + test.series}) > 1:
        return None
    knn = KNeighborsClassifier(n_neighbors=1).fit(np.stack([s.ravel() for s in train.series]), train.y)
    return float(knn.score(np.stack([s.ravel() for s in test.series]), test.y))


def train_once(name: str, model: str, seed: int, epochs: int, max_time_s: float | None) -> dict:
    train = {"epochs": epochs, "seed": seed, "max_time_s": max_time_s}
    config = ClassifyConfig(data={"path": str(DATA / name / f"{name}_TRAIN.ts")}, model=model, train=train)
    with tempfile.TemporaryDirectory() as tmp:
        result = run.train(config, Path(tmp) / "run")
    return {"seed": seed, "test_accuracy": result["accuracy"], "train_accuracy": result["train"]["accuracy"],
            "epochs": result["epochs"], "train_seconds": result["train_seconds"],
            "seconds_per_epoch": result["seconds_per_epoch"], "best_train_loss": result["best_train_loss"],
            "model": result["model"], "parameters": result["parameters"], "batch_size": result["batch_size"],
            "majority_class": result["baselines"]["majority_class"]["accuracy"]}


def measure(model: str, epochs: int, names: list[str], threads: list[int], rounds: int = 2) -> dict:
    """Seconds per epoch of one seed, for each torch thread count, alternated in ``rounds`` rounds
    (neighbours in time share the machine's load); the ratio is the median of the per-round ratios."""
    out = {}
    for name in names:
        times: dict[int, list[float]] = {t: [] for t in threads}
        for _ in range(rounds):
            for t in threads:
                torch.set_num_threads(t)
                r = train_once(name, model, 0, epochs, None)
                times[t].append(r["seconds_per_epoch"])
        out[name] = {"batch_size": r["batch_size"], "parameters": r["parameters"], "epochs": epochs,
                     "seconds_per_epoch": {str(t): statistics.median(v) for t, v in times.items()},
                     "runs": {str(t): v for t, v in times.items()}}
        if len(threads) == 2:
            a, b = (times[t] for t in threads)
            out[name][f"ratio_{threads[1]}_over_{threads[0]}_threads"] = statistics.median(y / x for x, y in zip(a, b))
        print(name, out[name], flush=True)
    return out


def summarise(rows: list[dict]) -> dict:
    acc = [r["test_accuracy"] for r in rows]
    return {"mean": statistics.mean(acc), "std": statistics.stdev(acc) if len(acc) > 1 else 0.0,
            "min": min(acc), "max": max(acc), "epochs_mean": statistics.mean(r["epochs"] for r in rows),
            "seconds_mean": statistics.mean(r["train_seconds"] for r in rows)}


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        "## Time-series classification (UCR/UEA) — `seqlab classify`",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']} CPU, {m['torch_threads']} threads; "
        f"{m['date']}; commit {result['commit']}; 1-min load average at the start {m['load_average_1min']:.1f} "
        "(other jobs shared the machine).",
        f"Command: `{result['command']}`",
        "",
        f"Model `{result['model']}` (what `seqlab classify train --train <Name>_TRAIN.ts` trains by default), "
        f"{result['seeds']} seeds, at most {result['epochs']} epochs and {result['max_time_s']:.0f} s of training "
        f"per run ({result['workers']} runs side by side, {result['threads']} torch thread each); test accuracy on "
        "the official split (test file scored once, after training).",
        "",
        "| dataset | test accuracy, mean ± std | min–max | epochs (mean) | s/run | published FCN | "
        "published ResNet | 1-NN DTW | 1-NN Euclid (ours) | majority |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, d in result["datasets"].items():
        s = d["summary"]
        dtw = PUBLISHED_DTW.get(name)
        ed = d["one_nn_euclidean"]
        lines.append(
            f"| {name} | {s['mean']:.3f} ± {s['std']:.3f} | {s['min']:.3f}–{s['max']:.3f} | {s['epochs_mean']:.0f} | "
            f"{s['seconds_mean']:.0f} | {PUBLISHED_FCN[name]:.3f} | {PUBLISHED_RESNET[name]:.3f} | "
            f"{'' if dtw is None else f'{dtw:.3f}'} | {'n/a (unequal lengths)' if ed is None else f'{ed:.3f}'} | "
            f"{d['runs'][0]['majority_class']:.3f} |")
    lines += ["", f"Total wall time: {result['wall_seconds']:.0f} s."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="auto")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--budget-s", type=float, default=1500.0, help="training seconds for the whole table")
    parser.add_argument("--measure", action="store_true", help="seconds per epoch of one seed (3 epochs) only, "
                        "for each of --measure-threads")
    parser.add_argument("--measure-threads", default="1,2")
    parser.add_argument("--workers", type=int, default=1, help="runs trained side by side, in processes")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1: small batches on a shared 2-core machine train faster on one)")
    parser.add_argument("--out", default=str(RESULTS / "tsc_ucr.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    command = "python bench/tsc_ucr.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    result = {"machine": machine(), "commit": commit(), "command": command, "model": args.model}
    started = time.perf_counter()
    if args.measure:
        result["measure"] = measure(args.model, 3, args.datasets.split(","),
                                    [int(t) for t in args.measure_threads.split(",")])
        result["wall_seconds"] = time.perf_counter() - started
        write_atomic(Path(args.out).with_name("tsc_ucr_measure.json"), result)
        return
    names = args.datasets.split(",")
    max_time = args.budget_s * args.workers / (len(names) * args.seeds)
    result.update({"seeds": args.seeds, "epochs": args.epochs, "max_time_s": max_time, "workers": args.workers,
                   "threads": args.threads, "datasets": {}})
    pool = ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=torch.set_num_threads, initargs=(args.threads,))
    for name in names:
        futures = [pool.submit(train_once, name, args.model, seed, args.epochs, max_time) for seed in range(args.seeds)]
        runs = [f.result() for f in futures]
        for r in runs:
            print(name, r, flush=True)
        result["datasets"][name] = {"runs": runs, "summary": summarise(runs), "published_fcn": PUBLISHED_FCN[name],
                                    "published_dtw": PUBLISHED_DTW.get(name), "one_nn_euclidean": one_nn_euclidean(name)}
        result["wall_seconds"] = time.perf_counter() - started
        write_atomic(Path(args.out), result)  # after every dataset, so a cut run keeps what it measured
        md = Path(args.out).with_suffix(".md")
        tmp = md.with_name(md.name + ".tmp")
        tmp.write_text(markdown(result))
        tmp.replace(md)
    pool.shutdown()
    print(json.dumps({k: v["summary"] for k, v in result["datasets"].items()}, indent=1))


if __name__ == "__main__":
    main()
