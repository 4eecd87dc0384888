"""The report page's fixed parts: its style sheet, its one script and the Content-Security-Policy
that lets it fetch nothing, and how a table cell shows a value (:mod:`seqlab.analysis.report`)."""

from __future__ import annotations

import base64
import hashlib
import html
import numbers
from typing import Any

import numpy as np

#: Shown in a table cell whose value is None.
MISSING = "—"
#: A heatmap prints each cell's value only up to this many rows and columns (wider cells overprint).
ANNOTATE_MAX = 12

# After load: how many <img> there are and how many decoded (complete, with a natural width).
SCRIPT = (
    'window.addEventListener("load", function () {'
    " var imgs = Array.prototype.slice.call(document.images);"
    " var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;"
    ' document.body.setAttribute("data-images", String(imgs.length));'
    ' document.body.setAttribute("data-images-ok", String(ok));'
    " });"
)
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
# Nothing may be fetched; only our own script (by hash), inline style and data: images run.
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    f"script-src 'sha256-{SCRIPT_HASH}'; base-uri 'none'; form-action 'none'"
)

STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: #1f2328; background: #ffffff; line-height: 1.5;
       max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 1.9em; border-bottom: 2px solid #d0d7de; padding-bottom: .25em; }
h2 { font-size: 1.4em; border-bottom: 1px solid #d8dee4; padding-bottom: .2em; margin-top: 1.8em; }
h3, h4, h5, h6 { margin-top: 1.4em; }
table { border-collapse: collapse; margin: 1em 0; font-size: .95em; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: .3em 0; }
th, td { border: 1px solid #d0d7de; padding: .35em .75em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
tbody tr:nth-child(even) { background: #fafbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.leaderboard tbody tr:first-child { background: #fff8c5; font-weight: 600; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { color: #57606a; font-size: .9em; margin-top: .4em; }
.tokens { line-height: 2.1; padding: .6em .8em; border: 1px solid #d0d7de; border-radius: 6px; }
.tok { padding: .1em .15em; border-radius: 3px; white-space: pre-wrap; }
details { margin: 1em 0; }
summary { cursor: pointer; color: #0969da; }
pre { background: #f6f8fa; padding: 1em; overflow-x: auto; border-radius: 6px; font-size: .85em; }
"""


def esc(text: Any) -> str:
    """``str(text)`` HTML-escaped, quotes included (safe in text and in attribute values)."""
    return html.escape(str(text), quote=True)


def format_value(value: Any) -> str:
    """A table cell as text: floats to 4 significant digits, None as a dash, the rest as str.

    Example:
        >>> [format_value(v) for v in (None, 3, 2.0, 0.000123456, 123456.7, float("nan"), "a")]
        ['—', '3', '2', '0.0001235', '1.235e+05', 'nan', 'a']
    """
    if value is None:
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return format(float(value), ".4g")
    return str(value)


def annotated(rows: int, cols: int) -> bool:
    """Whether a heatmap of ``rows`` x ``cols`` cells has room to print a value in each.

    Example:
        >>> annotated(6, 8), annotated(1, 96), annotated(7, 96)
        (True, False, False)
    """
    return rows <= ANNOTATE_MAX and cols <= ANNOTATE_MAX


def is_number(value: Any) -> bool:
    return value is None or (
        isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    )


def json_default(obj: Any) -> Any:
    """numpy arrays and scalars as plain lists and numbers; anything else as its str."""
    if hasattr(obj, "tolist"):
        return json_safe(obj.tolist())  # NaN inside an array becomes null too
    return str(obj)
