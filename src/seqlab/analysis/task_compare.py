"""``compare RUN RUN ...`` for the runs of the task commands: each run scored again by its task's own
``evaluate`` on its held-out data, ranked by the task's metric (:attr:`Target.rank_by`).

The runs must be of one task (one preprocessing kind) and one data section, so their held-out
data are the same; the leaderboard has the shape of :func:`seqlab.analysis.compare.compare_runs`'.
"""

from __future__ import annotations

from pathlib import Path

from seqlab.analysis import measure
from seqlab.analysis.compare import mean_std, ranked
from seqlab.analysis.outputs import trained_run_dir
from seqlab.analysis.run_summary import run_metrics
from seqlab.analysis.targets import Target, load_target
from seqlab.errors import ConfigError


def compare_task_runs(run_dirs: list[str | Path]) -> dict:
    """A leaderboard of finished task runs (one seed each); see the module docstring.

    Raises:
        ConfigError: runs of different tasks or data (the message names the two runs and what differs).
    """
    targets = [load_target(trained_run_dir(d)) for d in run_dirs]
    first = targets[0]
    for other in targets[1:]:
        _same_task(first, other)
    rank_by, higher = first.rank_by
    records = []
    for t in targets:
        summary = run_metrics(t.evaluate())
        records.append({"model": t.run_dir.name, "architecture": summary["model"],
                        "seed": getattr(getattr(t.config, "train", None), "seed", None), "test": summary["metrics"],
                        "params": measure.parameter_count(t.net), "baseline": summary["baselines"]})
    shared = [k for k in records[0]["test"] if all(k in r["test"] for r in records)]
    if rank_by not in shared:
        raise ConfigError(f"compare: {first.kind} runs are ranked by {rank_by}, which "
                          f"{next(r['model'] for r in records if rank_by not in r['test'])} does not report")
    rows = [{"model": r["model"], "seeds": 1, **{k: mean_std([r["test"][k]]) for k in shared}, "params": r["params"]}
            for r in records]
    baselines = records[0]["baseline"]
    for record in records:
        record.pop("baseline")
    return {"task": first.task, "rank_by": rank_by, "higher_is_better": higher, "seeds": None, "budget": None,
            "leaderboard": ranked(rows, rank_by, higher), "baselines": baselines, "runs": records, "out": None}


def _same_task(a: Target, b: Target) -> None:
    if a.kind != b.kind:
        raise ConfigError(f"compare: {a.run_dir} is a `{a.command}` run and {b.run_dir} a `{b.command}` run; "
                          "compare runs of one task on the same data")
    da, db = a.task, b.task
    differs = next((f"data.{k}: {da.get(k)!r} vs {db.get(k)!r}" for k in da if k != "kind" and da.get(k) != db.get(k)),
                   None)
    if differs is not None:
        raise ConfigError(f"compare: {a.run_dir} and {b.run_dir} were trained on different data ({differs}); "
                          "compare runs trained on the same data")
