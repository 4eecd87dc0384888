"""What the benchmarks share: paired timing, machine facts, atomic result files, tables."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Callable

import torch

RESULTS = Path(__file__).resolve().parent / "results"


def paired(contenders: dict[str, Callable[[], None]], repeats: int, warmup: int) -> dict[str, dict]:
    """Time each contender ``repeats`` times, round-robin, the order rotating every round.

    Neighbours in time share the machine's load, so the ratio of two contenders is taken per
    round and the median over rounds is reported (sturdier on a busy machine than a ratio of
    medians). Returns ``{name: {"ms": median, "times": [...]}}``.
    """
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(repeats):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return {n: {"ms": statistics.median(t) * 1e3, "times": t} for n, t in times.items()}


def ratio(timed: dict[str, dict], name: str, reference: str) -> float:
    """Median over rounds of ``name``'s time over ``reference``'s in the same round."""
    return statistics.median(a / b for a, b in zip(timed[name]["times"], timed[reference]["times"]))


def machine() -> dict:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "load_average_1min": os.getloadavg()[0],
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


def show(title: str, headers: list[str], rows: list[list[str]]) -> None:
    """A rich table, or plain columns where rich is missing."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(title)
        widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]
        for row in [headers, *rows]:
            print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
        return
    table = Table(title=title)
    for i, h in enumerate(headers):
        table.add_column(h, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*[str(c) for c in row])
    Console(width=160).print(table)
