"""House style for every figure: large type for the back row, labelled axes, one palette."""

from __future__ import annotations

import plotly.graph_objects as go

FONT_SIZE = 16
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
BASELINE_COLOURS = ("#7f7f7f", "#bcbd22", "#17becf", "#8c564b", "#e377c2")


def styled(fig: go.Figure, *, title: str, x: str, y: str, height: int = 380) -> go.Figure:
    """Apply the house layout: a title, axis titles, large fonts, a legend above the plot."""
    fig.update_layout(
        title=dict(text=title, font=dict(size=FONT_SIZE + 4)),
        font=dict(size=FONT_SIZE),
        height=height,
        margin=dict(l=70, r=20, t=90, b=60),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
        template="plotly_white",
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
