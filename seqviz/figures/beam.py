"""The beam-search tree: every expanded candidate, pruned ones greyed, greedy path and finals marked.

Arrays in, figure out: node i has a parent index (-1 for the start), an output position, a
token label, its cumulative log P and normalised score, and a status ("kept", "pruned",
"finished", "greedy"). Leaves are stacked top to bottom in depth-first order and each parent
sits at the mean height of its children, so the tree reads left to right like the search.
"""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from seqviz.figures.style import FONT_SIZE, check_same_length, styled

STATUS_STYLE = {  # colour, marker symbol, label in the legend
    "kept": ("#1f77b4", "circle", "kept in the beam"),
    "pruned": ("#c7c7c7", "circle-open", "pruned"),
    "finished": ("#2ca02c", "star", "finished (end token)"),
    "greedy": ("#ff7f0e", "diamond", "greedy only (left the beam)"),
}
MAX_TEXT_NODES = 400  # beyond this, token labels move to hover only


def _layout(parents: Sequence[int]) -> list[float]:
    """y for every node: leaves in DFS order, parents at the mean of their children."""
    children: dict[int, list[int]] = {}
    for i, p in enumerate(parents):
        children.setdefault(p, []).append(i)
    y: dict[int, float] = {}
    counter = [0]

    def place(i: int) -> float:
        kids = children.get(i, [])
        if not kids:
            y[i] = -float(counter[0])
            counter[0] += 1
        else:
            ys = [place(k) for k in kids]
            y[i] = sum(ys) / len(ys)
        return y[i]

    for root in children.get(-1, []):
        place(root)
    return [y[i] for i in range(len(parents))]


def beam_tree_figure(parents: Sequence[int], steps: Sequence[int], labels: Sequence[str],
                     logps: Sequence[float], scores: Sequence[float], statuses: Sequence[str], *,
                     greedy: Sequence[int] = (), finals: Sequence[int] = (), best: int | None = None,
                     start_label: str = "<s>", title: str = "Beam search tree") -> go.Figure:
    n = check_same_length(parents=parents, steps=steps, labels=labels, logps=logps,
                          scores=scores, statuses=statuses)
    bad = sorted({s for s in statuses if s not in STATUS_STYLE})
    if bad:
        raise ValueError(f"unknown node status {bad}; expected one of {list(STATUS_STYLE)}")
    ys = _layout(parents)
    root_y = (sum(ys[i] for i in range(n) if parents[i] == -1) /
              max(1, sum(1 for p in parents if p == -1))) if n else 0.0
    fig = go.Figure()

    def edge_trace(ids, colour, width, name, dash=None, show=True):
        xs, yv = [], []
        for i in ids:
            p = parents[i]
            xs += [steps[p] if p >= 0 else 0, steps[i], None]
            yv += [ys[p] if p >= 0 else root_y, ys[i], None]
        fig.add_trace(go.Scatter(x=xs, y=yv, mode="lines", name=name, showlegend=show,
                                 line=dict(color=colour, width=width, dash=dash),
                                 hoverinfo="skip"))

    edge_trace(range(n), "#d9d9d9", 1, "edges", show=False)
    final_path = _ancestors(parents, finals)
    edge_trace(sorted(final_path), "#1f77b4", 3, "final beams")
    if best is not None:
        edge_trace(sorted(_ancestors(parents, [best])), "#2ca02c", 7, "best (normalised score)")
    edge_trace(sorted(_ancestors(parents, greedy[-1:])), "#ff7f0e", 3, "greedy path", dash="dot")
    show_text = n <= MAX_TEXT_NODES
    for status, (colour, symbol, name) in STATUS_STYLE.items():
        ids = [i for i in range(n) if statuses[i] == status]
        if not ids:
            continue
        fig.add_trace(go.Scatter(
            x=[steps[i] for i in ids], y=[ys[i] for i in ids], name=name,
            mode="markers+text" if show_text else "markers",
            text=[labels[i] for i in ids], textposition="middle right",
            textfont=dict(size=FONT_SIZE, color="#999" if status == "pruned" else "#111"),
            marker=dict(color=colour, symbol=symbol, size=12 if status != "finished" else 16,
                        line=dict(width=1, color=colour)),
            customdata=[[i, logps[i], scores[i]] for i in ids],
            # a click selects a point; keep every other node fully visible all the same
            selected=dict(marker=dict(size=20, color="#d62728")),
            unselected=dict(marker=dict(opacity=1.0),
                            textfont=dict(color="#999" if status == "pruned" else "#111")),
            hovertemplate="token %{text}<br>log P = %{customdata[1]:.3f}<br>"
                          "score = %{customdata[2]:.3f}<br>node %{customdata[0]}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[0], y=[root_y], mode="markers+text", text=[start_label],
                             textposition="middle left", name="start",
                             marker=dict(color="black", size=12), hoverinfo="skip"))
    fig = styled(fig, title=title, x="output position", y="", height=max(420, 26 * _leaves(parents) + 160))
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, title_text=None)
    fig.update_xaxes(dtick=1)
    fig.update_layout(hovermode="closest", margin=dict(t=130),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0, xanchor="left"))
    return fig


def _ancestors(parents: Sequence[int], ids: Sequence[int]) -> set[int]:
    out: set[int] = set()
    for i in ids:
        while i >= 0 and i not in out:
            out.add(i)
            i = parents[i]
    return out


def _leaves(parents: Sequence[int]) -> int:
    has_child = set(parents)
    return sum(1 for i in range(len(parents)) if i not in has_child)


def error_tally_figure(counts: dict[int, dict[str, int]], alpha: float, n: int) -> go.Figure:
    """Stacked bars: correct / search error / model error per beam width."""
    widths = sorted(counts)
    fig = go.Figure()
    colours = {"correct": "#2ca02c", "search error": "#ff7f0e", "model error": "#d62728"}
    for kind, colour in colours.items():
        fig.add_trace(go.Bar(x=[str(b) for b in widths], y=[counts[b][kind] for b in widths],
                             name=kind, marker_color=colour,
                             text=[counts[b][kind] for b in widths], textposition="inside"))
    fig.update_layout(barmode="stack")
    return styled(fig, title=f"Outcomes over {n} held-out examples (α = {alpha:g})",
                  x="beam width B", y="examples")
