"""The HTML reports of the analysis tools: one function per result, each a :class:`Report`.

Every report reads only the result dict its tool returned (the same JSON the command prints),
so a report can be rebuilt from ``leaderboard.json`` and friends.
"""

from __future__ import annotations

from typing import Any

from seqlab.analysis.report import Report


def _pm(cell: Any) -> Any:
    """``{"mean", "std"}`` as "mean ± std"; anything else unchanged."""
    if isinstance(cell, dict) and "mean" in cell:
        return f"{cell['mean']:.4g} ± {cell['std']:.2g}"
    return cell


def comparison_report(result: dict) -> Report:
    """Leaderboard, baselines, cost table and per-seed runs of a comparison."""
    task = result["task"]
    report = Report(f"Comparison on {task.get('kind')} data")
    better = "higher" if result["higher_is_better"] else "lower"
    report.paragraph(f"Ranked by test {result['rank_by']} ({better} is better), mean ± standard deviation "
                     f"over seeds {result['seeds']}; budget: {result['budget']}. Data: {task}.")
    rows = result["leaderboard"]
    metrics = [k for k in rows[0] if isinstance(rows[0][k], dict) and k not in
               ("train_time_s", "epochs", "val_loss", "latency_ms", "peak_memory_mb")]
    columns = ["rank", "model", *metrics, "params", "train time (s)", "epochs", "latency (ms)", "peak memory (MiB)"]
    report.heading("Leaderboard")
    report.table(columns, [[r["rank"], r["model"], *(_pm(r[m]) for m in metrics), r["params"],
                            _pm(r["train_time_s"]), _pm(r["epochs"]), _pm(r["latency_ms"]),
                            _pm(r["peak_memory_mb"])] for r in rows], css_class="leaderboard")
    if result.get("baselines"):
        report.heading("Baselines")
        keys = list(next(iter(result["baselines"].values())))
        report.table(["baseline", *keys], [[name, *(v.get(k) for k in keys)] for name, v in result["baselines"].items()])
    report.heading("Every run")
    test_keys = list(result["runs"][0]["test"])
    report.table(["model", "seed", *test_keys, "train time (s)", "epochs"],
                 [[r["model"], r["seed"], *(r["test"][k] for k in test_keys), r["train_time_s"], r["epochs"]]
                  for r in result["runs"]])
    report.json_block(result)
    return report
