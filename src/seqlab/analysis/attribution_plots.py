"""Figures of attributions over time, drawn on bare matplotlib Figures (no pyplot state).

A univariate input reads best as two lines over the same time axis: the input above, the
attribution of each step below it (red where the step raises the explained output, blue where
it lowers it). A matrix of numbers would print one per step; at 96 steps they overprint.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

RAISES, LOWERS = "#dc2626", "#2563eb"


def series_attribution(values, attributions, *, feature: str = "value", title: str = "",
                       saliency=None) -> Figure:
    """The input over time above its integrated gradients per step (and saliency, if given).

    Args:
        values: (T,) the input as the network read it (standardised).
        attributions: (T,) integrated gradients of the explained output per step.
        feature: the input's name, for the upper axis.
        saliency: (T,) |dF/dx_t|, drawn as a thin grey line on its own scale.

    Example:
        >>> fig = series_attribution(np.sin(np.arange(96) / 8), np.cos(np.arange(96) / 8) / 10)
        >>> [ax.get_ylabel() for ax in fig.axes[:2]]
        ['value', 'attribution']
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)  # (T,)
    a = np.asarray(attributions, dtype=np.float64).reshape(-1)  # (T,)
    steps = np.arange(len(v))
    fig = Figure(figsize=(9, 4.4))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1.2, 1]})
    top.plot(steps, v, color="#1f2328", lw=1.4)
    top.set_ylabel(feature)
    top.grid(True, alpha=0.3)
    if title:
        top.set_title(title)
    bottom.axhline(0.0, color="#57606a", lw=0.8)
    bottom.fill_between(steps, 0.0, a, where=a >= 0, color=RAISES, alpha=0.35, step="mid", interpolate=False)
    bottom.fill_between(steps, 0.0, a, where=a < 0, color=LOWERS, alpha=0.35, step="mid", interpolate=False)
    bottom.plot(steps, a, color="#1f2328", lw=0.9, drawstyle="steps-mid")
    bottom.set_ylabel("attribution")
    bottom.set_xlabel("time step")
    bottom.grid(True, alpha=0.3)
    if saliency is not None:
        twin = bottom.twinx()
        twin.plot(steps, np.asarray(saliency, dtype=np.float64).reshape(-1), color="#8c959f", lw=0.8, ls=":")
        twin.set_ylabel("saliency", color="#8c959f")
    fig.tight_layout()
    return fig
