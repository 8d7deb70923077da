"""The beam-search lesson's charts besides the tree: one input at every width, and the tallies
over held-out examples (outcomes per width; which convention for finished hypotheses wins).

Pure builders: results in, ``go.Figure`` out, every interface string translated here.
"""

from __future__ import annotations

import math
from typing import Sequence

import plotly.graph_objects as go

from seqviz.decoding.figures import shown
from seqviz.decoding.outcomes import (COMPARISON, COMPARISON_NAMES, KIND_NAMES, KINDS, Tally,
                                      WidthResult)
from seqviz.figures.style import profile, styled
from seqviz.i18n import _

KIND_COLOURS = {"correct": "#2ca02c", "search error": "#ff7f0e", "model error": "#d62728"}
COMPARISON_COLOURS = {"keep better": "#1f77b4", "same": "#c7c7c7", "shrink better": "#9467bd"}


def _stacked(fig: go.Figure, widths: Sequence[int], counts: dict[int, dict[str, int]],
             kinds: Sequence[str], names: dict[str, str], colours: dict[str, str]) -> None:
    for kind in kinds:
        ys = [counts[b][kind] for b in widths]
        fig.add_trace(go.Bar(x=[str(b) for b in widths], y=ys, name=_(names[kind]),
                             marker_color=colours[kind], text=[y or "" for y in ys],
                             textposition="inside", textangle=0,
                             insidetextfont=dict(size=profile().font),
                             hovertemplate=_("B = %{x}: %{y} examples") + "<extra></extra>"))
    # a count that does not fit its segment is left to the hover text (not turned sideways)
    fig.update_layout(barmode="stack", hovermode="closest", legend_traceorder="normal",
                      uniformtext=dict(minsize=profile().font - 2, mode="hide"))


def error_tally_figure(tally: Tally, title: str | None = None) -> go.Figure:
    """Stacked bars per beam width: correct / search error / model error."""
    fig = go.Figure()
    _stacked(fig, tally.widths, tally.outcomes, KINDS, KIND_NAMES, KIND_COLOURS)
    title = title if title is not None else _(
        "Outcomes over {n} held-out examples (α = {alpha})").format(n=tally.n,
                                                                    alpha=f"{tally.alpha:g}")
    return styled(fig, title=title, x=_("beam width B"), y=_("examples"))


def conventions_figure(tally: Tally, title: str | None = None) -> go.Figure:
    """Stacked bars per beam width: which convention for finished hypotheses found the final
    with the higher normalised score, or neither."""
    fig = go.Figure()
    _stacked(fig, tally.widths, tally.conventions, COMPARISON, COMPARISON_NAMES,
             COMPARISON_COLOURS)
    title = title if title is not None else _(
        "Shrinking vs refilled beam over {n} examples").format(n=tally.n)
    return styled(fig, title=title, x=_("beam width B"), y=_("examples"))


MIN_SCORE_SPAN = 0.1  # the score axis spans at least ±0.1 around flat results


def sweep_figure(results: Sequence[WidthResult], outputs: Sequence[str],
                 title: str | None = None) -> go.Figure:
    """The best final's normalised score for every beam width on one input; markers coloured
    by the verdict against the reference (when there is one); the output in the hover text."""
    if len(outputs) != len(results):
        raise ValueError(f"results has {len(results)} widths, outputs has {len(outputs)}")
    p = profile()
    fig = go.Figure(go.Scatter(
        x=[r.width for r in results], y=[r.score for r in results], mode="lines",
        line=dict(color="#7f7f7f", width=2), showlegend=False, hoverinfo="skip"))
    groups = sorted({r.kind for r in results}, key=lambda k: (k is None, KINDS.index(k)
                                                               if k in KINDS else 0))
    for kind in groups:
        ids = [i for i, r in enumerate(results) if r.kind == kind]
        fig.add_trace(go.Scatter(
            x=[results[i].width for i in ids], y=[results[i].score for i in ids],
            mode="markers", name=_(KIND_NAMES[kind]) if kind else _("best final"),
            marker=dict(size=14 * p.font / 16, color=KIND_COLOURS.get(kind, "#1f77b4")),
            customdata=[[shown(outputs[i]), results[i].logp] for i in ids],
            hovertemplate=_("B = %{x}<br>output: %{customdata[0]}<br>log P = "
                            "%{customdata[1]:.3f}<br>score = %{y:.3f}") + "<extra></extra>"))
    fig = styled(fig, title=title if title is not None else _("Best final at every beam width"),
                 x=_("beam width B"), y=_("score log P / T^α"), height=360)
    fig.update_xaxes(dtick=1)
    fig.update_layout(hovermode="closest")
    scores = [r.score for r in results if math.isfinite(r.score)]
    if scores and max(scores) - min(scores) < MIN_SCORE_SPAN:
        # every width scores (nearly) the same: plotly would stretch a rounding difference of
        # 1e-7 (the same output scored in batches of different sizes) over the whole axis
        mid = (max(scores) + min(scores)) / 2
        fig.update_yaxes(range=[mid - MIN_SCORE_SPAN, mid + MIN_SCORE_SPAN], autorange=False)
    return fig


def next_token_figure(tokens: Sequence[str], probs: Sequence[float],
                      title: str | None = None) -> go.Figure:
    """The model's most likely next tokens after a prefix, most likely on top."""
    if len(tokens) != len(probs):
        raise ValueError(f"tokens has {len(tokens)} entries, probs has {len(probs)}")
    p = profile()
    # the same token label twice (e.g. two unknown tokens) must stay two bars: category by rank
    ranks = [str(i + 1) for i in range(len(tokens))]
    fig = go.Figure(go.Bar(
        y=ranks, x=list(probs), orientation="h", marker_color="#1f77b4",
        text=[f"{q:.3f}" for q in probs], textposition="outside", cliponaxis=False,
        textfont=dict(size=p.font), customdata=[shown(t) for t in tokens],
        hovertemplate=_("%{customdata}: probability %{x:.3f}") + "<extra></extra>"))
    fig = styled(fig, title=title if title is not None else _("Next token"),
                 x=_("probability"), y="", height=110 + 34 * max(len(tokens), 1))
    fig.update_yaxes(tickvals=ranks, ticktext=[shown(t) for t in tokens], autorange="reversed",
                     tickfont=dict(size=p.font + 2))
    fig.update_xaxes(range=[0, 1.25], tickvals=[0, 0.5, 1])
    fig.update_layout(hovermode="closest", showlegend=False, margin=dict(l=60, r=10, b=50))
    return fig
