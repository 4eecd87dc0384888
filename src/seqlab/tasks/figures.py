"""Writing figures as PNG files, shared by every task's plots.

Figures are drawn on a bare ``matplotlib.figure.Figure`` with the Agg canvas, so nothing touches
pyplot's global state or opens a window, and rendering works in threads and on servers. Each PNG
is rendered to memory and written with ``atomic_write_bytes``: a crash leaves either the old file
or the new one, never half a picture.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from seqlab.errors import ConfigError
from seqlab.models.io import atomic_write_bytes


def png_path(path: str | Path) -> Path:
    """``path`` as a Path; anything not ending in .png is a ConfigError."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ConfigError(f"{path}: plots are written as PNG; give a path ending in .png")
    return path


def save_png(fig: Figure, path: Path) -> Path:
    """Render ``fig`` and write it to ``path`` atomically."""
    FigureCanvasAgg(fig)  # attaches itself to fig
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    atomic_write_bytes(path, buf.getvalue())
    return path
