"""Where the analysis commands' inputs come from and where their results go.

``receptive_field_of`` reads a model from a config or a run directory; ``write_analysis`` writes
a result as ``<kind>.json`` and ``report.html`` into a folder, both at once or neither.
"""

from __future__ import annotations

from pathlib import Path

from seqlab.analysis.receptive_field import receptive_field
from seqlab.configbase import read_yaml_mapping
from seqlab.errors import ConfigError, RunDirError
from seqlab.models import load_model
from seqlab.models.io import write_json
from seqlab.tasks.config import load_config
from seqlab.tasks.rundir import existing_run_dir, staged_run


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
    """``out/<kind>.json`` and ``out/report.html`` (the report of ``kind``), written together."""
    from seqlab.analysis import reports

    out = Path(out)
    _check_folder(out, overwrite)
    with staged_run(out) as work:
        write_json(work / f"{kind}.json", result)
        getattr(reports, f"{kind}_report")(result).write(work / "report.html")
    return out


def _check_folder(out: Path, overwrite: bool) -> None:
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ConfigError(f"{out}: already exists; pass --overwrite to replace it")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / "report.html").is_file():
        raise ConfigError(f"{out}: --overwrite replaces analysis folders only (with a report.html); "
                          "choose another --out")



def write_run_report(run_dir: str | Path, out: str | Path | None = None, examples: int = 3) -> Path:
    """``report.html`` of one run (in the run directory unless ``out`` says where): its test
    metrics and baselines, training curves, gradient flow and the attributions of the first
    ``examples`` test inputs."""
    from seqlab.analysis.explain import explain
    from seqlab.analysis.gradients import analyze_gradients
    from seqlab.analysis.reports import run_report
    from seqlab.models.io import read_json
    from seqlab.tasks import runs

    run_dir = trained_run_dir(run_dir)
    metrics_file = run_dir / runs.METRICS_FILE
    metrics = read_json(metrics_file) if metrics_file.is_file() else runs.evaluate(run_dir)
    metrics.setdefault("run_dir", str(run_dir))
    try:
        gradients = analyze_gradients(run_dir)
    except ConfigError:  # no sequence layer (a 2-D CNN, an MLP): no gradient flow through time
        gradients = None
    report = run_report(metrics, gradients, explain(run_dir, "test", examples=examples))
    return report.write(Path(out) if out is not None else run_dir / "report.html")
