"""The HTML report: escaped, self-contained, written atomically, and rendered by a real browser.

The browser tests open the written file in headless Chromium and read the DOM after the page's
own script ran: the leaderboard rows are there, every plot decoded (``data-images-ok`` equals
``data-images``), the token spans are there, and a screenshot is not a blank page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from seqlab.analysis.report import Report

from .chromium import Dom, render, screenshot

XSS = "<script>alert(1)</script>"
LEADERBOARD = [
    ["lstm-2x64", 0.0123456, 0.08812, 41],
    ["gru-1x128", 0.0131, 0.0912, 37],
    [XSS, None, 0.1, 12],
]
N_FIGURES = 2  # line_plot + heatmap
TOKENS = ["the", "film", "was", "not", "good", "<br>"]
WEIGHTS = [0.02, 0.1, -0.05, -0.9, 0.6, 0.0]


def build() -> Report:
    r = Report("Run report <test>")
    r.heading("Leaderboard")
    r.table(["model", "mse", "mae", "epochs"], LEADERBOARD, caption="test split", css_class="leaderboard")
    r.heading("Training")
    epochs = list(range(1, 21))
    r.line_plot(
        {"train": (epochs, [1.0 / e for e in epochs]), "val": (epochs, [1.2 / e + 0.02 for e in epochs])},
        title="loss", xlabel="epoch", ylabel="mse", logy=True, caption="loss by epoch",
    )
    attn = np.outer(np.linspace(0.1, 1.0, 6), np.linspace(1.0, 0.2, 8))  # (6, 8)
    r.heatmap(attn, xlabels=[f"t{i}" for i in range(8)], ylabels=[f"h{i}" for i in range(6)], title="attention")
    r.heading("Explanation", level=3)
    r.tokens(TOKENS, WEIGHTS, caption="integrated gradients")
    r.json_block({"run": 7, "mse": float("nan"), "note": XSS})
    return r


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    return build().write(tmp_path_factory.mktemp("report") / "report.html")


def test_browser_renders_leaderboard_plots_and_tokens(page, tmp_path):
    dom = Dom()
    dom.feed(render(page, tmp_path))

    assert dom.body.get("data-images") == str(N_FIGURES), dom.body  # the script ran after load
    assert dom.body.get("data-images-ok") == dom.body.get("data-images"), "a plot did not decode"

    rows = dom.tables["leaderboard"]
    assert rows[0] == ["model", "mse", "mae", "epochs"]
    assert rows[1:] == [
        ["lstm-2x64", "0.01235", "0.08812", "41"],
        ["gru-1x128", "0.0131", "0.0912", "37"],
        [XSS, "—", "0.1", "12"],  # shown as text, never run
    ]
    assert [t for t, _ in dom.tokens] == TOKENS
    assert [float(title) for _, title in dom.tokens] == pytest.approx(WEIGHTS)


def test_screenshot_is_not_blank(page, tmp_path):
    img = imread(screenshot(page, tmp_path))  # (H, W, 3|4) floats in [0, 1]
    rgb = img[..., :3]
    assert rgb.shape[:2] == (2000, 1200)
    not_white = (rgb < 0.95).any(axis=-1)
    colourful = (rgb.max(axis=-1) - rgb.min(axis=-1)) > 0.3  # plot colours, not grey text
    assert not_white.mean() > 0.02, f"only {not_white.mean():.2%} of the page is not white"
    assert colourful.sum() > 20_000, f"only {colourful.sum()} coloured pixels: plots missing?"


def test_data_is_escaped():
    r = Report(XSS)
    r.heading(XSS)
    r.paragraph(XSS)
    r.table([XSS], [[XSS]], caption=XSS, css_class='x" onclick="alert(1)')
    r.tokens([XSS], [1.0])
    r.json_block({"k": XSS}, summary=XSS)
    page = r.html()
    assert "alert(1)</script>" not in page
    assert page.count("<script>") == 1  # the page's own
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in page
    assert 'class="x&quot; onclick=&quot;alert(1)"' in page


def test_page_is_self_contained():
    page = build().html()
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"\bhref\s*=", page, re.I)
    assert not re.search(r"<link\b|@import|url\(", page, re.I)
    srcs = re.findall(r"\bsrc\s*=\s*[\"']?([^\"'\s>]*)", page, re.I)
    assert len(srcs) == N_FIGURES and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "<meta charset=\"utf-8\">" in page and page.startswith("<!doctype html>")


def test_write_replaces_atomically(tmp_path, monkeypatch):
    out = tmp_path / "report.html"
    out.write_text("old", encoding="utf-8")
    inode = out.stat().st_ino

    assert Report("new").write(out) == out
    assert "<h1>new</h1>" in out.read_text(encoding="utf-8")
    assert out.stat().st_ino != inode  # a new file renamed over the old one, not rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temp file left

    def fail(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        Report("newer").write(out)
    assert "<h1>new</h1>" in out.read_text(encoding="utf-8")  # the old page, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
