"""Figures of the GloVe and debiasing panels: GloVe's loss, its weighting function f(x), analogy
accuracy of word2vec and GloVe on one chart, and words' projections on the bias direction before
and after hard debiasing. Pure builders; every text translated (``_``)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.embeddings.figures import w2v_loss_figure
from seqviz.figures.style import (PALETTE, check_same_length, log_ticks, styled,
                                  styled_over_steps, thin_evenly)
from seqviz.i18n import _


def glove_loss_figure(steps: Sequence[int], losses: Sequence[float]) -> go.Figure:
    """GloVe's weighted squared error per nonzero entry over steps (raw and smoothed), log y."""
    fig = w2v_loss_figure(steps, losses, title=_("GloVe loss (weighted least squares)"))
    fig.update_yaxes(title_text=_("f(x) · error² per entry"), type="log", dtick=1)  # decades:
    #                plotly draws a log axis's 2 and 5 labels small
    return fig


def weighting_figure(x_max: float, alpha: float, max_count: float) -> go.Figure:
    """f(x) = min(1, (x / x_max)^α) on a log x axis up to the largest count, x_max and α marked."""
    def weighting(x):  # seqviz.embeddings.glove.weighting, here without torch
        return np.minimum(x / x_max, 1.0) ** alpha

    hi = max(float(max_count), 4 * x_max)
    x = np.geomspace(0.1, hi, 200)
    fig = go.Figure(go.Scatter(x=x, y=weighting(x), mode="lines",
                               name=_("f(x) = (x / x_max)^α, capped at 1"),
                               line=dict(color=PALETTE[0], width=4)))
    fig.add_trace(go.Scatter(x=[x_max, x_max], y=[0, 1.05], mode="lines",
                             name=_("x_max = {x_max}").format(x_max=f"{x_max:g}"),
                             line=dict(color=PALETTE[1], dash="dash", width=2)))
    xs = np.array([x_max / 30, x_max / 3])  # two points on the power law: its slope is α
    fig.add_trace(go.Scatter(x=xs, y=weighting(xs), mode="markers+text",
                             name=_("slope α = {alpha} (log-log)").format(alpha=f"{alpha:g}"),
                             text=["", f"α = {alpha:g}"], textposition="top left",
                             marker=dict(color=PALETTE[2], size=10)))
    fig = styled(fig, title=_("GloVe's weighting f(x) of a co-occurrence count"),
                 x=_("co-occurrence count x_ij (log)"), y="f(x)", height=380)
    ticks = log_ticks(0.1, hi)
    fig.update_xaxes(type="log", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    fig.update_yaxes(range=[0, 1.1])
    return fig


def compare_accuracy_figure(runs: dict[str, tuple[Sequence[int], Sequence[float]]]
                            ) -> go.Figure:
    """Analogy accuracy (all analogies, %) over training steps, one line per method."""
    fig = go.Figure()
    for i, (name, (steps, acc)) in enumerate(runs.items()):
        check_same_length(steps=steps, **{name: acc})
        s, a = thin_evenly(steps, acc)
        fig.add_trace(go.Scatter(x=s, y=100 * np.asarray(a, float), name=name,
                                 mode="lines" if len(s) > 2 else "lines+markers",  # step 0 only
                                 line=dict(color=PALETTE[(i + 1) % len(PALETTE)], width=3)))
    fig = styled_over_steps(fig, title=_("Analogy accuracy: word2vec and GloVe"),
                            y=_("correct (%)"), height=380)
    fig.update_yaxes(range=[-3, 103])
    return fig


def projection_figure(words: Sequence[str], before: Sequence[float], after: Sequence[float],
                      pairs: int = 0) -> go.Figure:
    """Horizontal bars: each word's projection w·g on the bias direction, before and after
    debiasing; the first ``pairs`` rows are definitional words (equalised), the rest neutral."""
    check_same_length(words=words, before=before, after=after)
    labels = [f"{w} ⚥" if i < pairs else w for i, w in enumerate(words)][::-1]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=np.asarray(before, float)[::-1], orientation="h",
                         name=_("before"), marker_color=PALETTE[1]))
    fig.add_trace(go.Bar(y=labels, x=np.asarray(after, float)[::-1], orientation="h",
                         name=_("after neutralise and equalise"), marker_color=PALETTE[0]))
    fig = styled(fig, title=_("Projection on the bias direction g"),
                 x=_("cosine with g (+: towards the first word of the pairs)"), y=_("word"),
                 height=max(380, 26 * len(words) + 140))
    fig.update_layout(barmode="group", hovermode="y unified")
    fig.update_yaxes(automargin=True)
    return fig
