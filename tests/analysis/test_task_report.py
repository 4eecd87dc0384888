"""``seqlab report RUN --out FILE`` on a run of every task command, as a browser renders it."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.image import imread

from seqlab.analysis.run_summary import run_metrics
from seqlab.cli.main import app
from seqlab.models.io import read_json

from .chromium import Dom, render, screenshot
from .task_runs import ok, runner


def _report(run, tmp_path) -> tuple[Dom, str]:
    out = tmp_path / "report.html"
    assert ok(runner.invoke(app, ["report", str(run), "--out", str(out), "--json"])) == {"report": str(out)}
    dom = Dom()
    dom.feed(render(out, tmp_path))
    n = int(dom.body["data-images"])
    assert n > 0 and dom.body["data-images-ok"] == str(n), "a figure did not decode"
    return dom, out.read_text(encoding="utf-8")


def _scores(dom: Dom) -> dict[str, list[str]]:
    """The scores table by its first column (a metric, or the model and each baseline)."""
    table = dom.tables.get("leaderboard") or dom.tables["scores"]
    return {row[0]: row[1:] for row in table}


RUNS = ["forecast_run", "forecast_m_run", "text_run", "classify_run", "speech_run", "anomaly_run", "generate_run",
        "translate_run"]


@pytest.mark.parametrize("fixture", RUNS)
def test_every_task_reports_scores_baselines_and_attributions(fixture, request, tmp_path):
    run = request.getfixturevalue(fixture)
    dom, page = _report(run, tmp_path)
    summary = run_metrics(read_json(run / "metrics.json"))
    scores = _scores(dom)
    assert summary["metrics"] and summary["baselines"]
    if "metric" in scores:  # one row per metric: the model, then each baseline, in columns
        assert scores["metric"][1:] == list(summary["baselines"])
        first, value = next(iter(summary["metrics"].items()))
        assert float(scores[first][0]) == pytest.approx(value, rel=1e-3)
    else:
        assert list(scores)[2:] == list(summary["baselines"])
    assert "Attributions" in page and "Example 0" in page and "No attributions" not in page
    assert ("loss per epoch" in page) == (run / "metrics.csv").is_file()


def test_a_univariate_forecast_reads_as_lines_not_numbers(forecast_run, tmp_path):
    dom, page = _report(forecast_run, tmp_path)
    assert "above: the input as the network read it" in page  # the line figure, not an annotated heatmap
    img = imread(screenshot(tmp_path / "report.html", tmp_path))[..., :3]
    not_white = (img < 0.95).any(axis=-1)
    assert not_white.mean() > 0.02


def test_the_heatmap_prints_values_only_where_they_fit():
    from seqlab.analysis.report import Report

    for shape, texts in (((1, 96), 0), ((7, 96), 0), ((6, 8), 48)):
        r = Report("h")
        captured = []
        original = r.figure
        r.figure = lambda fig, caption=None: (captured.append(len(fig.axes[0].texts)), original(fig, caption))
        r.heatmap(np.random.default_rng(0).normal(size=shape), title="ig", diverging=True)
        assert captured == [texts]
