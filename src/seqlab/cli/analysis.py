"""``seqlab compare``, ``seqlab analyze ...`` and ``seqlab explain`` (thin over seqlab.analysis)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from seqlab.cli.common import JsonOption, console, err_console, print_json, user_errors
from seqlab.errors import ConfigError

analyze_app = typer.Typer(help="Gradient flow, receptive fields, learning and robustness curves.",
                          no_args_is_help=True)

Sets = Annotated[Optional[list[str]], typer.Option("--set", help="Override a config key, e.g. train.epochs=3.")]
Out = Annotated[Optional[Path], typer.Option("--out", help="Folder for the JSON result and report.html.")]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output folder.")]


def compare(
    sources: Annotated[list[Path], typer.Argument(help="A comparison config YAML, or two or more run "
                                                       "directories of `seqlab train` on the same data.")],
    out: Out = None, set_: Sets = None, overwrite: Overwrite = False, json_: JsonOption = False,
) -> None:
    """Train several architectures on one task (same data, split, budget, seeds) and rank them."""
    from seqlab.analysis.compare import compare as run_compare, compare_runs
    from seqlab.analysis.reports import plus_minus

    if len(sources) == 1 and not sources[0].is_dir():
        progress = None if json_ else (lambda name, seed, record: err_console.print(
            f"{name} seed {seed}: {record['test']} ({record['train_time_s']:.1f} s)", highlight=False))
        result = run_compare(sources[0], out, overrides=set_ or [], overwrite=overwrite, on_run=progress)
    else:
        if out is not None or set_:
            raise ConfigError("compare: --out and --set apply to a comparison config; finished runs are only "
                              "scored again")
        result = compare_runs(sources)
    if json_:
        print_json(result)
        return
    rows = result["leaderboard"]
    metrics = [k for k in rows[0] if isinstance(rows[0][k], dict) and k not in
               ("train_time_s", "epochs", "val_loss", "latency_ms", "peak_memory_mb")]
    table = Table(title=f"Leaderboard (test {result['rank_by']}, mean ± std over seeds)")
    for column in ("rank", "model", *metrics, "params", "train s", "latency ms", "memory MiB"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for r in rows:
        table.add_row(str(r["rank"]), r["model"], *(plus_minus(r[m]) for m in metrics), str(r["params"]),
                      *(str(plus_minus(r.get(k, "—"))) for k in ("train_time_s", "latency_ms", "peak_memory_mb")))
    console.print(table)
    for name, scores in (result.get("baselines") or {}).items():
        console.print(f"baseline {name}: {scores}", highlight=False)
    if result.get("out"):
        console.print(f"report: {Path(result['out']) / 'report.html'}")


@analyze_app.command("gradients")
@user_errors
def gradients(
    source: Annotated[Path, typer.Argument(help="A comparison config, a run config, or a run directory.")],
    out: Out = None, set_: Sets = None, overwrite: Overwrite = False,
    batch: Annotated[int, typer.Option("--batch", help="Validation sequences the norms are averaged over.")] = 64,
    json_: JsonOption = False,
) -> None:
    """||dL/dh_t|| against the distance from the loss, spectral radii, clipped and unclipped norm histories."""
    from seqlab.analysis.gradients import analyze_gradients
    from seqlab.analysis.outputs import write_analysis

    result = analyze_gradients(source, set_ or [], batch=batch)
    if out is not None:
        write_analysis(out, "gradients", result, overwrite)
    if json_:
        print_json(result)
        return
    table = Table(title="Gradient flow: g_1 / g_T (first step over last), on a validation batch")
    for column in ("model", "layer", "at init", "trained", "vanishing", "exploding"):
        table.add_column(column)
    for r in result["models"]:
        init = f"{r['at_init']['ratio']:.3g}" if "at_init" in r else "—"
        table.add_row(r["model"], r["layer"], init, f"{r['trained']['ratio']:.3g}", str(r["vanishing"]),
                      str(r["exploding"]))
    console.print(table)


@analyze_app.command("receptive-field")
@user_errors
def receptive_field(
    config: Annotated[Path, typer.Argument(help="A run config (its `model` list) or a run directory.")],
    json_: JsonOption = False,
) -> None:
    """The exact receptive field of the model's conv, pooling and TCN stack, checked by gradients."""
    from seqlab.analysis.outputs import receptive_field_of

    result = receptive_field_of(config)
    if json_:
        print_json(result)
        return
    table = Table(title=f"Receptive field: {result['receptive_field']} (gradient check: {result['empirical']})")
    for column in ("layer", "kernel", "stride", "dilation", "receptive field", "jump"):
        table.add_column(column)
    for row in result["layers"]:
        table.add_row(row["layer"], *(str(row[k]) for k in ("kernel", "stride", "dilation", "receptive_field", "jump")))
    console.print(table)
    if result.get("stack_ends_at"):
        console.print(f"the stack ends at {result['stack_ends_at']}: {result.get('stop_reason', '')}", highlight=False)


@analyze_app.command("curves")
@user_errors
def curves(
    config: Annotated[Path, typer.Argument(help="A comparison config YAML.")],
    out: Out = None, set_: Sets = None, overwrite: Overwrite = False, json_: JsonOption = False,
) -> None:
    """Learning curves (5-100 % of the training data) and robustness curves (noise, dropped steps, shifts)."""
    from seqlab.analysis.curves import analyze_curves
    from seqlab.analysis.outputs import write_analysis

    result = analyze_curves(config, set_ or [])
    if out is not None:
        write_analysis(out, "curves", result, overwrite)
    if json_:
        print_json(result)
        return
    metric = result["metric"]
    table = Table(title=f"Test {metric}: learning curve, then the strongest corruption")
    fractions = [p["fraction"] for p in result["models"][0]["learning_curve"]]
    kinds = list(result["models"][0]["robustness"])
    for column in ("model", *(f"{f:g}" for f in fractions), *kinds):
        table.add_column(column, justify="left" if column == "model" else "right")
    for m in result["models"]:
        table.add_row(m["model"], *(f"{p[metric]:.4g}" for p in m["learning_curve"]),
                      *(f"{m['robustness'][k][-1][metric]:.4g}" for k in kinds))
    console.print(table)


def explain(
    run_dir: Annotated[Path, typer.Argument(help="A run directory of any task (`seqlab forecast train`, `text train`, "
                                                 "..., `seqlab train`, or one under a comparison's models/).")],
    input_file: Annotated[str, typer.Argument(help="Inputs the run's predict reads (series CSV, text file, UCR file, "
                                                   "WAV files, .npy), or 'test' for the run's own held-out data.")] = "test",
    examples: Annotated[int, typer.Option("--examples", help="Inputs to attribute (at most 20).")] = 5,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for explain.json, report.html and "
                                                              "figures/*.png.")] = None,
    overwrite: Overwrite = False, json_: JsonOption = False,
) -> None:
    """Integrated gradients, saliency and attention of each input; for `seqlab train` runs also permutation
    importance and a surrogate tree with its fidelity."""
    from seqlab.analysis.explain import explain as run_explain
    from seqlab.analysis.outputs import write_analysis
    from seqlab.analysis.reports import flat_values
    from seqlab.tasks.rundir import check_out

    if out is not None:
        check_out(out, overwrite, resume_hint=False)  # before the work, not after it
    result = run_explain(run_dir, input_file, examples=examples)
    if out is not None:
        write_analysis(out, "explain", result, overwrite)
    if json_:
        print_json(result)
        return
    console.print(f"explains {result['target_note']}", highlight=False)
    for e in result["examples"]:
        line = f"example {e['index']} ({e['name']}): prediction {e.get('label', e['prediction'])}; sum IG " \
               f"{sum(flat_values(e['attributions'])):.4g} = F(x) - F(x') {e['output'] - e['baseline_output']:.4g}"
        if "tokens" in e:
            top = sorted(zip(e["attributions"], e["tokens"]), reverse=True)[:5]
            line += "; top tokens: " + ", ".join(f"{t!r} ({a:+.3g})" for a, t in top)
        console.print(line, highlight=False, markup=False)
    for row in result.get("permutation_importance", []):
        console.print(f"permutation importance {row['feature']}: {row['importance']:.4g} ± {row['std']:.2g}",
                      highlight=False)
    s = result.get("surrogate")
    if s:
        console.print(f"surrogate {s['model']}: fidelity {s['fidelity']['metric']} = {s['fidelity']['test']:.3f} "
                      "(test)")
        console.print(s["rules"], highlight=False, markup=False)
    if out is not None:
        console.print(f"report: {out / 'report.html'}")


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory of any task (`seqlab forecast train`, `text train`, "
                                                 "..., `seqlab train`, or one under a comparison's models/).")],
    out: Annotated[Optional[Path], typer.Option("--out", help="The HTML file (default RUN_DIR/report.html).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the --out file if it exists.")] = False,
    json_: JsonOption = False,
) -> None:
    """A self-contained HTML report of one run of any task: scores beside baselines, training curves,
    gradient flow, attributions."""
    from seqlab.analysis.outputs import write_run_report
    from seqlab.tasks.rundir import check_output_file

    if out is not None:  # the default, RUN_DIR/report.html, is the run's own report: rewritten freely
        check_output_file(out, overwrite)
    path = write_run_report(run_dir, out)
    if json_:
        print_json({"report": str(path)})
        return
    console.print(f"report: {path}")
