"""House style for every figure: large type for the back row, labelled axes, one palette."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# Set once: a per-figure ``template=`` deep-copies the template (~20 ms a figure, per redraw).
pio.templates.default = "plotly_white"

FONT_SIZE = 16
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
BASELINE_COLOURS = ("#7f7f7f", "#bcbd22", "#17becf", "#8c564b", "#e377c2")


def styled(fig: go.Figure, *, title: str, x: str, y: str, height: int = 440) -> go.Figure:
    """Apply the house layout: a title, axis titles, large fonts, a legend under the plot."""
    fig.update_layout(
        title=dict(text=title, font=dict(size=FONT_SIZE + 4), x=0, xanchor="left"),
        font=dict(size=FONT_SIZE),
        height=height,
        margin=dict(l=80, r=20, t=60, b=40),
        legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0),
        hovermode="x unified",
    )
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=y)
    return fig


def check_same_length(**arrays) -> int:
    """Raise ValueError naming the lengths when parallel arrays disagree; return the length."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise ValueError(f"arrays must have the same length: {detail}")
    return next(iter(lengths.values()), 0)


def log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 tick values covering [lo, hi] for a log axis (plotly's own minor labels are cryptic)."""
    import math

    if not (lo > 0 and hi > 0 and math.isfinite(lo) and math.isfinite(hi)):
        return []
    lo, hi = min(lo, hi), max(lo, hi)
    ticks, decade = [], 10.0 ** math.floor(math.log10(lo))
    while decade <= hi * 10:
        ticks += [m * decade for m in (1, 2, 5) if lo / 1.5 <= m * decade <= hi * 1.5]
        decade *= 10
    return ticks


def log_axis(fig: go.Figure, values, axis: str = "y") -> go.Figure:
    """Log scale with readable 1-2-5 ticks for the finite positive ``values``."""
    import numpy as np

    arr = np.asarray([v for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr) & (arr > 0)]
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    ticks = log_ticks(float(arr.min()), float(arr.max())) if arr.size else []
    update(type="log", tickvals=ticks or None, ticktext=[f"{t:g}" for t in ticks] or None)
    return fig
