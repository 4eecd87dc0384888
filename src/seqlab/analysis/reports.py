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


def _distance_series(models: list[dict], key: str) -> dict:
    series = {}
    for m in models:
        if key in m and m[key]:
            norms = m[key]["norms"]
            T = len(norms)
            series[m["model"]] = ([T - t for t in range(T)], norms)  # distance T - t for t = 0 .. T-1
    return series


def gradients_report(result: dict) -> Report:
    """Flags, spectral radii and plots of gradient flow (norm against distance) and norm histories."""
    report = Report("Gradient flow through time")
    report.paragraph(f"Source: {result['source']}. Norms of dL/dh_t, averaged over a validation batch of "
                     f"{result['batch']}; vanishing when the first step's norm is below 1e-3 of the last step's.")
    report.heading("Flags")
    rows = []
    for m in result["models"]:
        radii = m["spectral_radius"].get("trained") or []
        radius = max((max(r["gates"].values()) for r in radii), default=None)
        rows.append([m["model"], m["layer"], m.get("at_init", {}).get("ratio"), m["trained"]["ratio"],
                     m["vanishing"], m["exploding"], radius])
    report.table(["model", "layer", "g_1/g_T at init", "g_1/g_T trained", "vanishing", "exploding",
                  "largest spectral radius (trained)"], rows)
    for key, title in (("at_init", "at initialisation"), ("trained", "after training")):
        series = _distance_series(result["models"], key)
        if series:
            report.line_plot(series, title=f"||dL/dh_t|| {title}", xlabel="distance from the loss (steps)",
                             ylabel="gradient norm", logy=True)
    histories = {}
    for m in result["models"]:
        h = m.get("grad_norm_history")
        if h:
            histories[f"{m['model']} (unclipped)"] = (list(range(len(h["unclipped"]))), h["unclipped"])
            histories[f"{m['model']} (clipped at {h['clip_value']:g})"] = (list(range(len(h["clipped"]))), h["clipped"])
    if histories:
        report.line_plot(histories, title="total gradient norm per step, before clipping", xlabel="optimizer step",
                         ylabel="||grad||", logy=True)
    report.json_block(result)
    return report
