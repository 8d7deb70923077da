"""Gradient-flow figures: per-timestep histograms, norm vs distance, gates and Jacobians.

Pure builders: arrays and labels in, ``go.Figure`` out; no torch. The histogram figure prints
its bins and range under the title, so a change of range between refreshes is never mistaken
for vanishing (the point of the textbook figure: mass piling up at 0 step after step, Pascanu,
Mikolov and Bengio 2013). Time steps are shown 1-based, t = 1 .. T, the loss sitting at t = T.
Every text is translated here (``title=None`` means the builder's own title);
``seqviz.figures.chart_text`` wraps titles to the chart's width and keeps legends off the
axis titles.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import (PALETTE, STEPS_SHOWN, check_same_length, log_props, profile,
                                  styled, styled_over_steps, styled_spec)
from seqviz.figures.chart_text import finish, finish_spec, plain_ticks
from seqviz.i18n import _, ngettext

CELL_COLOURS = {"rnn": PALETTE[1], "gru": PALETTE[2], "lstm": PALETTE[0]}
CELL_LABELS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}


def _colour(name: str, i: int) -> str:
    return CELL_COLOURS.get(name.lower(), PALETTE[i % len(PALETTE)])


def _label(name: str) -> str:
    return CELL_LABELS.get(name.lower(), name)


def wide_log_props(values) -> dict:
    """A log axis that stays readable over many decades, as axis properties: 1-2-5 ticks over
    up to three decades (the house ``log_props``), otherwise one tick every k decades,
    labelled 1e-12 and so on."""
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr) & (arr > 0)]
    if arr.size == 0 or math.log10(arr.max() / arr.min()) <= 3:
        return log_props(arr)
    lo, hi = math.floor(math.log10(arr.min())), math.ceil(math.log10(arr.max()))
    every = max(1, math.ceil((hi - lo) / 7))
    ticks = [10.0 ** k for k in range(lo, hi + every, every)]  # ticks outside the data stay hidden
    labels = [f"{t:g}" if 1e-3 <= t <= 1e4 else f"1e{int(round(math.log10(t)))}" for t in ticks]
    return {"type": "log", "tickvals": ticks, "ticktext": labels}


def wide_log_axis(fig: go.Figure, values, axis: str = "y") -> go.Figure:
    """``wide_log_props`` applied to the figure's ``axis``."""
    props = wide_log_props(values)
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    return update(**{"tickvals": None, "ticktext": None, **props})  # no ticks: unset them


def _finite_or_none(values) -> list:
    return [float(v) if v is not None and math.isfinite(v) and v > 0 else None for v in values]




def step_histogram_figure(counts: np.ndarray, edges: Sequence[float], *, title: str,
                          bins_text: str | Sequence[str], value_label: str,
                          log_values: bool = False,
                          nonfinite: Sequence[int] | None = None) -> go.Figure:
    """counts (T, bins) -> a time x value density, colour = log10 count; empty bins blank.

    ``bins_text`` (the bins and range of this refresh; a list gives several lines) is printed
    under the title. Steps with NaN / inf entries, which are not binned, get a red x above the
    plot and a note. ``title``, ``bins_text`` and ``value_label`` come translated.
    """
    counts = np.asarray(counts)
    if counts.ndim != 2:
        raise ValueError(f"counts must be (T, bins), got shape {counts.shape}")
    T, bins = counts.shape
    if len(edges) != bins + 1:
        raise ValueError(f"edges has {len(edges)} entries but counts has {bins} bins "
                         f"(need bins + 1 = {bins + 1} edges)")
    edges = np.asarray(edges, dtype=float)
    centres = (edges[:-1] + edges[1:]) / 2
    with np.errstate(divide="ignore"):
        z = np.where(counts > 0, np.log10(np.maximum(counts, 1)), np.nan).T  # (bins, T)
    top = max(1.0, float(np.nanmax(z)) if np.isfinite(z).any() else 1.0)
    ticks = list(range(0, int(math.floor(top)) + 1))
    steps = np.arange(1, T + 1)
    # written as a dict and validated once (a playing page redraws two of these per capture)
    data = [dict(
        type="heatmap", x=steps, y=centres, z=z, zmin=0, zmax=top, colorscale="Viridis",
        colorbar=dict(title=dict(text=_("count<br>(log)")), tickvals=ticks,
                      ticktext=[f"{10 ** k:,}" for k in ticks]),
        hovertemplate=_("t=%{x}<br>value≈%{y:.3g}<br>log10 count=%{z:.2f}") + "<extra></extra>")]
    notes = [bins_text] if isinstance(bins_text, str) else [t for t in bins_text if t]
    if nonfinite is not None:
        nonfinite = np.asarray(nonfinite)
        if len(nonfinite) != T:
            raise ValueError(f"nonfinite has {len(nonfinite)} steps but counts has {T}")
        bad = np.flatnonzero(nonfinite > 0)
        if bad.size:
            data.append(dict(
                type="scatter", x=steps[bad], y=[edges[-1]] * bad.size, mode="markers",
                cliponaxis=False, marker=dict(symbol="x", color="red", size=12),
                name=_("NaN / inf entries"),
                hovertemplate=_("t=%{x}: %{text} NaN/inf") + "<extra></extra>",
                text=[f"{int(nonfinite[i]):,}" for i in bad]))
            notes.append("<span style='color:red'>" + _(
                "{n} NaN/inf entries at {steps} steps (red ×) are counted, not drawn").format(
                n=f"{int(nonfinite.sum()):,}", steps=bad.size) + "</span>")
    y = _("log10 |{label}|").format(label=value_label) if log_values else value_label
    spec = styled_spec({"data": data, "layout": {}}, title=title,
                       x=_("time step t (the loss is at t = T)"), y=y, height=440,
                       overrides={"hovermode": "closest"})
    return go.Figure(finish_spec(spec, title, notes))


def norm_distance_figure(curves: Mapping[str, Sequence[float]], *,
                         cuts: Mapping[str, int | None] | None = None, ratio: float = 1e-3,
                         title: str | None = None) -> go.Figure:
    """||dL/dh_t|| against the distance T - t back from the loss, log axis, one curve per run.

    ``cuts[name]`` is the first distance where that curve falls below ``ratio`` of its
    maximum: marked with a diamond and "reaches back N steps" in the legend.
    """
    if not curves:
        raise ValueError("norm_distance_figure needs at least one curve")
    lengths = {len(v) for v in curves.values()}
    if len(lengths) > 1:
        raise ValueError(f"curves must have the same length, got {sorted(lengths)}")
    cuts = dict(cuts or {})
    data, everything = [], []  # written as a dict, validated once
    for i, (name, norms) in enumerate(curves.items()):
        norms = np.asarray(norms, dtype=float)
        dist = np.arange(len(norms))
        colour, cut = _colour(name, i), cuts.get(name)
        if cut is not None:
            reach_text = ngettext("{cell}: reaches back {n} step", "{cell}: reaches back {n} steps",
                                  cut - 1).format(cell=_label(name), n=cut - 1)
        else:
            reach_text = ngettext("{cell}: reaches all {n} step", "{cell}: reaches all {n} steps",
                                  len(norms) - 1).format(cell=_label(name), n=len(norms) - 1)
        bad = int((~np.isfinite(norms)).sum())
        if bad:
            reach_text += ngettext("; {n} step inf/NaN", "; {n} steps inf/NaN", bad).format(n=bad)
        ys = _finite_or_none(norms)
        everything += [y for y in ys if y is not None]
        data.append(dict(type="scatter", x=dist, y=ys, mode="lines", name=reach_text,
                         line=dict(color=colour, width=3)))
        if cut is not None and ys[cut] is not None:
            data.append(dict(
                type="scatter", x=[cut], y=[ys[cut]], mode="markers", showlegend=False,
                marker=dict(symbol="diamond", size=16, color=colour,
                            line=dict(color="black", width=1)),
                hovertemplate=_("{cell}: below {ratio} × max from {n} steps back").format(
                    cell=_label(name), ratio=f"{ratio:g}", n=cut) + "<extra></extra>"))
    title = title or _("Gradient norm vs distance")
    spec = styled_spec({"data": data, "layout": {}}, title=title,
                       x=_("distance back from the loss, T − t (steps)"),
                       y=_("‖dL/dh_t‖ (log)"), height=400,
                       overrides={"yaxis": wide_log_props(everything)} if everything else None)
    return go.Figure(finish_spec(spec, title, [
        _("◆ where it falls below {ratio} of its maximum").format(ratio=f"{ratio:g}")]))


def accuracy_figure(curves: Mapping[str, tuple[Sequence[int], Sequence[float]]], *,
                    chance: float | None = None, title: str | None = None) -> go.Figure:
    """Accuracy over training, one line per run, with the chance level dashed."""
    fig = go.Figure()
    x_end = STEPS_SHOWN
    for i, (name, (steps, acc)) in enumerate(curves.items()):
        check_same_length(steps=steps, accuracy=acc)
        x_end = max([x_end, *steps])
        fig.add_trace(go.Scatter(x=list(steps), y=[100 * a for a in acc], mode="lines+markers",
                                 name=_label(name), line=dict(color=_colour(name, i), width=3)))
    if chance is not None and math.isfinite(chance):
        fig.add_trace(go.Scatter(x=[0, x_end], y=[100 * chance] * 2, mode="lines",
                                 name=_("chance {p}%").format(p=f"{100 * chance:.0f}"),
                                 line=dict(color="grey", dash="dash")))
    title = title or _("Task accuracy (held-out)")
    fig = styled_over_steps(fig, title=title, y=_("accuracy (%)"), height=400)
    fig.update_yaxes(range=[0, 102])
    return finish(fig, title)


def jacobian_figure(steps: Sequence[int], sigma: Sequence[float], *,
                    title: str | None = None) -> go.Figure:
    """Largest singular value per step (0-based steps in, 1-based drawn), with gain 1 dashed."""
    check_same_length(steps=steps, sigma=sigma)
    shown = [v if math.isfinite(v) else None for v in sigma]
    fig = go.Figure(go.Scatter(
        x=[s + 1 for s in steps], y=shown,
        mode="lines+markers", name=_("σ_max of dh_t/dh_(t−1)"), line=dict(color=PALETTE[1], width=3),
        marker=dict(size=8)))
    t_end = (steps[-1] + 1) if len(steps) else 1
    fig.add_trace(go.Scatter(x=[1, t_end], y=[1, 1], mode="lines", name=_("gain 1"),
                             line=dict(color="black", dash="dash")))
    finite = [v for v in sigma if math.isfinite(v)]
    notes = []
    if finite:
        g = float(np.exp(np.mean(np.log(np.maximum(finite, 1e-30)))))
        notes.append(_("geometric mean {g}; over 50 steps the gain is at most {g}⁵⁰ = {power}"
                       ).format(g=f"{g:.3g}", power=f"{g ** 50:.2g}"))
    title = title or _("Why: the Jacobian dh_t/dh_(t−1)")
    fig = styled(fig, title=title, x=_("time step t"), y=_("largest singular value"), height=400)
    fig = plain_ticks(fig, [v for v in shown if v is not None], include=[1.0])
    return finish(fig, title, notes)


def gate_figure(gate: Sequence[float], carry: Sequence[float], *, gate_name: str,
                title: str | None = None) -> go.Figure:
    """The product of gates from each step to the end on a log axis (left), and the mean gate
    per step on a linear 0-1 axis (right): a gate of 0.5 reads as 0.5, not as a line near 1."""
    check_same_length(gate=gate, carry=carry)
    t = np.arange(1, len(gate) + 1)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t, y=_finite_or_none(carry), mode="lines",
                             name=_("∏ {gate}_k over k > t: gain to the end (left)").format(
                                 gate=gate_name),
                             line=dict(color=PALETTE[0], width=3)))
    shown = [float(v) if math.isfinite(v) else None for v in gate]
    fig.add_trace(go.Scatter(x=t, y=shown, mode="lines", yaxis="y2",
                             name=_("mean {gate}_t (right)").format(gate=gate_name),
                             line=dict(color=PALETTE[2], width=3)))
    finite = [v for v in shown if v is not None]
    notes = []
    if finite:
        note = _("mean {gate} over the steps: {mean}").format(gate=gate_name,
                                                              mean=f"{np.mean(finite):.2f}")
        if len(carry) > 1 and math.isfinite(carry[0]):
            note += _("; the carry path from step 1 to step {T} keeps {keep}").format(
                T=len(carry), keep=f"{carry[0]:.2g}")
        notes.append(note)
    title = title or _("Why: the gated carry path")
    fig = styled(fig, title=title, x=_("time step t"), y=_("gain to the end (log)"), height=400)
    fig = wide_log_axis(fig, [v for v in _finite_or_none(carry) if v])
    p = profile()
    # added last: update_yaxes above would otherwise make the gate's axis log too
    fig.update_layout(margin=dict(r=80), yaxis2=dict(
        title=dict(text=_("mean {gate}_t").format(gate=gate_name),
                   font=dict(size=p.axis_title)),
        tickfont=dict(size=p.font), overlaying="y", side="right", range=[0, 1.02],
        showgrid=False, type="linear", tickmode="array", tickvals=[0, 0.25, 0.5, 0.75, 1]))
    return finish(fig, title, notes)


def radius_figure(steps: Sequence[int], radii: Mapping[str, Sequence[float]], *,
                  title: str | None = None) -> go.Figure:
    """One line per (H, H) block of W_hh, with radius 1 dashed; a linear axis at least 0.1
    wide, so radii that hold at 1 do not print ticks like 0.999999995."""
    fig = go.Figure()
    values: list[float] = []
    for i, (name, vals) in enumerate(radii.items()):
        check_same_length(steps=steps, **{name: vals})
        values += [float(v) for v in vals]
        fig.add_trace(go.Scatter(x=list(steps), y=list(vals), mode="lines+markers", name=name,
                                 line=dict(color=PALETTE[i % len(PALETTE)], width=3),
                                 hovertemplate="%{y:.4g}"))
    x_end = max(list(steps) + [STEPS_SHOWN])
    fig.add_trace(go.Scatter(x=[0, x_end], y=[1, 1], mode="lines", name=_("radius 1"),
                             line=dict(color="black", dash="dash")))
    title = title or _("Spectral radius of W_hh over training")
    fig = styled_over_steps(fig, title=title, y=_("max |eigenvalue|"), height=400)
    fig = plain_ticks(fig, values, include=[1.0])
    return finish(fig, title)
