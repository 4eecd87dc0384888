"""Self-contained static HTML reports: headings, tables, plots, heatmaps and highlighted tokens.

A ``Report`` collects blocks in order and renders one HTML page that needs nothing outside
itself: the style sheet and one tiny script are inline, every figure is a PNG in a ``data:`` URI,
and a Content-Security-Policy forbids the browser to fetch anything else. The page can be mailed,
archived or opened from a run directory years later and look the same.

Every string that comes from data (titles, cells, tokens, JSON) is HTML-escaped. Figures are
drawn on a bare ``matplotlib.figure.Figure`` and rendered to memory with the Agg canvas, so no
pyplot global state is touched. ``write`` is atomic (temporary file in the same folder, then a
rename).

The script at the end of the body sets ``data-images`` (number of ``<img>`` elements) and
``data-images-ok`` (those that decoded) on ``<body>`` after load, so a headless browser's DOM dump
can prove that every plot rendered.

Example:
    >>> r = Report("Run 7")
    >>> r.table(["model", "mse"], [["lstm", 0.012345678], ["<b>gru</b>", None]])
    >>> page = r.html()
    >>> "0.01235" in page, "&lt;b&gt;gru&lt;/b&gt;" in page, "<td class=\\"num\\">—</td>" in page
    (True, True, True)
"""

from __future__ import annotations

import base64
import html as _html
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from seqlab.errors import ConfigError, DataError, ShapeError
from seqlab.analysis.page_style import ANNOTATE_MAX, SCRIPT, CSP, STYLE, esc, format_value, annotated, is_number, json_default
from seqlab.jsonsafe import json_safe
from seqlab.models.io import atomic_write_text

class Report:
    """One HTML page built block by block, in the order the methods are called.

    Args:
        title: the page title (``<title>`` and the ``<h1>`` at the top).

    Example:
        >>> r = Report("Forecast <v2>")
        >>> r.heading("Scores")
        >>> r.paragraph("Lower is better & cheaper.")
        >>> page = r.html()
        >>> page.startswith("<!doctype html>"), "<h1>Forecast &lt;v2&gt;</h1>" in page
        (True, True)
        >>> "Lower is better &amp; cheaper." in page
        True
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self._blocks: list[str] = []
        self.images: list[bytes] = []  # every figure's PNG, in order (analysis folders save them as files)
        self._leaderboards = 0  # the first leaderboard table gets id="leaderboard", later ones -2, -3

    def heading(self, text: str, level: int = 2) -> None:
        """A section heading ``<h{level}>``; level 1 is the page title's, so use 2 to 6."""
        if not isinstance(level, int) or not 1 <= level <= 6:
            raise ConfigError(f"heading level must be an integer from 1 to 6, got {level!r}")
        self._blocks.append(f"<h{level}>{esc(text)}</h{level}>")

    def paragraph(self, text: str) -> None:
        """A paragraph of plain (escaped) text."""
        self._blocks.append(f"<p>{esc(text)}</p>")

    def table(
        self,
        columns: list[str],
        rows: list[list],
        caption: str | None = None,
        css_class: str = "table",
        ident: str | None = None,
    ) -> None:
        """A table with a header row; numbers are right-aligned and formatted by ``format_value``.

        Args:
            columns: the header cells.
            rows: one list per row, each as long as ``columns``.
            caption: text above the table.
            css_class: the table's class; ``"leaderboard"`` also gives it ``id="leaderboard"``
                (``leaderboard-2``, ... for later ones) and highlights the first row.
            ident: the table's ``id`` (any other table's; a page should not repeat one).

        Example:
            >>> r = Report("t")
            >>> r.table(["name", "n"], [["a", 1]], css_class="leaderboard")
            >>> '<table class="leaderboard" id="leaderboard">' in r.html()
            True
        """
        columns = list(columns)
        for i, row in enumerate(rows):
            if len(row) != len(columns):
                raise ShapeError(
                    f"table row {i} has {len(row)} cells but there are {len(columns)} columns "
                    f"({', '.join(map(str, columns))})"
                )
        if css_class == "leaderboard":
            self._leaderboards += 1
            n = self._leaderboards
            ident = f' id="leaderboard{"" if n == 1 else f"-{n}"}"'
        elif ident is not None:
            ident = f' id="{esc(ident)}"'
        else:
            ident = ""
        out = [f'<table class="{esc(css_class)}"{ident}>']
        if caption is not None:
            out.append(f"<caption>{esc(caption)}</caption>")
        out.append("<thead><tr>" + "".join(f"<th>{esc(c)}</th>" for c in columns) + "</tr></thead>")
        out.append("<tbody>")
        for row in rows:
            cells = (
                f'<td class="num">{esc(format_value(v))}</td>'
                if is_number(v)
                else f"<td>{esc(format_value(v))}</td>"
                for v in row
            )
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table>")
        self._blocks.append("\n".join(out))

    def figure(self, fig: Figure, caption: str | None = None) -> None:
        """Embed a matplotlib Figure as an inline PNG (data URI); the figure is closed afterwards.

        "Closed" means released: a figure made by pyplot is removed from pyplot's registry (only
        if pyplot is already imported; this module never imports it), and the figure is cleared.

        Example:
            >>> from matplotlib.figure import Figure
            >>> fig = Figure(figsize=(2, 1))
            >>> _ = fig.add_subplot().plot([0, 1], [1, 0])
            >>> r = Report("f")
            >>> r.figure(fig, caption="a line")
            >>> '<img src="data:image/png;base64,' in r.html(), len(fig.axes)
            (True, 0)
        """
        buf = io.BytesIO()
        try:  # savefig picks the Agg renderer for PNG itself: no backend switch, no window
            fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        finally:
            pyplot = sys.modules.get("matplotlib.pyplot")
            if pyplot is not None:
                pyplot.close(fig)
            fig.clear()
        self.images.append(buf.getvalue())
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        alt = esc(caption if caption is not None else f"figure {self._count_images() + 1}")
        out = [f'<figure><img src="data:image/png;base64,{data}" alt="{alt}">']
        if caption is not None:
            out.append(f"<figcaption>{esc(caption)}</figcaption>")
        out.append("</figure>")
        self._blocks.append("".join(out))

    def line_plot(
        self,
        series: dict[str, tuple[list[float], list[float]]],
        *,
        title: str,
        xlabel: str,
        ylabel: str,
        logy: bool = False,
        caption: str | None = None,
    ) -> None:
        """One line per named ``(x, y)`` series, with a legend, embedded as a figure.

        Example:
            >>> r = Report("p")
            >>> r.line_plot({"train": ([1, 2, 3], [0.9, 0.5, 0.3])}, title="loss",
            ...             xlabel="epoch", ylabel="mse", logy=True)
            >>> r.html().count("<img ")
            1
        """
        if not series:
            raise ConfigError(f"line_plot {title!r}: series is empty; give at least one name")
        fig = Figure(figsize=(8, 4.2))
        ax = fig.add_subplot()
        for name, (x, y) in series.items():
            if len(x) != len(y):
                raise ShapeError(f"line_plot {title!r}: series {name!r} has {len(x)} x but {len(y)} y")
            ax.plot(list(x), list(y), label=str(name), marker="o" if len(x) <= 30 else None, ms=3)
        if logy:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        self.figure(fig, caption=caption)

    def heatmap(
        self,
        values: Sequence[Sequence[float]] | np.ndarray,
        *,
        xlabels: Sequence[str] | None = None,
        ylabels: Sequence[str] | None = None,
        title: str,
        caption: str | None = None,
        diverging: bool = False,
        xlabel: str | None = None,
        ylabel: str | None = None,
        limits: tuple[float, float] | None = None,
    ) -> None:
        """A (rows, columns) matrix as coloured cells with a colour bar.

        Each cell shows its value only while the cells are few enough to hold one (at most
        ``ANNOTATE_MAX`` rows and columns); larger matrices are colour alone, never numbers
        printed over each other. ``diverging`` centres a red-blue scale on zero, for signed
        values such as attributions (red positive, blue negative); ``limits`` fixes the ends of
        the scale (0 and 1 for attention weights).

        Example:
            >>> r = Report("h")
            >>> r.heatmap([[0.1, 0.9], [0.5, 0.2]], xlabels=["a", "b"], ylabels=["x", "y"],
            ...           title="attention")
            >>> r.html().count("<img ")
            1
        """
        m = np.asarray(values, dtype=np.float64)  # (R, C)
        if m.ndim != 2 or m.size == 0:
            raise ShapeError(f"heatmap {title!r}: values must be a non-empty 2-D array, got shape {m.shape}")
        rows, cols = m.shape
        for name, labels, n in (("xlabels", xlabels, cols), ("ylabels", ylabels, rows)):
            if labels is not None and len(labels) != n:
                raise ShapeError(f"heatmap {title!r}: {len(labels)} {name} for {n} {name[0]} cells")
        fig = Figure(figsize=(min(3.0 + 0.5 * cols, 11), min(2 + 0.4 * rows, 10) if rows > 1 else 2.2))
        ax = fig.add_subplot()
        if diverging:
            top = float(np.nanmax(np.abs(m))) if np.isfinite(m).any() else 1.0
            top = top if top > 0 else 1.0
            im = ax.imshow(m, aspect="auto", cmap="RdBu_r", vmin=-top, vmax=top, interpolation="nearest")
        else:
            low, high = limits if limits is not None else (None, None)
            im = ax.imshow(m, aspect="auto", cmap="viridis", vmin=low, vmax=high, interpolation="nearest")
        fig.colorbar(im, ax=ax)
        if xlabels is not None:
            ax.set_xticks(range(cols), [str(s) for s in xlabels], rotation=45, ha="right")
        if ylabels is not None:
            ax.set_yticks(range(rows), [str(s) for s in ylabels])
        if annotated(rows, cols):
            mid = np.nanmean(m) if np.isfinite(m).any() else 0.0
            if limits is not None:
                mid = (limits[0] + limits[1]) / 2
            for (i, j), v in np.ndenumerate(m):
                dark = abs(v) > 0.6 * top if diverging else v <= mid
                ax.text(j, i, format(v, ".2g"), ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
        if xlabel is not None:
            ax.set_xlabel(xlabel)
        if ylabel is not None:
            ax.set_ylabel(ylabel)
        ax.set_title(title)
        fig.tight_layout()
        self.figure(fig, caption=caption)

    def tokens(self, tokens: list[str], weights: list[float], caption: str | None = None, sep: str = " ") -> None:
        """Text with each token highlighted by its weight: red positive, blue negative.

        Opacity is ``|w| / max|w|`` (all transparent when every weight is 0); hovering a token
        shows its weight. ``sep`` goes between tokens (``""`` for characters).

        Example:
            >>> r = Report("t")
            >>> r.tokens(["good", "<bad>"], [2.0, -1.0])
            >>> page = r.html()
            >>> 'style="background-color: rgba(220, 38, 38, 1.000); color: #fff" title="+2">good' in page
            True
            >>> 'rgba(37, 99, 235, 0.500)" title="-1">&lt;bad&gt;</span>' in page
            True
        """
        if len(tokens) != len(weights):
            raise ShapeError(f"tokens: {len(tokens)} tokens but {len(weights)} weights")
        w = np.asarray(weights, dtype=np.float64)  # (N,)
        if not np.isfinite(w).all():
            raise DataError(f"tokens: {int((~np.isfinite(w)).sum())} weight(s) are NaN or infinite")
        top = float(np.abs(w).max()) if w.size else 0.0
        spans = []
        for tok, v in zip(tokens, w.tolist()):
            alpha = abs(v) / top if top > 0 else 0.0
            rgb = "220, 38, 38" if v >= 0 else "37, 99, 235"
            ink = "; color: #fff" if alpha > 0.6 else ""  # dark text is unreadable on strong colour
            spans.append(
                f'<span class="tok" style="background-color: rgba({rgb}, {alpha:.3f}){ink}" '
                f'title="{esc(format(v, "+.4g"))}">{esc(tok)}</span>'
            )
        out = [f'<figure><div class="tokens">{esc(sep).join(spans)}</div>']
        if caption is not None:
            out.append(f"<figcaption>{esc(caption)}</figcaption>")
        out.append("</figure>")
        self._blocks.append("".join(out))

    def json_block(self, obj: Any, summary: str = "raw JSON") -> None:
        """``obj`` as indented JSON in a collapsed ``<details>`` (NaN/Inf become null).

        Example:
            >>> r = Report("j")
            >>> r.json_block({"loss": float("nan"), "tag": "<x>"})
            >>> '"tag": "&lt;x&gt;"' in r.html(), '"loss": null' in r.html()
            (True, True)
        """
        text = json.dumps(json_safe(obj), indent=2, ensure_ascii=False, default=json_default)
        # element text: escaping < > & is enough, and the quotes stay readable in the source
        self._blocks.append(
            f"<details><summary>{esc(summary)}</summary><pre>{_html.escape(text, quote=False)}</pre></details>"
        )

    def _count_images(self) -> int:
        return sum(block.count("<img ") for block in self._blocks)

    def html(self) -> str:
        """The whole page as one string: no external resource of any kind."""
        body = "\n".join(self._blocks)
        return (
            "<!doctype html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(self.title)}</title>\n<style>{STYLE}</style>\n</head>\n"
            f"<body>\n<h1>{esc(self.title)}</h1>\n<main>\n{body}\n</main>\n"
            f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
        )

    def write(self, path: str | Path) -> Path:
        """Write the page to ``path`` atomically (temporary file beside it, then a rename).

        Folders are created; an existing file is replaced whole or not at all.

        Example:
            >>> import tempfile, pathlib
            >>> out = Report("w").write(pathlib.Path(tempfile.mkdtemp()) / "sub" / "report.html")
            >>> out.name, out.read_text(encoding="utf-8").startswith("<!doctype html>")
            ('report.html', True)
        """
        path = Path(path)
        atomic_write_text(path, self.html())
        return path
