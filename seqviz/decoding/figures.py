"""The beam-search tree: every expanded candidate, pruned ones greyed, greedy path and finals marked.

Arrays in, figure out: node i has a parent index (-1 for the start), an output position, a
token label, its cumulative log P and normalised score, and a status ("kept", "pruned",
"finished", "greedy"). The tree reads left to right like the search, one column per output
position (``tree_layout``), so its height grows with the beam, not with the output's length:
at most ``MAX_PLOT_PX`` of plot whatever the settings. When the labelled layout would be taller,
or the output longer than ``LABELLED_STEPS`` (columns too narrow for every label), pruned
candidates shrink to small unlabelled dots (their token is in the hover text).

Token labels are data (model tokens, any script: Chinese characters included) and are drawn as
given (escaped for plotly's pseudo-HTML); everything else is translated here.
"""

from __future__ import annotations

import html
from typing import Sequence

import plotly.graph_objects as go

from seqviz.decoding.tree_layout import layered_layout
from seqviz.figures.style import check_same_length, house_axis, house_layout, profile
from seqviz.i18n import N_, _

STATUS_STYLE = {  # colour, marker symbol, legend name (translated where shown)
    "kept": ("#1f77b4", "circle", N_("kept in the beam")),
    "pruned": ("#b0b0b0", "circle-open", N_("pruned")),
    "finished": ("#2ca02c", "star", N_("finished (end token)")),
    "greedy": ("#ff7f0e", "diamond", N_("greedy only (left the beam)")),
}
MAX_PLOT_PX = 1100  # the tree's plot area never grows beyond this (normal type)
MIN_PLOT_PX = 160  # a single path still gets a readable plot
LEGEND_ROWS = 3  # room kept under the plot for the legend (plotly makes more if it wraps more)
COMPACT = 0.3  # rows a pruned dot takes once labels no longer fit
LABELLED_STEPS = 16  # longer outputs leave a column too narrow for pruned nodes' labels
MAX_TEXT_NODES = 600  # beyond this many labels, token labels move to hover only


def shown(token: str) -> str:
    """A token as plotly must be given it: its text is pseudo-HTML, so "<s>" (strike-through)
    or "<unk>" would vanish unless escaped."""
    return html.escape(token, quote=False)


def _rows(parents, steps, logps, statuses, compact: bool) -> tuple[list[float], list[float]]:
    small = [compact and s == "pruned" for s in statuses]
    heights = [COMPACT if c else 1.0 for c in small]
    weights = [1.0 if s == "pruned" else 4.0 for s in statuses]
    ranks = [-lp for lp in logps]
    anchors = [s != "pruned" for s in statuses]
    return layered_layout(parents, steps, ranks, heights, weights, anchors), heights


def tree_rows(parents: Sequence[int], steps: Sequence[int], logps: Sequence[float],
              statuses: Sequence[str], row_px: float, max_px: float
              ) -> tuple[list[float], bool, float]:
    """(row of every node, whether pruned nodes are compact dots, px per row) so that the tree
    fits ``max_px``: labelled rows if they fit and the output is short enough for a pruned
    label to have room beside the next column, compact pruned dots if not, and rows squeezed
    below ``row_px`` only if even that is too tall."""
    compact = max(steps, default=0) > LABELLED_STEPS
    ys, _h = _rows(parents, steps, logps, statuses, compact=compact)
    if not compact and _span(ys) * row_px > max_px:
        compact = True
        ys, _h = _rows(parents, steps, logps, statuses, compact=True)
    return ys, compact, min(row_px, max_px / max(_span(ys), 1.0))


def _span(ys: Sequence[float]) -> float:
    return (max(ys) - min(min(ys), 0.0) + 1.0) if ys else 1.0


def beam_tree_figure(parents: Sequence[int], steps: Sequence[int], labels: Sequence[str],
                     logps: Sequence[float], scores: Sequence[float], statuses: Sequence[str], *,
                     greedy: Sequence[int] = (), finals: Sequence[int] = (), best: int | None = None,
                     start_label: str = "<s>", title: str | None = None) -> go.Figure:
    n = check_same_length(parents=parents, steps=steps, labels=labels, logps=logps,
                          scores=scores, statuses=statuses)
    bad = sorted({s for s in statuses if s not in STATUS_STYLE})
    if bad:
        raise ValueError(f"unknown node status {bad}; expected one of {list(STATUS_STYLE)}")
    p = profile()
    scale = p.font / 16  # markers grow with the type in presenter mode
    row_px = round(p.font * 1.45)
    ys, compact, row_px = tree_rows(parents, steps, logps, statuses, row_px,
                                    MAX_PLOT_PX * scale)
    traces = []  # built as plain dicts and validated once by go.Figure: 3x cheaper than
    # adding go.Scatter traces and updating the layout piece by piece (the page's beam-width
    # slider builds a new tree each time)

    def edges(ids, colour, width, name, dash=None, show=True):
        xs, yv = [], []
        for i in ids:
            xs += [steps[parents[i]] if parents[i] >= 0 else 0, steps[i], None]
            yv += [ys[parents[i]] if parents[i] >= 0 else 0.0, ys[i], None]
        traces.append(dict(type="scatter", x=xs, y=yv, mode="lines", name=name,
                           showlegend=show, hoverinfo="skip",
                           line=dict(color=colour, width=width * scale, dash=dash)))

    edges(range(n), "#dcdcdc", 1, "edges", show=False)
    edges(sorted(_ancestors(parents, finals)), "#1f77b4", 3, _("final beams"))
    if best is not None:
        edges(sorted(_ancestors(parents, [best])), "#2ca02c", 7, _("best (normalised score)"))
    edges(sorted(_ancestors(parents, greedy[-1:])), "#ff7f0e", 3, _("greedy path"), dash="dot")
    hover = _("token %{text}<br>log P = %{customdata[1]:.3f}<br>score = %{customdata[2]:.3f}"
              "<br>node %{customdata[0]}") + "<extra></extra>"
    live = sum(1 for s in statuses if s != "pruned")
    for status, (colour, symbol, name) in STATUS_STYLE.items():
        ids = [i for i in range(n) if statuses[i] == status]
        # labels for the beam's own nodes; pruned ones only while every label has its row
        text = live <= MAX_TEXT_NODES if status != "pruned" else n <= MAX_TEXT_NODES and \
            not compact
        if ids:
            traces.append(_nodes(ids, status, colour, symbol, _(name), steps, ys, labels,
                                 logps, scores, hover, scale, text=text))
    traces.append(dict(type="scatter", x=[0], y=[0.0], mode="markers+text",
                       text=[shown(start_label)], unselected=dict(marker=dict(opacity=1.0)),
                       textposition="middle left", name=_("start"),
                       textfont=dict(size=p.font), hoverinfo="skip",
                       marker=dict(color="black", size=12 * scale)))
    layout = _tree_layout(title, ys, max(steps, default=1), row_px, p)
    return go.Figure({"data": traces, "layout": layout})


def _nodes(ids, status, colour, symbol, name, steps, ys, labels, logps, scores, hover, scale,
           text: bool) -> dict:
    ink = "#8a8a8a" if status == "pruned" else "#111"
    size = {"finished": 16, "pruned": 7 if not text else 11}.get(status, 12) * scale
    return dict(
        type="scatter", x=[steps[i] for i in ids], y=[ys[i] for i in ids], name=name,
        mode="markers+text" if text else "markers",
        text=[shown(labels[i]) for i in ids], textposition="middle right",
        textfont=dict(size=profile().font, color=ink),
        marker=dict(color=colour, symbol=symbol, size=size, line=dict(width=1, color=colour)),
        customdata=[[i, logps[i], scores[i]] for i in ids],
        # a click selects a point; keep every other node fully visible all the same
        selected=dict(marker=dict(size=20 * scale, color="#d62728")),
        unselected=dict(marker=dict(opacity=1.0), textfont=dict(color=ink)),
        hovertemplate=hover)


def _tree_layout(title: str | None, ys: list[float], last_step: int, row_px: float,
                 p) -> dict:
    """Height from the rows (bounded), the legend under the plot (never over the title)."""
    top, bottom = min(min(ys, default=0.0), 0.0) - 0.8, max(ys, default=0.0) + 0.8
    plot_px = max((bottom - top) * row_px, MIN_PLOT_PX)
    below = p.font + p.axis_title + 44  # tick labels and axis title, then the legend
    margin_t, margin_b = p.title + 40, below + LEGEND_ROWS * (p.font + 14)
    layout = house_layout(title if title is not None else _("Beam search tree"), 100,
                          legend_below=False)
    layout.update(
        height=round(plot_px + margin_t + margin_b), hovermode="closest", showlegend=True,
        margin=dict(t=margin_t, b=margin_b, l=70, r=30),
        legend=dict(layout["legend"], orientation="h", yanchor="top", y=-below / plot_px, x=0,
                    xanchor="left", font=dict(size=p.font)),
        xaxis=dict(house_axis(_("output position")), dtick=1, range=[-0.7, last_step + 0.9]),
        yaxis=dict(house_axis(""), showticklabels=False, showgrid=False, zeroline=False,
                   title=None, range=[bottom, top], fixedrange=True))
    return layout


def _ancestors(parents: Sequence[int], ids: Sequence[int]) -> set[int]:
    out: set[int] = set()
    for i in ids:
        while i >= 0 and i not in out:
            out.add(i)
            i = parents[i]
    return out
