"""What the CLI tests read from ``--json``: one JSON object, and a train/evaluate result in the one shape."""

from __future__ import annotations

import json

SHAPE = ("metrics", "baselines", "model", "run_dir")


def one_json(result) -> dict:
    """The single JSON object a command printed (and nothing else on stdout)."""
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout  # --json prints one object and nothing else
    return json.loads(lines[0])


def result_json(result) -> dict:
    """A train/evaluate result: checked for the one shape, returned with its metrics beside the rest."""
    obj = one_json(result)
    assert set(SHAPE) <= set(obj), sorted(obj)
    assert isinstance(obj["metrics"], dict) and obj["metrics"] and isinstance(obj["baselines"], dict)
    assert not set(obj["metrics"]) & set(obj), "a metric also stands outside metrics"
    return {**obj["metrics"], **{k: v for k, v in obj.items() if k != "metrics"}}
