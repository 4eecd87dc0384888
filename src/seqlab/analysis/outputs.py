"""Where the analysis commands' inputs come from and where their results go.

``receptive_field_of`` reads a model from a config or a run directory; ``write_analysis`` writes
a result as ``<kind>.json``, ``report.html`` and ``figures/*.png`` into a folder, all at once or
none; ``write_run_report`` writes the report of one run of any task.
"""

from __future__ import annotations

from pathlib import Path

from seqlab.analysis.receptive_field import receptive_field
from seqlab.configbase import read_yaml_mapping
from seqlab.errors import ConfigError, RunDirError
from seqlab.models import load_model
from seqlab.models.io import write_json
from seqlab.tasks.config import load_config
from seqlab.tasks.rundir import check_out, staged_run
from seqlab.tasks.runfiles import existing_run_dir

METRICS_FILE = "metrics.json"


def read_yaml(path: Path) -> dict:
    """A config's YAML mapping (a run config or a comparison config); errors name the file."""
    return read_yaml_mapping(path, "data, model (one run) or models (a comparison), train")


def trained_run_dir(path: str | Path) -> Path:
    """``path`` as the run directory of one trained model; a comparison folder is pointed to its models."""
    path = Path(path)
    if (path / "leaderboard.json").is_file():
        raise RunDirError(f"{path}: a comparison folder; pass one of its runs, {path / 'models'}/<architecture>")
    return existing_run_dir(path)


def receptive_field_of(source: str | Path) -> dict:
    """The receptive field of a run config's ``model`` (input channels from its ``data``) or of a
    run directory's saved model; errors name the file."""
    source = Path(source)
    try:
        if source.is_dir():
            return {"source": str(source), **receptive_field(load_model(trained_run_dir(source)))}
        raw = read_yaml(source)
        if "model" not in raw:
            raise ConfigError("a receptive field needs a run config with a `model` list of layers")
        config, _ = load_config(source)
        return {"source": str(source), **receptive_field(config.model, input_shape=(1, input_channels(config.data)))}
    except ConfigError as exc:
        message = str(exc)
        raise ConfigError(message if message.startswith(str(source)) else f"{source}: {message}") from None


def input_channels(data) -> int:
    """Features per step of a data section, without reading the data."""
    if data.kind == "series":
        return len(data.features or data.target)
    if data.kind == "synthetic":
        return 2 if data.task == "adding" else 10
    if data.kind == "mnist":
        return {"rows": 28, "image": 1}.get(data.layout, 1)
    return 1  # token ids: an Embedding comes first


def write_analysis(out: str | Path, kind: str, result: dict, overwrite: bool = False) -> Path:
    """``out/<kind>.json``, ``out/report.html`` (the report of ``kind``) and its figures as
    ``out/figures/figure_NN.png``, written together: a folder beside ``out`` renamed into place.

    An existing ``out`` is replaced only with ``overwrite``, and only when seqlab wrote it (the
    manifest :func:`seqlab.tasks.rundir.staged_run` leaves in every folder it writes); any other
    folder is refused.
    """
    from seqlab.analysis import reports

    out = Path(out)
    check_out(out, overwrite, resume_hint=False)
    report = getattr(reports, f"{kind}_report")(result)
    with staged_run(out) as work:
        write_json(work / f"{kind}.json", result)
        report.write(work / "report.html")
        for i, png in enumerate(report.images, 1):
            path = work / "figures" / f"figure_{i:02d}.png"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(png)  # inside the staging folder: renaming the whole folder is the atomic step
    return out


def write_run_report(run_dir: str | Path, out: str | Path | None = None, examples: int = 3) -> Path:
    """``report.html`` of one run of any task (in the run directory unless ``out`` says where): its
    scores beside its baselines, training curves, gradient flow and the attributions of
    ``examples`` held-out inputs. A section that has no meaning for the run says why instead."""
    from seqlab.analysis.explain import explain
    from seqlab.analysis.gradients import analyze_gradients
    from seqlab.analysis.reports import run_report
    from seqlab.analysis.run_summary import run_metrics, training_curves
    from seqlab.analysis.targets import AnalysisNotApplicable, load_target
    from seqlab.models.io import read_json

    run_dir = trained_run_dir(run_dir)
    metrics_file = run_dir / METRICS_FILE
    raw = read_json(metrics_file) if metrics_file.is_file() else load_target(run_dir).evaluate()
    notes = {}
    try:
        gradients = analyze_gradients(run_dir)
    except ConfigError as exc:  # no sequence layer (a 2-D CNN, an MLP, a linear model) or no network
        gradients, notes["gradients"] = None, f"No gradient flow through time: {exc}"
    try:
        explanation = explain(run_dir, "test", examples=examples)
    except AnalysisNotApplicable as exc:
        explanation, notes["attributions"] = None, f"No attributions: {exc}"
    report = run_report(str(run_dir), run_metrics(raw), training_curves(run_dir, raw), gradients, explanation, notes)
    return report.write(Path(out) if out is not None else run_dir / "report.html")
