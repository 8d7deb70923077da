"""Attention figures: the alignment heatmap, its sharpness over training, held-out accuracy and
BLEU over training, and accuracy against input length with and without attention.

Pure builders (arrays and labels in, ``go.Figure`` out). The heatmap follows Bahdanau, Cho and
Bengio (2015, Fig. 3): one row per output token, one column per input token, darker = more
weight. Token labels sit on integer positions, so repeated tokens ("1", "9", "9") keep their own
columns, and spaces are drawn as "␣" so they stay visible.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import (PALETTE, STEPS_SHOWN, check_same_length, font_size, styled,
                                  styled_over_steps)
from seqviz.i18n import _

SPACE = "␣"


def token_label(token: str) -> str:
    """A visible label: spaces become ␣, long tokens are shortened, and < > & are escaped
    (plotly reads tick text as HTML, where "</s>" would be a strike-through tag)."""
    label = token.replace(" ", SPACE) if token.strip() == "" or len(token) == 1 else token
    label = label if len(label) <= 14 else label[:13] + "…"
    return label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attention_figure(weights, src_tokens: Sequence[str], out_tokens: Sequence[str], *,
                     title: str | None = None, x: str | None = None,
                     y: str | None = None) -> go.Figure:
    """Heatmap of weights (T, S): output tokens (rows, top to bottom) x input tokens. Labels
    come translated (``None``: the default, translated here)."""
    w = np.asarray(weights, dtype=float)
    if w.ndim != 2 or w.shape != (len(out_tokens), len(src_tokens)):
        raise ValueError(f"weights must be (output tokens, input tokens) = ({len(out_tokens)}, "
                         f"{len(src_tokens)}), got shape {w.shape}")
    xs, ys = [token_label(t) for t in src_tokens], [token_label(t) for t in out_tokens]
    hover = np.array([[f"{ys[i]} ← {xs[j]}" for j in range(len(xs))] for i in range(len(ys))],
                     dtype=object).reshape(w.shape)
    fig = go.Figure(go.Heatmap(
        z=w, x=list(range(len(xs))), y=list(range(len(ys))), zmin=0.0, zmax=1.0,
        colorscale="Blues", customdata=hover, xgap=1, ygap=1,
        colorbar=dict(title=dict(text=_("attention weight"), side="right"), thickness=16),
        hovertemplate=_("output {pair}: {weight}").format(
            pair="%{customdata}", weight="<b>%{z:.3f}</b>") + "<extra></extra>"))
    cols, rows = max(len(xs), 1), max(len(ys), 1)
    tick = font_size() + 2 if cols <= 32 else font_size() - 2
    words = max((len(t) for t in src_tokens), default=1) > 2  # word tokens: slanted labels
    height = 150 + 34 * rows + (70 if words else 0)
    fig = styled(fig, title=title or _("Attention"), x=x or _("input token"),
                 y=y or _("output token"), height=int(min(950, max(360, height))))
    fig.update_layout(hovermode="closest", margin=dict(l=110, r=20, t=60, b=70))
    font = dict(size=tick, family="monospace", color="#111")
    fig.update_xaxes(tickmode="array", tickvals=list(range(cols)), ticktext=xs, tickfont=font,
                     showgrid=False, tickangle=-50 if words else 0, automargin=True)
    fig.update_yaxes(tickmode="array", tickvals=list(range(rows)), ticktext=ys, tickfont=font,
                     autorange="reversed", showgrid=False)
    return fig


def metrics_figure(steps: Sequence[int], exact: Sequence[float], bleu: Sequence[float], *,
                   title: str | None = None) -> go.Figure:
    """Exact match (given as 0-1, drawn in %) and corpus BLEU (0-100) over training steps."""
    check_same_length(steps=steps, exact=exact, bleu=bleu)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(steps), y=[100 * e for e in exact], mode="lines+markers",
                             name=_("exact match %"), line=dict(color=PALETTE[2], width=3)))
    fig.add_trace(go.Scatter(x=list(steps), y=list(bleu), mode="lines+markers", name="BLEU",
                             line=dict(color=PALETTE[3], width=3, dash="dot")))
    fig = styled_over_steps(fig, title=title or _("Held-out exact match and BLEU"),
                            y=_("score (0-100)"))
    return fig.update_yaxes(range=[-2, 102])


def sharpness_figure(steps: Sequence[int], entropy: Sequence[float],
                     uniform: float | None = None, *, title: str | None = None) -> go.Figure:
    """Mean entropy of the attention rows over training; lower = sharper, 0 = one-hot."""
    check_same_length(steps=steps, entropy=entropy)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(steps), y=list(entropy), mode="lines+markers",
                             name=_("mean row entropy"), line=dict(color=PALETTE[0], width=3)))
    if uniform is not None and math.isfinite(uniform):
        x_end = max(steps[-1] if len(steps) else 0, STEPS_SHOWN)
        fig.add_trace(go.Scatter(x=[0, x_end], y=[uniform, uniform], mode="lines",
                                 name=_("uniform attention: {value}").format(
                                     value=f"{uniform:.2f}"),
                                 line=dict(color="black", dash="dash", width=2)))
    fig = styled_over_steps(fig, title=title or _("Attention sharpness"),  # short: a narrow column
                            y=_("mean row entropy (nats)"))
    return fig.update_yaxes(rangemode="tozero")


def length_figure(lengths: Sequence[int], series: Mapping[str, Sequence[float]], *,
                  counts: Sequence[int] | None = None, metric: str | None = None,
                  unit: str | None = None, title: str | None = None) -> go.Figure:
    """One line per model (e.g. with / without attention) of a 0-100 score per input length;
    ``counts`` (test inputs per length) appear on hover. Series names, ``metric`` and ``unit``
    come translated."""
    fig = go.Figure()
    if counts is not None:
        check_same_length(lengths=lengths, counts=counts)
    for i, (name, values) in enumerate(series.items()):
        check_same_length(lengths=lengths, **{"values of " + name: values})
        fig.add_trace(go.Scatter(
            x=list(lengths), y=list(values), mode="lines+markers", name=name,
            marker=dict(size=9), line=dict(color=PALETTE[(2, 1, 0, 3)[i % 4]], width=3,
                                           dash="dash" if i else "solid"),  # overlaps stay visible
            customdata=list(counts) if counts is not None else None,
            hovertemplate=f"{name}: %{{y:.1f}}" + (_(" ({n} inputs)").format(n="%{customdata}")
                                                   if counts is not None else "")
            + "<extra></extra>"))
    fig = styled(fig, title=title or _("Accuracy against input length"),
                 x=_("input length ({unit})").format(unit=unit or _("characters")),
                 y=metric or _("exact match %"))
    return fig.update_yaxes(range=[-2, 102])
