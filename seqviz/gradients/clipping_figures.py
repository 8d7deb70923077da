"""Clipping figures: two runs side by side, gradient norms against the threshold, the cliff.

Pure builders (arrays and labels in, ``go.Figure`` out; no torch). The cliff figure draws the
loss surface of a one-unit RNN as a contour of log10 loss with gradient-descent paths on top,
after Pascanu, Mikolov and Bengio (2013), figure 6: without clipping a step that lands on the
wall is thrown far away; with clipping it stays short.

Runs are keyed by their names in ``seqviz.gradients.clipping.RUNS`` ("without clipping", "with
clipping"), which pick their colours; the legend shows them translated.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import (PALETTE, STEPS_SHOWN, check_same_length, profile, styled,
                                  styled_over_steps, waiting_note)
from seqviz.figures.training import no_steps_yet
from seqviz.figures.chart_text import finish
from seqviz.gradients.figures import wide_log_axis
from seqviz.i18n import _

RUN_COLOURS = {"without clipping": PALETTE[1], "with clipping": PALETTE[0]}
Z_FLOOR = -3.0  # log10 loss below this is drawn as the floor
CLIFF_WIDTH = {"normal": 620, "present": 900}  # px: the cliff takes 3/4 of a row, or all of it


def _colour(name: str, i: int) -> str:
    """Red without clipping, blue with it; other names take the palette in turn."""
    return RUN_COLOURS.get(name, PALETTE[i % len(PALETTE)])


LIST_BELOW = 200  # points; a longer line goes to plotly as one float array, not a list


def _positive(values) -> list | np.ndarray:
    """Positive finite values for a log axis, gaps elsewhere: None in a list for a short line,
    NaN in a float array for a long one (plotly checks a list element by element: 2000 points
    of two runs in two figures would double what a live redraw costs)."""
    if len(values) < LIST_BELOW:
        return [float(v) if math.isfinite(v) and v > 0 else None for v in values]
    return _positive_array(values)


def _positive_array(values) -> np.ndarray:
    """Positive finite values, NaN (a gap) elsewhere, as one float array."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(v) & (v > 0), v, np.nan)


def _run_lines(fig: go.Figure, runs: Mapping[str, tuple[Sequence[int], Sequence[float]]],
               what: str, back_opacity: float) -> list[float]:
    """One log-axis line per run (the first one wide and faint, behind); returns the positive
    finite values drawn, for the axis range."""
    values = []
    for i, (name, (steps, ys)) in enumerate(runs.items()):
        check_same_length(steps=steps, **{what: ys})
        ys = _positive(ys)
        values += [float(v) for v in ys if v is not None and math.isfinite(v)]
        fig.add_trace(go.Scatter(x=np.asarray(steps), y=ys, mode="lines", name=_(name),
                                 line=dict(color=_colour(name, i), width=3 if i else 5),
                                 opacity=1.0 if i else back_opacity))
    return values


MAX_VLINES = 15  # beyond this many events, marks along the top instead of vertical lines


def diverged_label(name: str, count: int) -> str:
    """The legend entry of a run's divergences; the page's banner says the same words."""
    return _("{run}: diverged {n}× (weights restored)").format(run=_(name), n=f"{count:,}")


def _divergence_marks(fig: go.Figure, divergences: Mapping[str, Sequence[int]],
                      top: float | None = None,
                      counts: Mapping[str, int] | None = None) -> None:
    """Dotted verticals (or marks along the top) where a run diverged; its legend entry gives
    ``counts[name]``, every divergence of the run, which can be more than the steps drawn
    (the history keeps the last steps only)."""
    for i, (name, steps) in enumerate(divergences.items()):
        colour = _colour(name, i)
        count = max(int((counts or {}).get(name, 0)), len(steps))
        label = diverged_label(name, count)
        if len(steps) > MAX_VLINES and top is not None:
            fig.add_trace(go.Scatter(x=np.asarray(steps), y=np.full(len(steps), top),
                                     mode="markers", name=label,
                                     marker=dict(symbol="x", color=colour, size=9)))
            continue
        for s in steps:
            fig.add_vline(x=int(s), line=dict(color=colour, width=2, dash="dot"))
        if count:
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=label,
                                     line=dict(color=colour, dash="dot", width=2)))


def two_loss_figure(runs: Mapping[str, tuple[Sequence[int], Sequence[float]]], *,
                    divergences: Mapping[str, Sequence[int]] | None = None,
                    counts: Mapping[str, int] | None = None,
                    title: str | None = None) -> go.Figure:
    """One loss curve per run (log axis); dotted verticals where a run diverged (``counts``:
    each run's divergences in all, for the legend)."""
    fig = go.Figure()
    values = _run_lines(fig, runs, "loss", 0.6)
    _divergence_marks(fig, divergences or {}, max(values, default=None), counts)
    title = title or _("Training loss, same weights and batches")
    fig = styled_over_steps(fig, title=title, y=_("loss (log)"), height=400)
    fig = finish(fig, title)
    _say_if_empty(fig, runs)
    return wide_log_axis(fig, values) if values else fig


def _say_if_empty(fig: go.Figure, runs: Mapping[str, tuple[Sequence[int], Sequence]]) -> None:
    """Before the first step the curves are empty: say so instead of a blank plot."""
    if not any(len(steps) for steps, _unused in runs.values()):
        waiting_note(fig, no_steps_yet())


def clip_norm_figure(runs: Mapping[str, tuple[Sequence[int], Sequence[float]]], *,
                     threshold: float, mode: str = "norm",
                     clipped: tuple[Sequence[int], Sequence[float]] | None = None,
                     divergences: Mapping[str, Sequence[int]] | None = None,
                     counts: Mapping[str, int] | None = None,
                     title: str | None = None) -> go.Figure:
    """Global gradient norm per step for each run (log axis) and the threshold.

    ``clipped`` = (steps, norms) of the steps the clipped run actually clipped (drawn as dots).
    In "value" mode the threshold bounds each entry, not the norm: it is named, not drawn.
    """
    fig = go.Figure()
    values = [threshold] + _run_lines(fig, runs, "norms", 0.5)
    if clipped is not None and len(clipped[0]):
        check_same_length(steps=clipped[0], norms=clipped[1])
        fig.add_trace(go.Scatter(x=np.asarray(clipped[0]), y=_positive_array(clipped[1]),
                                 mode="markers", name=_("clipped steps"),
                                 marker=dict(color="black", size=6)))
    x_end = max([STEPS_SHOWN] + [int(s[-1]) for s, _unused in runs.values() if len(s)])
    if mode == "norm":
        fig.add_trace(go.Scatter(x=[0, x_end], y=[threshold] * 2, mode="lines",
                                 name=_("threshold ‖g‖ = {t}").format(t=f"{threshold:g}"),
                                 line=dict(color="black", dash="dash", width=2)))
        note = _("above the dashed line the clipped run rescales its gradient")
    else:
        note = _("clipping by value: each entry is clamped to ±{t} (no norm threshold to "
                 "draw)").format(t=f"{threshold:g}")
    _divergence_marks(fig, divergences or {}, max(values), counts)
    title = title or _("Gradient norm before clipping")
    fig = styled_over_steps(fig, title=title, y=_("‖g‖, all parameters (log)"), height=400)
    fig = finish(fig, title, [note])
    _say_if_empty(fig, runs)
    return wide_log_axis(fig, values)


def cliff_figure(ws: Sequence[float], bs: Sequence[float], loss: np.ndarray, *,
                 paths: Mapping[str, tuple[Sequence[float], Sequence[float]]],
                 labels: Mapping[str, str] | None = None,
                 wall: tuple[Sequence[float], Sequence[float]] | None = None,
                 title: str | None = None) -> go.Figure:
    """Contour of log10 loss (n_b, n_w) with descent paths (keyed by run name; ``labels``:
    their legend text, default the translated name); a path leaving the plot is cut where it
    leaves, and its far end is named in the legend."""
    loss = np.asarray(loss, dtype=float)
    if loss.shape != (len(bs), len(ws)):
        raise ValueError(f"loss has shape {loss.shape} but bs has {len(bs)} and ws has "
                         f"{len(ws)} entries (need (len(bs), len(ws)))")
    z = np.log10(np.clip(loss, 10.0 ** Z_FLOOR, None))  # the valley floor would eat the scale
    fig = go.Figure(go.Contour(
        x=list(ws), y=list(bs), z=z, colorscale="Viridis", ncontours=24, zmin=Z_FLOOR,
        contours=dict(showlines=True), line=dict(width=0.5, color="rgba(255,255,255,0.4)"),
        colorbar=dict(title=dict(text=_("log10 loss"))),
        hovertemplate="w=%{x:.2f}<br>b=%{y:.2f}<br>log10 L=%{z:.2f}<extra></extra>"))
    if wall is not None:
        fig.add_trace(go.Scatter(x=list(wall[0]), y=list(wall[1]), mode="lines",
                                 name=_("the wall (attractor flips)"),
                                 line=dict(color="#ff7f0e", width=2, dash="dot")))
    box = (min(ws), max(ws), min(bs), max(bs))
    for i, (name, (pw, pb)) in enumerate(paths.items()):
        check_same_length(w=pw, b=pb)
        pw, pb = np.asarray(pw, dtype=float), np.asarray(pb, dtype=float)
        inside = (pw >= box[0]) & (pw <= box[1]) & (pb >= box[2]) & (pb <= box[3])
        leave = int(np.argmin(inside)) if not inside.all() else len(pw)
        label = (labels or {}).get(name) or _(name)
        if leave < len(pw):
            label = _("{run}: thrown to (w, b) = ({w}, {b}), off the plot").format(
                run=label, w=f"{pw[-1]:.3g}", b=f"{pb[-1]:.3g}")
        colour = _colour(name, i)
        fig.add_trace(go.Scatter(x=pw[:leave + 1], y=pb[:leave + 1], mode="lines+markers",
                                 name=label, line=dict(color=colour, width=3),
                                 marker=dict(size=7, color=colour), cliponaxis=True))
    if paths:
        first = next(iter(paths.values()))
        fig.add_trace(go.Scatter(x=[first[0][0]], y=[first[1][0]], mode="markers",
                                 name=_("start"),
                                 marker=dict(symbol="star", size=18, color="gold",
                                             line=dict(color="black", width=1))))
    title = title or _("The cliff: loss of a one-unit RNN over (w, b)")
    fig = styled(fig, title=title, x=_("recurrent weight w"), y=_("bias b"), height=520)
    fig.update_xaxes(range=[box[0], box[1]])
    fig.update_yaxes(range=[box[2], box[3]])
    fig.update_layout(hovermode="closest")
    return finish(fig, title, width=CLIFF_WIDTH[profile().name])
