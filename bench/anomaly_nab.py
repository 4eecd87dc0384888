"""NAB: every anomaly detector and the rolling z-score baseline on every labelled series in shared/.

    flock /tmp/seqlab-cpu.lock .venv/bin/python bench/anomaly_nab.py      # runs, writes the JSON and the markdown
    .venv/bin/python bench/anomaly_nab.py --markdown                       # bench/results/anomaly_nab.md from the JSON

For each series (artificialWithAnomaly, realAWSCloudwatch, realTraffic under ../shared/data/anomaly/nab)
and each detector (``zscore``, ``lstm-forecast``, ``lstm-ae``, ``conv-ae``), exactly what
``seqlab anomaly fit --data CSV --model NAME`` then ``seqlab anomaly score RUN --data CSV --labels
combined_windows.json --json`` do, with the default config: fit on NAB's probationary period (its
first 70 % to train, the rest to stop training and set the POT threshold), score every row after it.
``auto`` is not refitted: its candidates are the default ``lstm-forecast`` and ``conv-ae`` (same config,
same seed, so the same networks), and ``select.choose`` picks among them from their validation skill,
as ``fit`` does. Labels are read only when scoring.

Reported per detector: the mean over series of point-wise F1, window-wise F1 and the per-series NAB
standard score (series without a scored window left out of that mean), and NAB's corpus score of each
profile (raw, null and perfect scores summed over all series, then normalised, as NAB reports it).
Torch runs with one thread (tiny networks on a shared two-core machine).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, write_atomic  # noqa: E402

from seqlab.tasks.anomaly import run  # noqa: E402
from seqlab.tasks.anomaly.config import AnomalyConfig  # noqa: E402
from seqlab.tasks.anomaly.nab import PROFILES, corpus_score  # noqa: E402
from seqlab.tasks.anomaly.select import candidates, choose  # noqa: E402

NAB = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "anomaly" / "nab"
LABELS = NAB / "labels" / "combined_windows.json"
FOLDERS = ("artificialWithAnomaly", "realAWSCloudwatch", "realTraffic")
DETECTORS = ("zscore", "lstm-forecast", "lstm-ae", "conv-ae")
OUT_JSON, OUT_MD = RESULTS / "anomaly_nab.json", RESULTS / "anomaly_nab.md"
COMMAND = "flock /tmp/seqlab-cpu.lock .venv/bin/python bench/anomaly_nab.py"


def _commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent).stdout.strip()


def _row(fitted: dict, scored: dict, seconds: float) -> dict:
    return {"model": fitted["model"], "f1": scored["f1"], "precision": scored["precision"], "recall": scored["recall"],
            "window_f1": scored["window"]["f1"], "nab": {p: scored["nab"][p] for p in PROFILES},
            "alarms": scored["alarms"], "val_skill": fitted["val_skill"], "epochs": fitted["epochs"],
            "fit_seconds": round(seconds, 2)}


def run_series(path: Path, tmp: Path) -> dict:
    rows = {}
    for name in DETECTORS:
        started = time.perf_counter()
        fitted = run.fit(AnomalyConfig(data={"path": str(path)}, model=name), tmp / name, overwrite=True)
        seconds = time.perf_counter() - started
        rows[name] = _row(fitted, run.score(tmp / name, path, LABELS), seconds)
    chosen = choose({c.name: rows[c.name]["val_skill"] for c in candidates()})
    rows["auto"] = {**rows[chosen], "chosen": chosen,
                    "fit_seconds": round(sum(rows[c.name]["fit_seconds"] for c in candidates()), 2)}
    return rows


def summarise(series: dict) -> dict:
    out = {}
    for name in (*DETECTORS, "auto"):
        rows = [s[name] for s in series.values()]
        nab = [r["nab"]["standard"]["score"] for r in rows if r["nab"]["standard"]["score"] is not None]
        out[name] = {"mean_f1": float(np.mean([r["f1"] for r in rows])),
                     "mean_window_f1": float(np.mean([r["window_f1"] for r in rows])),
                     "mean_nab_standard": float(np.mean(nab)), "series_with_windows": len(nab),
                     "corpus_nab": corpus_score([r["nab"] for r in rows]),
                     "fit_seconds": round(sum(r["fit_seconds"] for r in rows), 1),
                     "alarms": int(sum(r["alarms"] for r in rows))}
        if name == "auto":
            out[name]["chosen"] = {c: sum(r["chosen"] == c for r in rows) for c in sorted({r["chosen"] for r in rows})}
    return out


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        "## Anomaly detection on NAB (`seqlab anomaly`)", "",
        f"Machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']} CPU, {m['torch_threads']} torch thread; "
        f"run {m['date']} (UTC) at commit {results['commit']} (load average {m['load_average_1min']:.1f} at the start); "
        f"{results['wall_seconds']:.0f} s in all.", "",
        f"Command: `{results['command']}`", "",
        f"{len(results['series'])} labelled NAB series ({', '.join(FOLDERS)}); each detector fitted with the default "
        "config on the series' probationary period (first 15 %, at most 750 rows: 70 % train, 30 % validation, "
        "POT threshold at risk 1e-3 on the validation scores) and scored on every later row. No labels are read "
        "at fit time; nothing was tuned on these labels.", "",
        "F1: point-wise (each timestamp in a window is positive); window F1: a window is detected if any alarm "
        "falls inside it, every alarm outside all windows is a false positive; NAB: the standard profile's "
        "normalised score per series, averaged over series with a scored window; corpus NAB: raw, null and "
        "perfect scores summed over all series before normalising (NAB's own report), for the standard, "
        "reward_low_FP_rate and reward_low_FN_rate profiles.", "",
        "| detector | mean F1 (point) | mean F1 (window) | mean NAB standard | corpus NAB standard | corpus NAB low FP "
        "| corpus NAB low FN | alarms | fit s (all series) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    fmt = lambda v: "n/a" if v is None else f"{v:.1f}"  # noqa: E731
    for name, s in results["summary"].items():
        c = s["corpus_nab"]
        label = f"{name} (baseline)" if name == "zscore" else name
        lines.append(f"| {label} | {s['mean_f1']:.3f} | {s['mean_window_f1']:.3f} | {fmt(s['mean_nab_standard'])} | "
                     f"{fmt(c['standard'])} | {fmt(c['reward_low_FP_rate'])} | {fmt(c['reward_low_FN_rate'])} | "
                     f"{s['alarms']} | {s['fit_seconds']:.0f} |")
    chosen = ", ".join(f"{k} {v}" for k, v in results["summary"]["auto"]["chosen"].items())
    lines += ["", f"`auto` chose: {chosen} (of {len(results['series'])} series).", "",
              "Per series (point F1 / NAB standard):", "",
              "| series | " + " | ".join((*DETECTORS, "auto")) + " |", "|---|" + "---:|" * (len(DETECTORS) + 1)]
    for key, rows in results["series"].items():
        cells = [f"{rows[n]['f1']:.2f} / {fmt(rows[n]['nab']['standard']['score'])}" for n in (*DETECTORS, "auto")]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="only rewrite the markdown from the JSON")
    args = parser.parse_args()
    if args.markdown:
        OUT_MD.write_text(markdown(json.loads(OUT_JSON.read_text())))
        return
    torch.set_num_threads(1)
    started = time.perf_counter()
    results = {"machine": machine(), "commit": _commit(), "command": COMMAND, "series": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for folder in FOLDERS:
            for path in sorted((NAB / folder).glob("*.csv")):
                t = time.perf_counter()
                results["series"][f"{folder}/{path.name}"] = run_series(path, Path(tmp))
                print(f"{folder}/{path.name}: {time.perf_counter() - t:.1f} s", flush=True)
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    results["summary"] = summarise(results["series"])
    write_atomic(OUT_JSON, results)
    OUT_MD.write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
