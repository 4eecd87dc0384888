"""No regression across the redesign (issue 16): the figures BENCHMARKS.md reported before, re-run
with today's commands on the same machine, one process at a time.

Each check runs one CLI command with ``--json`` (the one result shape) and records the command,
its wall time, the machine and the headline figures beside the earlier ones in
``bench/results/redesign_check.json``. Usage::

    .venv/bin/python bench/redesign_check.py                 # all checks (about 15 minutes on 2 cores)
    .venv/bin/python bench/redesign_check.py --only sst2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import RESULTS, machine, write_atomic

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
SEQLAB = str(Path(sys.executable).with_name("seqlab"))

# name -> (command after `seqlab`, headline metric, the figure BENCHMARKS.md gave before, its section)
CHECKS = {
    "demo": (["train"], "mse", 0.00422, "The default job (make demo): test MSE"),
    "sst2": (["text", "train", "--data", "sst2"], "accuracy", 0.828, "SST-2 auto: dev accuracy"),
    "etth1-M-96-auto": (["forecast", "train", "--data", "etth1", "--features", "M", "--horizon", "96", "--model", "auto"],
                        "mse", None, "ETTh1 M, H=96, auto: test MSE (before: the best of its candidates' rows)"),
    "etth1-M-96-segrnn": (["forecast", "train", "--data", "etth1", "--features", "M", "--horizon", "96",
                           "--model", "segrnn"], "mse", 0.389, "ETTh1 M, H=96, segrnn: test MSE"),
    "fsdd": (["speech", "train", "--data", str(SHARED / "speech" / "fsdd" / "recordings")], "accuracy", 0.9867,
             "FSDD auto: test accuracy"),
}


def run(name: str, out: Path) -> dict:
    args, metric, before, what = CHECKS[name]
    command = [SEQLAB, *args, "--out", str(out), "--json"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{name}: exit {done.returncode}\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"check": name, "what": what, "command": "seqlab " + " ".join(args + ["--out", "DIR", "--json"]),
            "metric": metric, "value": result["metrics"][metric], "before": before, "model": result["model"],
            "baselines": result["baselines"], "wall_s": round(wall, 1), "machine": machine()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(CHECKS), help="comma-separated checks: " + ", ".join(CHECKS))
    names = parser.parse_args().only.split(",")
    path = RESULTS / "redesign_check.json"
    rows = json.loads(path.read_text()) if path.is_file() else {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            rows[name] = run(name, Path(tmp) / name)
            row = rows[name]
            print(f"{name}: {row['metric']} {row['value']:.4f} (before {row['before']}), {row['wall_s']} s", flush=True)
            write_atomic(path, rows)


if __name__ == "__main__":
    main()
