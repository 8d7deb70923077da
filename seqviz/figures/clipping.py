"""Clipping figures: two runs side by side, gradient norms against the threshold, the cliff.

Pure builders (arrays and labels in, ``go.Figure`` out; no torch). The cliff figure draws the
loss surface of a one-unit RNN as a contour of log10 loss with gradient-descent paths on top,
after Pascanu, Mikolov and Bengio (2013), figure 6: without clipping a step that lands on the
wall is thrown far away; with clipping it stays short.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.gradients import wide_log_axis
from seqviz.figures.style import PALETTE, check_same_length, styled

RUN_COLOURS = {"without clipping": PALETTE[1], "with clipping": PALETTE[0]}
Z_FLOOR = -3.0  # log10 loss below this is drawn as the floor


def _colour(name: str, i: int) -> str:
    """Red without clipping, blue with it, wherever the name starts so."""
    for key, colour in RUN_COLOURS.items():
        if name.startswith(key):
            return colour
    return PALETTE[i % len(PALETTE)]


def _positive(values) -> list:
    return [float(v) if math.isfinite(v) and v > 0 else None for v in values]


def _run_lines(fig: go.Figure, runs: Mapping[str, tuple[Sequence[int], Sequence[float]]],
               what: str, back_opacity: float) -> list[float]:
    """One log-axis line per run (the first one wide and faint, behind); returns the positive
    finite values drawn, for the axis range."""
    values = []
    for i, (name, (steps, ys)) in enumerate(runs.items()):
        check_same_length(steps=steps, **{what: ys})
        ys = _positive(ys)
        values += [v for v in ys if v is not None]
        fig.add_trace(go.Scatter(x=list(steps), y=ys, mode="lines", name=name,
                                 line=dict(color=_colour(name, i), width=3 if i else 5),
                                 opacity=1.0 if i else back_opacity))
    return values


MAX_VLINES = 15  # beyond this many events, marks along the top instead of vertical lines


def _divergence_marks(fig: go.Figure, divergences: Mapping[str, Sequence[int]],
                      top: float | None = None) -> None:
    for i, (name, steps) in enumerate(divergences.items()):
        colour = _colour(name, i)
        if len(steps) > MAX_VLINES and top is not None:
            fig.add_trace(go.Scatter(x=list(steps), y=[top] * len(steps), mode="markers",
                                     name=f"{name}: diverged ×{len(steps)} (weights restored)",
                                     marker=dict(symbol="x", color=colour, size=9)))
            continue
        for s in steps:
            fig.add_vline(x=int(s), line=dict(color=colour, width=2, dash="dot"))
        if len(steps):
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines",
                                     name=f"{name}: diverged ×{len(steps)} (weights restored)",
                                     line=dict(color=colour, dash="dot", width=2)))


def two_loss_figure(runs: Mapping[str, tuple[Sequence[int], Sequence[float]]], *,
                    divergences: Mapping[str, Sequence[int]] | None = None,
                    title: str = "Training loss, same weights and batches") -> go.Figure:
    """One loss curve per run (log axis); dotted verticals where a run diverged."""
    fig = go.Figure()
    values = _run_lines(fig, runs, "loss", 0.6)
    _divergence_marks(fig, divergences or {}, max(values, default=None))
    fig = styled(fig, title=title, x="training step", y="loss (log)", height=420)
    return wide_log_axis(fig, values) if values else fig


def clip_norm_figure(runs: Mapping[str, tuple[Sequence[int], Sequence[float]]], *,
                     threshold: float, mode: str = "norm",
                     clipped: tuple[Sequence[int], Sequence[float]] | None = None,
                     divergences: Mapping[str, Sequence[int]] | None = None,
                     title: str = "Gradient norm before clipping") -> go.Figure:
    """Global gradient norm per step for each run (log axis) and the threshold.

    ``clipped`` = (steps, norms) of the steps the clipped run actually clipped (drawn as dots).
    In "value" mode the threshold bounds each entry, not the norm: it is named, not drawn.
    """
    fig = go.Figure()
    values = [threshold] + _run_lines(fig, runs, "norms", 0.5)
    if clipped is not None and len(clipped[0]):
        check_same_length(steps=clipped[0], norms=clipped[1])
        fig.add_trace(go.Scatter(x=list(clipped[0]), y=_positive(clipped[1]), mode="markers",
                                 name="clipped steps", marker=dict(color="black", size=6)))
    x_end = max([1] + [int(s[-1]) for s, _ in runs.values() if len(s)])
    if mode == "norm":
        fig.add_trace(go.Scatter(x=[0, x_end], y=[threshold] * 2, mode="lines",
                                 name=f"threshold ‖g‖ = {threshold:g}",
                                 line=dict(color="black", dash="dash", width=2)))
        sub = "<br><sup>above the dashed line the clipped run rescales its gradient</sup>"
    else:
        sub = (f"<br><sup>clipping by value: each entry is clamped to ±{threshold:g} "
               "(no norm threshold to draw)</sup>")
    _divergence_marks(fig, divergences or {}, max(values))
    fig = styled(fig, title=title + sub, x="training step", y="‖g‖ over all parameters (log)",
                 height=420)
    fig.update_layout(margin=dict(t=90))
    return wide_log_axis(fig, values)


def cliff_figure(ws: Sequence[float], bs: Sequence[float], loss: np.ndarray, *,
                 paths: Mapping[str, tuple[Sequence[float], Sequence[float]]],
                 wall: tuple[Sequence[float], Sequence[float]] | None = None,
                 title: str = "The cliff: loss of a one-unit RNN over (w, b)") -> go.Figure:
    """Contour of log10 loss (n_b, n_w) with descent paths; a path leaving the plot is cut
    where it leaves, and its far end is named in the legend."""
    loss = np.asarray(loss, dtype=float)
    if loss.shape != (len(bs), len(ws)):
        raise ValueError(f"loss has shape {loss.shape} but bs has {len(bs)} and ws has "
                         f"{len(ws)} entries (need (len(bs), len(ws)))")
    z = np.log10(np.clip(loss, 10.0 ** Z_FLOOR, None))  # the valley floor would eat the scale
    fig = go.Figure(go.Contour(
        x=list(ws), y=list(bs), z=z, colorscale="Viridis", ncontours=24, zmin=Z_FLOOR,
        contours=dict(showlines=True), line=dict(width=0.5, color="rgba(255,255,255,0.4)"),
        colorbar=dict(title=dict(text="log10 loss")),
        hovertemplate="w=%{x:.2f}<br>b=%{y:.2f}<br>log10 L=%{z:.2f}<extra></extra>"))
    if wall is not None:
        fig.add_trace(go.Scatter(x=list(wall[0]), y=list(wall[1]), mode="lines",
                                 name="the wall (attractor flips)",
                                 line=dict(color="#ff7f0e", width=2, dash="dot")))
    box = (min(ws), max(ws), min(bs), max(bs))
    for i, (name, (pw, pb)) in enumerate(paths.items()):
        check_same_length(w=pw, b=pb)
        pw, pb = np.asarray(pw, dtype=float), np.asarray(pb, dtype=float)
        inside = (pw >= box[0]) & (pw <= box[1]) & (pb >= box[2]) & (pb <= box[3])
        leave = int(np.argmin(inside)) if not inside.all() else len(pw)
        label = name
        if leave < len(pw):
            label += f" — thrown to (w, b) = ({pw[-1]:.3g}, {pb[-1]:.3g}), off the plot"
        colour = _colour(name, i)
        fig.add_trace(go.Scatter(x=pw[:leave + 1], y=pb[:leave + 1], mode="lines+markers",
                                 name=label, line=dict(color=colour, width=3),
                                 marker=dict(size=7, color=colour), cliponaxis=True))
    if paths:
        first = next(iter(paths.values()))
        fig.add_trace(go.Scatter(x=[first[0][0]], y=[first[1][0]], mode="markers", name="start",
                                 marker=dict(symbol="star", size=18, color="gold",
                                             line=dict(color="black", width=1))))
    fig = styled(fig, title=title, x="recurrent weight w", y="bias b", height=560)
    fig.update_xaxes(range=[box[0], box[1]])
    fig.update_yaxes(range=[box[2], box[3]])
    fig.update_layout(hovermode="closest", legend=dict(y=-0.16))
    return fig
