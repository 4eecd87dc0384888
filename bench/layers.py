"""Training-step time of seqlab's recurrent layers against torch.nn's, as ratios from one run.

    python bench/layers.py [--json] [--repeats N]

One step is forward, a mean-square loss on the output sequence, and backward (parameter
gradients cleared before each step), at B=64, T=128, D=64, H=128, float32 on the CPU. The
seqlab layer holds the torch module's weights, so both compute the same numbers. The two
contenders alternate step by step (which goes first swaps every round) after a warm-up; the
times are medians over the repeats, and the ratio is the median over rounds of seqlab's step
time over torch's in the same round (neighbours in time share the machine's load, so this
holds up better on a busy machine than a ratio of medians; both are in the JSON). The load
average at start and end is recorded: figures taken on a loaded machine are noise-prone.
The peephole LSTM runs on the reference path (torch has no kernel for it) and is listed
for information only; the last row times torch.nn.LSTM against a copy of itself (in the
"seqlab" column) to show this run's noise floor. Results go to bench/results/layers.json
(written atomically).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from seqlab.layers.recurrent import GRU, LSTM, SimpleRNN

B, T, D, H = 64, 128, 64, 128
TARGET = 1.05  # the bound on seqlab / torch for standard configurations
RESULTS = Path(__file__).resolve().parent / "results" / "layers.json"


def contenders():
    """(name, role, ours, torch module); ``ours`` holds the torch module's weights.

    Roles: ``standard`` rows are held to the target; ``info`` is the peephole LSTM; the
    ``noise floor`` row times torch.nn.LSTM against a copy of itself, so a reader can see how
    far from 1.000 two identical computations land on this machine in this run.
    """
    torch.manual_seed(0)
    lstm = nn.LSTM(D, H, batch_first=True)
    rows = [
        ("LSTM", "standard", LSTM(H, return_sequences=True), lstm),
        ("GRU", "standard", GRU(H, return_sequences=True), nn.GRU(D, H, batch_first=True)),
        ("SimpleRNN", "standard", SimpleRNN(H, return_sequences=True), nn.RNN(D, H, batch_first=True)),
        ("LSTM peephole (reference)", "info",
         LSTM(H, peephole=True, return_sequences=True, backend="reference", input_size=D), lstm),
        ("torch.nn.LSTM vs itself", "noise floor", nn.LSTM(D, H, batch_first=True), lstm),
    ]
    for _, _, ours, module in rows:
        ours.load_state_dict(module.state_dict(), strict=False)  # peepholes keep their init
    return rows


def step(model: nn.Module, x: torch.Tensor) -> float:
    """One training step; returns its wall time in seconds."""
    for p in model.parameters():
        p.grad = None
    start = time.perf_counter()
    y = model(x)
    y = y[0] if isinstance(y, tuple) else y  # torch.nn returns (output, state)
    y.square().mean().backward()
    return time.perf_counter() - start


def measure(layer: nn.Module, module: nn.Module, x: torch.Tensor, repeats: int, warmup: int):
    for _ in range(warmup):
        step(layer, x), step(module, x)
    ours, theirs = [], []
    for r in range(repeats):
        if r % 2 == 0:
            ours.append(step(layer, x))
            theirs.append(step(module, x))
        else:
            theirs.append(step(module, x))
            ours.append(step(layer, x))
    paired = statistics.median(a / b for a, b in zip(ours, theirs))
    return statistics.median(ours), statistics.median(theirs), paired


def run(repeats: int, warmup: int) -> dict:
    x = torch.randn(B, T, D)
    load_start = os.getloadavg()[0]
    rows = []
    for name, role, layer, module in contenders():
        slow = role == "info"  # the reference path is ~5x slower: fewer repeats keep the run short
        ours, theirs, paired = measure(layer, module, x, max(5, repeats // 4) if slow else repeats,
                                       2 if slow else warmup)
        rows.append({
            "layer": name,
            "role": role,
            "seqlab_ms": round(ours * 1e3, 3),
            "torch_ms": round(theirs * 1e3, 3),
            "ratio": round(paired, 3),
            "ratio_of_medians": round(ours / theirs, 3),
        })
    return {
        "benchmark": "recurrent layer training step (forward + backward), seqlab vs torch.nn",
        "shape": {"B": B, "T": T, "D": D, "H": H},
        "dtype": "float32",
        "device": "cpu",
        "cpu": cpu_model(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "repeats": repeats,
        "warmup": warmup,
        "target_ratio": TARGET,
        "load_average_1min": {"start": load_start, "end": os.getloadavg()[0]},
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rows": rows,
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def show(result: dict) -> None:
    headers = ["layer", "seqlab ms", "torch.nn ms", "ratio", f"≤ {TARGET}x"]
    cells = [[r["layer"], f"{r['seqlab_ms']:.2f}", f"{r['torch_ms']:.2f}", f"{r['ratio']:.3f}",
              ("yes" if r["ratio"] <= TARGET else "NO") if r["role"] == "standard" else r["role"]]
             for r in result["rows"]]
    s = result["shape"]
    title = (f"training step, B={s['B']} T={s['T']} D={s['D']} H={s['H']} float32 CPU "
             f"({result['cpu']}, {result['torch_threads']} threads), median of {result['repeats']}, "
             "load {start:.2f} -> {end:.2f}".format(**result["load_average_1min"]))
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(title)
        widths = [max(len(str(c)) for c in col) for col in zip(headers, *cells)]
        for row in [headers, *cells]:
            print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
        return
    table = Table(title=title)
    for h in headers:
        table.add_column(h, justify="left" if h == "layer" else "right")
    for row in cells:
        table.add_row(*row)
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--repeats", type=int, default=60, help="timed steps per contender (default 60)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps per contender (default 5)")
    args = parser.parse_args()
    result = run(args.repeats, args.warmup)
    write_atomic(RESULTS, result)
    if args.json:
        print(json.dumps(result))
    else:
        show(result)


if __name__ == "__main__":
    main()
