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
                                  legend_names_px, styled_over_steps, typed_array, waiting_note,
                                  with_axis, with_waiting)
from seqviz.figures.training import no_steps_yet
from seqviz.figures.chart_text import finish, retitled
from seqviz.gradients.figures import wide_log_axis, wide_log_props
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
                                     mode="markers", name=label, meta="top",
                                     marker=dict(symbol="x", color=colour, size=9)))
            continue
        for s in steps:
            fig.add_vline(x=int(s), line=dict(color=colour, width=2, dash="dot"))
        if count:
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=label,
                                     meta="diverged",
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


def _x_end(runs: Mapping[str, tuple[Sequence[int], Sequence]]) -> int:
    """The last step drawn, and at least ``STEPS_SHOWN``: where the threshold line ends."""
    return max([STEPS_SHOWN] + [int(s[-1]) for s, _unused in runs.values() if len(s)])


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
                                 mode="markers", name=_("clipped steps"), meta="clipped",
                                 marker=dict(color="black", size=6)))
    x_end = _x_end(runs)
    if mode == "norm":
        fig.add_trace(go.Scatter(x=[0, x_end], y=[threshold] * 2, mode="lines",
                                 name=_("threshold ‖g‖ = {t}").format(t=f"{threshold:g}"),
                                 meta="to x_end",
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


# ---- refreshing a built figure with new data ----------------------------------------------
# A playing Clipping page draws both figures for every new snapshot. Built, they cost the server
# 8 ms (loss) and 19 ms (norms); refreshed from the built figure's dict, under 1 ms. A figure is
# built again when what the refresh keeps changes (divergences, threshold, clip mode, whether
# any step was clipped, language, type profile): ``seqviz.ui.gradients.clipping``. Tests check
# that a refresh equals a build.

def divergence_form(divergences: Mapping[str, Sequence[int]]) -> tuple:
    """What of the divergence marks a refresh keeps: the steps of runs drawn as verticals
    (few divergences); runs with many are marked along the top, which a refresh redraws."""
    return tuple((name, "top" if len(steps) > MAX_VLINES else tuple(int(s) for s in steps))
                 for name, steps in divergences.items())


def _encoded(values) -> object:
    """A trace array as ``to_dict()`` gives it: numpy arrays as plotly's typed-array spec."""
    return typed_array(values) if isinstance(values, np.ndarray) else values


def _has_x(trace: dict) -> bool:
    x = trace.get("x")
    return x is not None and (len(x) > 0 if isinstance(x, (list, np.ndarray)) else True)


def _refreshed_runs(spec: dict, runs: Mapping[str, tuple[Sequence[int], Sequence[float]]],
                    what: str, divergences: Mapping[str, Sequence[int]],
                    counts: Mapping[str, int] | None, values: list[float],
                    extra: dict[str, dict]) -> list | None:
    """The figure's traces with the runs' lines (the first traces, in order), the divergence
    marks (``_divergence_marks``: their counts, and the marks along the top of the largest of
    ``values`` and the lines' values, which are added to ``values``), and the traces named by
    ``meta`` in ``extra`` updated. None when a build would mark the divergences differently
    (another form, or a legend of another height)."""
    data = list(spec["data"])
    for i, (steps, ys) in enumerate(runs.values()):
        check_same_length(steps=steps, **{what: ys})
        ys = _positive(ys)
        values += [float(v) for v in ys if v is not None and math.isfinite(v)]
        data[i] = {**data[i], "x": _encoded(np.asarray(steps)), "y": _encoded(ys)}
    top = max(values, default=None)
    marks = []  # (kind, run, steps, count) as _divergence_marks adds them
    for name, steps in divergences.items():
        count = max(int((counts or {}).get(name, 0)), len(steps))
        if len(steps) > MAX_VLINES and top is not None:
            marks.append(("top", name, steps, count))
        elif count:
            marks.append(("diverged", name, steps, count))
    places = [i for i, t in enumerate(data) if t.get("meta") in ("top", "diverged")]
    if [data[i]["meta"] for i in places] != [kind for kind, *_rest in marks]:
        return None
    names = _legend_names(data)
    for i, (kind, name, steps, count) in zip(places, marks):
        data[i] = {**data[i], "name": diverged_label(name, count)}
        if kind == "top":
            data[i].update(x=_encoded(np.asarray(steps)), y=_encoded(np.full(len(steps), top)))
    if legend_names_px(_legend_names(data)) != legend_names_px(names):
        return None  # the legend under the plot takes another height: a build
    for i, trace in enumerate(data):
        if trace.get("meta") in extra:
            data[i] = {**trace, **extra[trace["meta"]]}
    return data


def _legend_names(data: list[dict]) -> list[str]:
    return [t["name"] for t in data if t.get("name") and t.get("showlegend") is not False]


def _refreshed_layout(layout: dict, data: list, empty: bool, axis: dict) -> dict:
    """The layout of a refreshed figure: the "press Play" note when no run has a step, the
    empty figure's step range when no trace has x (``styled``), and the log axis."""
    layout = with_waiting(layout, no_steps_yet() if empty else None)
    xaxis = {k: v for k, v in layout.get("xaxis", {}).items() if k != "range"}
    if not any(_has_x(t) for t in data):
        xaxis["range"] = [-0.5, STEPS_SHOWN]
    return with_axis({**layout, "xaxis": xaxis}, axis)


def refresh_two_loss(spec: dict, runs: Mapping[str, tuple[Sequence[int], Sequence[float]]], *,
                     divergences: Mapping[str, Sequence[int]] | None = None,
                     counts: Mapping[str, int] | None = None) -> dict | None:
    """``two_loss_figure(runs, ...).to_dict()`` from one built with the same title and the
    same divergences drawn as verticals (``divergence_form``); None when it cannot be
    refreshed (build it)."""
    values: list[float] = []
    data = _refreshed_runs(spec, runs, "loss", divergences or {}, counts, values, {})
    if data is None:
        return None
    empty = not any(len(steps) for steps, _unused in runs.values())
    axis = wide_log_props(values) if values else {}
    return {**spec, "data": data, "layout": _refreshed_layout(spec["layout"], data, empty, axis)}


def refresh_clip_norm(spec: dict, runs: Mapping[str, tuple[Sequence[int], Sequence[float]]], *,
                      threshold: float,
                      clipped: tuple[Sequence[int], Sequence[float]] | None = None,
                      divergences: Mapping[str, Sequence[int]] | None = None,
                      counts: Mapping[str, int] | None = None,
                      title: str | None = None) -> dict | None:
    """``clip_norm_figure(runs, ...).to_dict()`` from one built with the same threshold and
    mode, the same divergences drawn as verticals (``divergence_form``), and clipped steps or
    none alike; None when it cannot be refreshed (e.g. the new title wraps to another number
    of lines, or clipped steps appear or go)."""
    has_clipped = clipped is not None and len(clipped[0]) > 0
    if has_clipped != any(t.get("meta") == "clipped" for t in spec["data"]):
        return None
    extra = {"to x_end": {"x": [0, _x_end(runs)]}}
    if has_clipped:
        check_same_length(steps=clipped[0], norms=clipped[1])
        extra["clipped"] = {"x": _encoded(np.asarray(clipped[0])),
                            "y": _encoded(_positive_array(clipped[1]))}
    values = [threshold]
    data = _refreshed_runs(spec, runs, "norms", divergences or {}, counts, values, extra)
    layout = retitled(spec["layout"], title or _("Gradient norm before clipping"))
    if data is None or layout is None:
        return None
    empty = not any(len(steps) for steps, _unused in runs.values())
    axis = wide_log_props(values)
    return {**spec, "data": data, "layout": _refreshed_layout(layout, data, empty, axis)}


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
