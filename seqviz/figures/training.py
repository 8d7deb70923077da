"""Training curves: loss, validation perplexity against n-gram baselines, gradient norms.

Pure builders: arrays and labels in, ``go.Figure`` out. Baselines are drawn as dashed
horizontal lines with their value in the legend, so "is the RNN better than a trigram yet?"
can be read off at a glance.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import (BASELINE_COLOURS, PALETTE, STEPS_SHOWN, check_same_length,
                                  log_axis, log_props, styled_over_steps, typed_array,
                                  waiting_note, with_axis, with_waiting)
from seqviz.i18n import _


def no_steps_yet() -> str:
    """The note an empty training curve carries."""
    return _("No training step yet: press ▶ Play or ⏭ Step.")


def ema(values: Sequence[float], beta: float = 0.9) -> np.ndarray:
    """Bias-corrected exponential moving average, skipping non-finite values."""
    out, avg, weight = np.empty(len(values)), 0.0, 0.0
    for i, v in enumerate(np.asarray(values, dtype=float).tolist()):
        if math.isfinite(v):
            avg, weight = beta * avg + (1 - beta) * v, beta * weight + (1 - beta)
        out[i] = avg / weight if weight > 0 else math.nan
    return out


def _arr(values: Sequence[float]) -> np.ndarray:
    """Plotly sends numpy arrays as base64; lists are checked and written element by element
    (about 10x slower to build and serialise for a 2,000-step curve)."""
    return np.asarray(values, dtype=float)


def _baseline_lines(fig: go.Figure, baselines: Sequence[tuple[str, float]], x_end: float,
                    transform=lambda v: v, highlight: int | None = None) -> None:
    """Dashed lines; the one at index ``highlight`` (the n-gram of the model's own order) is
    drawn thick and dash-dotted and its legend entry says so."""
    for i, (name, value) in enumerate(baselines):
        label = f"{name}: {value:.2f}" if value < 1000 else f"{name}: {value:.0f}"
        if i == highlight:
            label = _("{line} ← same n").format(line=label)
        fig.add_trace(go.Scatter(
            x=[0, x_end], y=[transform(value)] * 2, mode="lines", name=label,
            line=dict(dash="dashdot" if i == highlight else "dash",
                      width=5 if i == highlight else 2,
                      color=BASELINE_COLOURS[i % len(BASELINE_COLOURS)]),
            hovertemplate=f"{name}<extra></extra>", meta="to x_end"))


def _divergence_marks(fig: go.Figure, steps: Sequence[int]) -> None:
    """A dotted red vertical at each step where the run diverged (one per step: a rewinding run
    can diverge at the same step again), set at once: ``add_vline`` re-validates every shape so
    far on each call, so 100 divergences took 2 s and 300 took 18 s of the page's rerun."""
    line = dict(color="red", width=1, dash="dot")
    fig.update_layout(shapes=[*fig.layout.shapes, *(
        dict(type="line", xref="x", yref="y domain", x0=s, x1=s, y0=0, y1=1, line=line)
        for s in sorted({int(s) for s in steps}))])
    if steps:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines",
                                 name=_("divergence (restored)"),
                                 line=dict(color="red", dash="dot")))


def _clear_of(levels: Sequence[float]) -> dict:
    """Where a waiting note covers none of the chart's dashed lines (``levels``, in the y axis'
    units): the middle of the widest gap between two of them when that gap is a fifth of their
    span or more (lines alone leave no room above or below them), the top of a lone line's axis;
    else the middle."""
    ys = sorted({float(v) for v in levels if math.isfinite(v)})
    if len(ys) == 1:
        return dict(y=0.85)
    if len(ys) >= 2:
        gap, mid = max((b - a, (a + b) / 2) for a, b in zip(ys, ys[1:]))
        if gap >= 0.2 * (ys[-1] - ys[0]):
            return dict(y=mid, yref="y")
    return {}


def loss_figure(steps: Sequence[int], losses: Sequence[float], *,
                baselines: Sequence[tuple[str, float]] = (), divergences: Sequence[int] = (),
                title: str | None = None) -> go.Figure:
    """Cross-entropy per step (raw and smoothed); baselines given as perplexities, drawn in nats."""
    check_same_length(steps=steps, losses=losses)
    fig = go.Figure()
    xs = _arr(steps)
    fig.add_trace(go.Scatter(x=xs, y=_arr(losses), mode="lines", name=_("loss per step"),
                             line=dict(color=PALETTE[0], width=1), opacity=0.35))
    fig.add_trace(go.Scatter(x=xs, y=ema(losses), mode="lines", name=_("smoothed"),
                             line=dict(color=PALETTE[0], width=3)))
    x_end = max(steps[-1] if len(steps) else 0, STEPS_SHOWN)
    _baseline_lines(fig, baselines, x_end, transform=math.log)
    _divergence_marks(fig, list(divergences))
    if not len(steps):
        waiting_note(fig, no_steps_yet(), **_clear_of([math.log(v) for _n, v in baselines]))
    return styled_over_steps(fig, title=title or _("Training loss"),
                             y=_("cross-entropy (nats / token)"))


def perplexity_figure(steps: Sequence[int], perplexities: Sequence[float], *,
                      baselines: Sequence[tuple[str, float]] = (),
                      title: str | None = None, model: str = "RNN",
                      highlight: int | None = None) -> go.Figure:
    """Validation perplexity over training on a log axis, with n-gram baselines; ``model``
    names the curve (the cell: RNN, GRU or LSTM, or the feed-forward LM) and ``highlight`` is
    the index of the baseline of the model's own order (the feed-forward LM's n), if any."""
    check_same_length(steps=steps, perplexities=perplexities)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=_arr(steps), y=_arr(perplexities), mode="lines+markers",
                             name=_("{model} (validation)").format(model=model),
                             line=dict(color=PALETTE[1], width=3),
                             marker=dict(size=8)))
    x_end = max(steps[-1] if len(steps) else 0, STEPS_SHOWN)
    _baseline_lines(fig, baselines, x_end, highlight=highlight)
    fig = styled_over_steps(fig, title=title or _("Validation perplexity (lower is better)"),
                            y=_("perplexity (log scale)"))
    return log_axis(fig, np.concatenate([_arr(perplexities), _arr([v for _, v in baselines])]))


def grad_norm_figure(steps: Sequence[int], before: Sequence[float], after: Sequence[float], *,
                     threshold: float | None = None,
                     title: str | None = None) -> go.Figure:
    """Global gradient L2 norm before and after clipping, log axis, threshold dashed."""
    check_same_length(steps=steps, before=before, after=after)
    fig = go.Figure()
    xs = _arr(steps)
    fig.add_trace(go.Scatter(x=xs, y=_arr(before), mode="lines", name=_("before clipping"),
                             line=dict(color=PALETTE[3], width=5), opacity=0.45))
    fig.add_trace(go.Scatter(x=xs, y=_arr(after), mode="lines", name=_("after clipping"),
                             line=dict(color=PALETTE[2], width=2)))
    if threshold is not None:
        x_end = max(steps[-1] if len(steps) else 0, STEPS_SHOWN)
        fig.add_trace(go.Scatter(x=[0, x_end], y=[threshold, threshold], mode="lines",
                                 name=_("threshold {value}").format(value=f"{threshold:g}"),
                                 meta="to x_end",
                                 line=dict(color="black", dash="dash")))
    if not len(steps):
        waiting_note(fig, no_steps_yet())
    fig = styled_over_steps(fig, title=title or _("Gradient norm per step"),
                            y=_("‖g‖ over all parameters (log)"))
    return log_axis(fig, np.concatenate([_arr(before), _arr(after),
                                         _arr([threshold] if threshold else [])]))


# ---- refreshing a built figure with new data ---------------------------------------------------
# A live page draws the same figure with new numbers a few times a second. Building a plotly
# figure validates every property (5-10 ms a figure); these take a built figure's ``to_dict()``
# and return the dict the builder would give for new data of the same shape (same baselines,
# divergences and threshold), by swapping arrays: ~0.2 ms. Tests check equality with a build.

def _typed(values) -> dict:
    return typed_array(np.asarray(values, dtype=float))


def refreshed(spec: dict, arrays: dict[int, dict], x_end: float, y_log=None,
               waiting: str | None = None, **where) -> dict:
    """The built ``spec`` with new trace ``arrays`` (by trace index), its lines marked
    ``meta="to x_end"`` drawn to ``x_end``, the fixed x range of a figure built empty dropped
    once drawn (``waiting`` None) and, with ``y_log`` (the values on a log y axis), that
    axis's ticks and range as ``log_axis`` sets them."""
    data = []
    for i, trace in enumerate(spec["data"]):
        trace = {**trace, **arrays.get(i, {})}
        if trace.get("meta") == "to x_end":
            trace["x"] = [0, x_end]
        data.append(trace)
    layout = spec["layout"]
    layout = with_waiting(layout, waiting, **where)  # empty -> drawn, or back after a Reset
    if waiting is None and "range" in layout.get("xaxis", {}):  # built empty (``styled``)
        layout = {**layout, "xaxis": {k: v for k, v in layout["xaxis"].items() if k != "range"}}
    if y_log is not None:
        layout = with_axis(layout, log_props(y_log))
    return {**spec, "data": data, "layout": layout}


def _x_end(steps) -> float:
    return max(steps[-1] if len(steps) else 0, STEPS_SHOWN)


def _values(*arrays) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])


def refresh_loss(spec: dict, steps: Sequence[int], losses: Sequence[float]) -> dict:
    """``loss_figure(steps, losses, ...).to_dict()`` from a built one with the same extras."""
    xs = _typed(steps)
    base = [t["y"][0] for t in spec["data"] if t.get("meta") == "to x_end"]
    return refreshed(spec, {0: {"x": xs, "y": _typed(losses)},
                             1: {"x": xs, "y": _typed(ema(losses))}}, _x_end(steps),
                      waiting=None if len(steps) else no_steps_yet(), **_clear_of(base))


def refresh_perplexity(spec: dict, steps: Sequence[int], perplexities: Sequence[float]) -> dict:
    """``perplexity_figure(...).to_dict()`` from a built one with the same baselines."""
    base = [t["y"][0] for t in spec["data"] if t.get("meta") == "to x_end"]
    return refreshed(spec, {0: {"x": _typed(steps), "y": _typed(perplexities)}},
                      _x_end(steps), _values(perplexities, base))


def refresh_grad_norm(spec: dict, steps: Sequence[int], before: Sequence[float],
                      after: Sequence[float]) -> dict:
    """``grad_norm_figure(...).to_dict()`` from a built one with the same threshold."""
    xs = _typed(steps)
    extra = [t["y"][0] for t in spec["data"] if t.get("meta") == "to x_end"]
    return refreshed(spec, {0: {"x": xs, "y": _typed(before)}, 1: {"x": xs, "y": _typed(after)}},
                      _x_end(steps), _values(before, after, extra),
                      waiting=None if len(steps) else no_steps_yet())
