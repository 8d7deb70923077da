"""Sequence-tasks figures: the five input/output shapes with the active one highlighted,
training vs validation accuracy and loss, per-token contributions, the final hidden states of
held-out reviews in 2-D, per-tag accuracy and the confusion matrix.

Pure builders (arrays and labels in, ``go.Figure`` out); class names are translated here from
the ``CLASS_NAMES`` table, tokens never are.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import (PALETTE, check_same_length, font_size, profile, styled,
                                  styled_over_steps)
from seqviz.figures.text_width import text_px
from seqviz.i18n import N_, _

SHAPE_NAMES = {"one-to-one": N_("one-to-one"), "one-to-many": N_("one-to-many"),
               "many-to-one": N_("many-to-one"), "many-to-many": N_("aligned many-to-many"),
               "encoder-decoder": N_("encoder–decoder")}
SHAPE_EXAMPLES = {"one-to-one": N_("image → class"), "one-to-many": N_("image → caption"),
                  "many-to-one": N_("review → sentiment"), "many-to-many": N_("words → tags"),
                  "encoder-decoder": N_("translation")}
CLASS_NAMES = {"negative": N_("negative"), "positive": N_("positive"),
               "det-sg": N_("det (singular)"), "det-pl": N_("det (plural)"),
               "royalty": N_("royalty"), "person": N_("person"), "animal": N_("animal"),
               "colour": N_("colour"), "number": N_("number"), "food": N_("food"),
               "place": N_("place"), "object": N_("object"), "verb": N_("verb"),
               "adjective": N_("adjective"), "pronoun": N_("pronoun"), "other": N_("other")}
KIND_NAMES = {"plain": N_("plain"), "negated": N_("negated"),
              "although-first": N_("although A, B"), "although-second": N_("A, although B"),
              "but": N_("A but B")}
GREY, ACTIVE = "#b0b0b0", PALETTE[0]


def class_name(c: str) -> str:
    return _(CLASS_NAMES[c]) if c in CLASS_NAMES else c


# (inputs, outputs) as time positions 0..3 of each shape; encoder-decoder reads then writes
_LAYOUT = {"one-to-one": ([0], [0], 1), "one-to-many": ([0], [0, 1, 2], 3),
           "many-to-one": ([0, 1, 2], [2], 3), "many-to-many": ([0, 1, 2], [0, 1, 2], 3),
           "encoder-decoder": ([0, 1], [2, 3], 4)}


def shapes_figure(active: str) -> go.Figure:
    """The five RNN shapes (Karpathy 2015's diagram): inputs (bottom), recurrent states
    (middle, arrows along time), outputs (top); ``active`` in colour, the others grey."""
    if active not in _LAYOUT:
        raise ValueError(f"unknown shape {active!r}; valid: {', '.join(_LAYOUT)}")
    fig = go.Figure()
    shapes, notes, labels = [], [], []
    x0, box, gap = 0.0, 0.5, 0.75
    p = profile()
    for name, (ins, outs, width) in _LAYOUT.items():
        colour = ACTIVE if name == active else GREY
        line = dict(color=colour, width=3 if name == active else 1.5)
        xs = [x0 + i * gap for i in range(width)]
        for i, x in enumerate(xs):
            shapes.append(dict(type="rect", x0=x, x1=x + box, y0=1, y1=1.5, line=line,
                               fillcolor="#c6dbef" if name == active else "#eeeeee"))
            if i:
                notes.append(dict(ax=xs[i - 1] + box, ay=1.25, x=x, y=1.25))
        for i in ins:
            shapes.append(dict(type="rect", x0=xs[i], x1=xs[i] + box, y0=0, y1=0.5, line=line,
                               fillcolor="#fdd0a2" if name == active else "#f4f4f4"))
            notes.append(dict(ax=xs[i] + box / 2, ay=0.5, x=xs[i] + box / 2, y=1))
        for i in outs:
            shapes.append(dict(type="rect", x0=xs[i], x1=xs[i] + box, y0=2, y1=2.5, line=line,
                               fillcolor="#c7e9c0" if name == active else "#f4f4f4"))
            notes.append(dict(ax=xs[i] + box / 2, ay=1.5, x=xs[i] + box / 2, y=2))
        centre = x0 + (xs[-1] + box - x0) / 2
        weight = "<b>{}</b>" if name == active else "{}"
        labels.append(dict(x=centre, y=-0.25, text=weight.format(_(SHAPE_NAMES[name])),
                           showarrow=False, yanchor="top",
                           font=dict(size=p.font, color="#111" if name == active else "#777")))
        labels.append(dict(x=centre, y=-0.85, text=_(SHAPE_EXAMPLES[name]), showarrow=False,
                           yanchor="top", font=dict(size=p.font - 3, color="#555")))
        x0 = xs[-1] + box + 0.9
    arrows = [dict(a, xref="x", yref="y", axref="x", ayref="y", text="", showarrow=True,
                   arrowhead=2, arrowsize=1, arrowwidth=1.2, arrowcolor="#555") for a in notes]
    # set at once: ``add_annotation`` re-validates every annotation so far on each call (39 of
    # them took ~0.2 s of the server, every time the task changed)
    fig.update_layout(shapes=shapes, annotations=labels + arrows,
                      height=200 if p.name == "present" else 230,
                      margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
                      plot_bgcolor="white", font=dict(size=p.font))
    # room at both ends for the first and last names, which are wider than their diagrams
    fig.update_xaxes(visible=False, range=[-0.9, x0 - 0.2], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-1.6, 2.7], fixedrange=True)
    return fig


def accuracy_figure(steps, train_acc, val_acc, *, baseline: float | None = None,
                    baseline_name: str = "") -> go.Figure:
    """Training and validation accuracy (%) over training, with a memoryless baseline."""
    check_same_length(steps=steps, train_acc=train_acc, val_acc=val_acc)
    steps = np.asarray(steps)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=100 * np.asarray(train_acc), name=_("training"),
                             mode="lines+markers", line=dict(color=PALETTE[0])))
    fig.add_trace(go.Scatter(x=steps, y=100 * np.asarray(val_acc), name=_("validation"),
                             mode="lines+markers", line=dict(color=PALETTE[1])))
    if baseline is not None and np.isfinite(baseline):
        end = max(int(steps[-1]) if len(steps) else 0, 10)  # as far as the step axis goes
        fig.add_trace(go.Scatter(x=[0, end], y=[100 * baseline] * 2, mode="lines",
                                 name=baseline_name, line=dict(color="#7f7f7f", dash="dash")))
    fig = styled_over_steps(fig, title=_("Accuracy"), y=_("accuracy (%)"))
    fig.update_yaxes(range=[0, 101])
    return _step_axis(fig, steps)


def _step_axis(fig: go.Figure, steps) -> go.Figure:
    """Steps from 0; before training (one evaluation, at step 0) a short axis, not -1 … 1."""
    last = int(np.max(steps)) if len(steps) else 0
    if last < 10:
        fig.update_xaxes(range=[0, 10])
    else:
        fig.update_xaxes(rangemode="tozero")
    return fig


def eval_loss_figure(steps, train_loss, val_loss) -> go.Figure:
    """Training vs validation loss: the gap that opens is over-fitting."""
    check_same_length(steps=steps, train_loss=train_loss, val_loss=val_loss)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=np.asarray(steps), y=np.asarray(train_loss), name=_("training"),
                             mode="lines+markers", line=dict(color=PALETTE[0])))
    fig.add_trace(go.Scatter(x=np.asarray(steps), y=np.asarray(val_loss), name=_("validation"),
                             mode="lines+markers", line=dict(color=PALETTE[1])))
    fig = styled_over_steps(fig, title=_("Loss: training vs validation"),
                            y=_("cross-entropy (nats)"))
    fig.update_yaxes(rangemode="tozero")
    return _step_axis(fig, steps)


def contributions_figure(tokens: Sequence[str], values, *, title: str, y: str,
                         known: Sequence[bool] | None = None) -> go.Figure:
    """One bar per token: positive values push towards "positive" (blue), negative towards
    "negative" (red). Unknown words are marked with a trailing "?"."""
    values = np.asarray(values, dtype=float)
    check_same_length(tokens=tokens, values=values)
    known = list(known) if known is not None else [True] * len(tokens)
    labels = [t if k else t + "?" for t, k in zip(tokens, known)]
    colours = [PALETTE[0] if v >= 0 else PALETTE[1] for v in values]
    fig = go.Figure(go.Bar(x=list(range(len(tokens))), y=values, marker_color=colours,
                           customdata=labels, hovertemplate="%{customdata}: %{y:.3f}"
                           "<extra></extra>"))
    if text_px(y, profile().axis_title) > 250:  # longer than the plot is tall: two lines
        y = y.replace(" · ", "<br>", 1)
    fig = styled(fig, title=title, x=_("token"), y=y, height=400)
    fig.update_layout(hovermode="closest", showlegend=False)
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(tickmode="array", tickvals=list(range(len(tokens))), ticktext=labels,
                     tickangle=-45 if len(tokens) > 6 else 0, automargin=True)
    return fig


def states_figure(points, labels, classes: Sequence[str], *, text: Sequence[str] = (),
                  variance=None) -> go.Figure:
    """Held-out final hidden states on their first two principal axes, coloured by label."""
    points = np.asarray(points, dtype=float)
    labels = np.asarray(labels)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must be (N, 2), got shape {points.shape}")
    check_same_length(points=points, labels=labels)
    fig = go.Figure()
    for c, name in enumerate(classes):
        sel = labels == c
        fig.add_trace(go.Scatter(
            x=points[sel, 0], y=points[sel, 1], mode="markers", name=class_name(name),
            marker=dict(size=8, color=PALETTE[1] if c == 0 else PALETTE[0], opacity=0.7),
            text=[text[i] for i in np.flatnonzero(sel)] if len(text) else None,
            hovertemplate="%{text}<extra></extra>" if len(text) else None))
    var = np.asarray(variance) if variance is not None else np.full(2, np.nan)
    fig = styled(fig, title=_("Final hidden state of held-out reviews (PCA)"),
                 x=_("PC 1 ({share:.0f} % of variance)").format(share=100 * var[0]),
                 y=_("PC 2 ({share:.0f} % of variance)").format(share=100 * var[1]))
    fig.update_layout(hovermode="closest")
    return fig


def per_class_figure(classes: Sequence[str], acc, *, baseline=None, baseline_name: str = "",
                     title: str | None = None) -> go.Figure:
    """Held-out accuracy per tag (bars), beside the memoryless baseline's."""
    acc = np.asarray(acc, dtype=float)
    check_same_length(classes=classes, acc=acc)
    names = [class_name(c) for c in classes]
    fig = go.Figure(go.Bar(x=names, y=100 * np.nan_to_num(acc), name=_("model"),
                           marker_color=PALETTE[0], hovertemplate="%{x}: %{y:.1f} %"
                           "<extra></extra>"))
    if baseline is not None:
        fig.add_trace(go.Bar(x=names, y=100 * np.nan_to_num(np.asarray(baseline, dtype=float)),
                             name=baseline_name, marker_color="#9e9e9e",
                             hovertemplate="%{x}: %{y:.1f} %<extra></extra>"))
    fig = styled(fig, title=title or _("Held-out accuracy per tag"), x=_("true tag"),
                 y=_("accuracy (%)"), height=480)  # the house legend: under the axis title
    fig.update_layout(barmode="group", hovermode="closest")
    fig.update_yaxes(range=[0, 101])
    fig.update_xaxes(tickangle=-45, automargin=True, tickmode="linear")
    return fig


def confusion_figure(matrix, classes: Sequence[str]) -> go.Figure:
    """Row-normalised confusion matrix (true tag rows, predicted columns), counts on hover."""
    m = np.asarray(matrix, dtype=float)
    if m.shape != (len(classes), len(classes)):
        raise ValueError(f"matrix must be ({len(classes)}, {len(classes)}), got {m.shape}")
    rows = m.sum(axis=1, keepdims=True)
    share = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    names = [class_name(c) for c in classes]
    fig = go.Figure(go.Heatmap(
        z=share, x=names, y=names, zmin=0, zmax=1, colorscale="Blues", xgap=1, ygap=1,
        customdata=m.astype(int), colorbar=dict(title=dict(text=_("share of row"),
                                                           side="right"), thickness=14),
        hovertemplate=_("true {true}, predicted {pred}: {n}").format(
            true="%{y}", pred="%{x}", n="%{customdata}") + "<extra></extra>"))
    fig = styled(fig, title=_("Confusion matrix (held out)"), x=_("predicted tag"),
                 y=_("true tag"), height=560)
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(autorange="reversed", automargin=True, tickmode="linear")
    # upright names: one column is a line's height wide, so fourteen tags never overlap (at
    # -45 degrees the Chinese ones ran into each other)
    fig.update_xaxes(tickangle=-90, automargin=True, tickmode="linear")
    return fig
