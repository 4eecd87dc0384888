"""The HTML reports of the analysis tools: one function per result, each a :class:`Report`.

Every report reads only the result dict its tool returned (the same JSON the command prints),
so a report can be rebuilt from ``leaderboard.json`` and friends.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.analysis.attribution_plots import series_attribution
from seqlab.analysis.report import Report


def plus_minus(cell: Any) -> Any:
    """``{"mean", "std"}`` as "mean ± std" (the mean alone for one seed); anything else unchanged."""
    if isinstance(cell, dict) and "mean" in cell:
        return f"{cell['mean']:.4g}" if cell["std"] is None else f"{cell['mean']:.4g} ± {cell['std']:.2g}"
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
    costs = ("train_time_s", "epochs", "latency_ms", "peak_memory_mb")  # finished runs: latency only
    report.table(columns, [[r["rank"], r["model"], *(plus_minus(r[m]) for m in metrics), r["params"],
                            *(plus_minus(r.get(k)) for k in costs)] for r in rows], css_class="leaderboard")
    if result.get("baselines"):
        report.heading("Baselines")
        keys = list(next(iter(result["baselines"].values())))
        report.table(["baseline", *keys], [[name, *(v.get(k) for k in keys)] for name, v in result["baselines"].items()])
    curves = {r["model"]: (list(range(1, len(r["history"]["val_loss"]) + 1)), r["history"]["val_loss"])
              for r in result["runs"] if r.get("history") and r["seed"] == result["runs"][0]["seed"]}
    if curves:
        report.line_plot(curves, title="validation loss per epoch (first seed)", xlabel="epoch", ylabel="val_loss",
                         logy=all(x > 0 for _, v in curves.values() for x in v))
    report.heading("Every run")
    test_keys = list(result["runs"][0]["test"])
    report.table(["model", "seed", *test_keys, "train time (s)", "epochs"],
                 [[r["model"], r["seed"], *(r["test"][k] for k in test_keys), r.get("train_time_s"), r.get("epochs")]
                  for r in result["runs"]])
    report.json_block(result)
    return report


def _distance_series(models: list[dict], key: str) -> dict:
    return {m["model"]: (m[key]["distance"], m[key]["norms"]) for m in models if m.get(key)}


def gradients_report(result: dict) -> Report:
    """Flags, spectral radii and plots of gradient flow (norm against distance) and norm histories."""
    report = Report("Gradient flow through time")
    add_gradients(report, result)
    report.json_block(result)
    return report


def add_gradients(report: Report, result: dict) -> None:
    report.paragraph(f"Source: {result['source']}. Norms of dL/dh_t, averaged over a held-out batch of "
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
    for m in result["models"]:
        epochs = m.get("during_training") or []
        if epochs:
            report.line_plot({f"epoch {e['epoch']}": (e["distance"], e["norms"]) for e in epochs},
                             title=f"{m['model']}: ||dL/dh_t|| during training", xlabel="distance from the loss (steps)",
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


def explain_report(result: dict) -> Report:
    """Attributions per example (highlighted tokens, a line over time for one feature, a step x
    feature heatmap for several), attention, and the run-level importance and surrogate."""
    report = Report(f"Why {result['run_dir']} predicts what it does")
    add_explanation(report, result)
    report.json_block(result)
    return report


def add_explanation(report: Report, result: dict) -> None:
    tokens = any("tokens" in e for e in result["examples"])
    baseline = ("zero vectors in place of each token's embedding (padding keeps its mask)" if tokens
                else "a zero input (the training mean of the standardised inputs)")
    report.paragraph(f"Inputs: {result['input']}. Attributions explain {result['target_note']}: integrated "
                     f"gradients from {baseline}, which add up to the output's difference from the baseline's.")
    names = result["feature_names"]
    for e in result["examples"]:
        label = f" ({e['label']})" if e.get("label") is not None and e.get("label") != e.get("prediction") else ""
        where = f" — {e['name']}" if e.get("name") else ""
        report.heading(f"Example {e['index']}{where}: prediction {_short(e['prediction'])}{label}", level=3)
        facts = [f"{k} {_short(e[k])}" for k in ("actual", "reference", "probability", "run_score") if k in e]
        report.paragraph(f"sum of attributions {sum(flat_values(e['attributions'])):.4g}; F(x) - F(baseline) "
                         f"{e['output'] - e['baseline_output']:.4g} (difference {e['delta']:.2g})"
                         + ("; " + "; ".join(facts) if facts else ""))
        if "tokens" in e:
            _token_example(report, e, result.get("token_separator", " "))
        else:
            _float_example(report, e, names)
    if result.get("permutation_importance"):
        report.heading("Permutation importance (test loss rise when a feature is shuffled)")
        report.table(["feature", "importance", "std"],
                     [[r["feature"], r["importance"], r["std"]] for r in result["permutation_importance"]])
    s = result.get("surrogate")
    if s:
        report.heading("Global surrogate")
        report.paragraph(f"{s['model']} fitted to the network's own predictions; fidelity "
                         f"({s['fidelity']['metric']}): {s['fidelity']['test']:.3f} on the test split, "
                         f"{s['fidelity']['train']:.3f} on the training inputs.")
        report.json_block(s["rules"], summary="rules")


def _token_example(report: Report, e: dict, sep: str) -> None:
    report.tokens(e["tokens"], e["attributions"], caption="integrated gradients per token: red raises the "
                  "explained output, blue lowers it", sep=sep)
    attention = e.get("attention")
    if attention is None:
        return
    weights = np.asarray(attention, dtype=np.float64)
    if weights.ndim == 1:
        report.tokens(e["tokens"], weights[:len(e["tokens"])].tolist(), caption="attention weights", sep=sep)
        return
    rows = e.get("output_tokens") or [str(i) for i in range(len(weights))]
    weights = weights[:len(rows), :len(e["tokens"])]
    report.heatmap(weights, xlabels=e["tokens"][:weights.shape[1]], ylabels=rows[:weights.shape[0]],
                   title="attention over the source", xlabel="source token", ylabel="output token", limits=(0.0, 1.0),
                   caption="each output token (rows) attends over the source tokens (columns)")


def _float_example(report: Report, e: dict, names: list[str]) -> None:
    grid = np.asarray(e["attributions"], dtype=np.float64)  # (T, D), or (H, W, C) for images
    if grid.ndim == 3:
        report.heatmap(grid.sum(axis=-1), title="integrated gradients per pixel", diverging=True,
                       caption="red raises the explained output, blue lowers it")
    elif grid.ndim == 2 and grid.shape[1] == 1:
        values = np.asarray(e["values"], dtype=np.float64) if "values" in e else np.zeros(len(grid))
        feature = names[0] if len(names) == 1 else "input"
        report.figure(series_attribution(values[:, 0] if values.ndim == 2 else values, grid[:, 0],
                                         feature=f"{feature} (standardised)", title="input and its attribution",
                                         saliency=np.asarray(e["saliency"]).reshape(-1)),
                      caption="above: the input as the network read it; below: integrated gradients per time "
                              "step (red raises the explained output, blue lowers it; dotted: saliency)")
    else:
        labelled = len(names) == grid.shape[1] and len(names) <= 24
        report.heatmap(grid.T, ylabels=names if labelled else None, title="integrated gradients", diverging=True,
                       xlabel="time step", ylabel=None if labelled else "feature",
                       caption="feature (rows) by time step (columns): red raises the explained output, blue lowers it")
    if "attention" in e:
        steps = list(range(len(e["attention"])))
        report.line_plot({"attention": (steps, e["attention"])}, title="attention weights",
                         xlabel="time step", ylabel="weight")


def curves_report(result: dict) -> Report:
    """Learning curves and robustness curves, one line per architecture."""
    metric = result["metric"]
    report = Report("Data efficiency and robustness")
    report.paragraph(f"Test {metric} ({'higher' if result['higher_is_better'] else 'lower'} is better), seed "
                     f"{result['seed']}. Data: {result['task']}.")
    curves = {m["model"]: ([p["fraction"] for p in m["learning_curve"]], [p[metric] for p in m["learning_curve"]])
              for m in result["models"]}
    report.line_plot(curves, title="learning curve", xlabel="fraction of the training data", ylabel=metric)
    for kind in result["models"][0]["robustness"]:
        series = {m["model"]: ([p["level"] for p in m["robustness"][kind]], [p[metric] for p in m["robustness"][kind]])
                  for m in result["models"]}
        report.line_plot(series, title=f"robustness: {kind}", xlabel=kind, ylabel=metric)
    report.json_block(result)
    return report


def flat_values(values) -> list[float]:
    """Nested lists of numbers (per step, per step and feature, per pixel) as one flat list."""
    return np.asarray(values, dtype=np.float64).ravel().tolist()


def _short(prediction) -> str:
    if isinstance(prediction, str):
        if not prediction:
            return "(empty)"
        return repr(prediction) if prediction.isspace() else prediction  # a predicted space or line break
    if isinstance(prediction, (int, float)):
        return f"{prediction:.4g}"
    values = prediction if isinstance(prediction, list) else [prediction]
    return "[" + ", ".join(f"{v:.3g}" for v in values[:6]) + (", ...]" if len(values) > 6 else "]")


def add_history(report: Report, history: dict, title: str = "training curves") -> None:
    """Loss per epoch (training and validation) in one plot, the other metrics in a second."""
    losses = {k: v for k, v in history.items() if k.endswith("loss") or k.endswith("loss_nats")}
    others = {k: v for k, v in history.items() if k not in losses}
    for series, name in ((losses, "loss"), (others, "metrics")):
        if series:
            positive = all(x > 0 for v in series.values() for x in v if np.isfinite(x))
            report.line_plot({k: (list(range(1, len(v) + 1)), v) for k, v in series.items()},
                             title=f"{title}: {name}", xlabel="epoch", ylabel=name, logy=positive and name == "loss",
                             caption=f"{name} per epoch")


WIDE = 6  # more metrics than this: the scores table turns, one row per metric


def add_metrics(report: Report, summary: dict) -> None:
    """The run's scores beside its baselines' (one row each), and the run's details."""
    metrics, baselines = summary["metrics"], summary["baselines"]
    model = summary.get("model") or "model"
    report.heading("Scores")
    if len(metrics) > WIDE:  # one row per metric, so the table fits the page
        report.table(["metric", model, *baselines],
                     [[k, v, *(scores.get(k) for scores in baselines.values())] for k, v in metrics.items()],
                     caption=f"{model} beside its baselines", ident="scores")
    elif metrics:
        rows = [[model, *metrics.values()]]
        rows += [[name, *(scores.get(k) for k in metrics)] for name, scores in baselines.items()]
        report.table(["", *metrics], rows, css_class="leaderboard")
    else:
        report.paragraph("metrics.json holds no scores.")
    if summary["details"]:
        report.table(list(summary["details"]), [list(summary["details"].values())], caption="run")


def run_report(run_dir: str, summary: dict, curves: dict, gradients: dict | None, explanation: dict | None,
               notes: dict[str, str] | None = None) -> Report:
    """One run of any task: its scores beside the baselines, training curves, gradient flow and
    attributions; ``notes`` says why a section is missing (``{"gradients": why, "attributions": why}``)."""
    notes = notes or {}
    report = Report(f"Run {run_dir}")
    if explanation is not None:
        report.paragraph(f"A run of `{explanation['command']}` ({explanation['kind']}).")
    add_metrics(report, summary)
    if curves:
        report.heading("Training")
        add_history(report, curves)
    if gradients is not None:
        report.heading("Gradient flow")
        add_gradients(report, gradients)
    elif "gradients" in notes:
        report.heading("Gradient flow")
        report.paragraph(notes["gradients"])
    report.heading("Attributions")
    if explanation is not None:
        add_explanation(report, explanation)
    else:
        report.paragraph(notes.get("attributions", "no attributions"))
    return report
