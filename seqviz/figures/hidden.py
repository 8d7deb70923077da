"""Figures for hidden states: unit x time heatmap, gate curves, 2-D trajectory, next-token
predictions and surprisal.

The heatmap is LSTMVis's overview (Strobelt et al. 2018) and the classic char-RNN picture
(Karpathy, Johnson and Fei-Fei 2015): one row per unit, one column per token, a diverging scale
centred at 0. Gate curves follow the LSTM (Hochreiter & Schmidhuber 1997) and GRU (Cho et al.
2014) equations. Pure builders: arrays and token lists in, ``go.Figure`` out.

Time axes are categorical with one unique label per step ("12 ␣"), so hovering shows the token
and position; the visible tick labels are the tokens alone.

Shape letters: T time steps, H units, U displayed units, K candidates, N corpus states.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import FONT_SIZE, PALETTE, check_same_length, styled
from seqviz.figures.text import display_token

MAX_TICKS = 90  # up to this many tokens every one is a tick label; beyond, positions are
GATE_LABELS = {
    "i": "input gate i", "f": "forget gate f", "o": "output gate o", "g": "candidate g",
    "c": "cell state c", "r": "reset gate r", "z": "update gate z", "n": "candidate n",
    "h": "hidden state h", "pre": "pre-activation",
}
SIGMOID_GATES = ("i", "f", "o", "r", "z")  # values in (0, 1): drawn in the top panel


def step_labels(tokens: Sequence[str]) -> list[str]:
    """Unique category per step: "position token" (hover text)."""
    return [f"{t} {display_token(tok)}" for t, tok in enumerate(tokens)]


def time_axis(labels: list[str], tokens: Sequence[str]) -> dict:
    """A categorical time axis: every token as a tick label for short texts; for long ones (a
    thinned row of letters is unreadable) round positions, the token still in the hover text."""
    if len(labels) <= MAX_TICKS:
        idx = list(range(len(labels)))
        text = [display_token(tokens[i]) or "·" for i in idx]
        font = dict(size=FONT_SIZE - 2, family="monospace")
        angle = 0 if all(len(t) <= 2 for t in text) else -50  # words: slanted so they fit
    else:
        every = next(s for s in (10, 20, 25, 50, 100, 200, 250, 500, 10**9)
                     if len(labels) / s <= 20)
        idx = list(range(0, len(labels), every))
        text, font, angle = [str(i) for i in idx], dict(size=FONT_SIZE - 2), 0
    return dict(type="category", tickmode="array", tickvals=[labels[i] for i in idx],
                ticktext=text, tickangle=angle, tickfont=font,
                title=dict(text="token (time step t)" if len(labels) <= MAX_TICKS
                           else "time step t (hover for the token)"))


def _check_states(values: np.ndarray, tokens: Sequence[str], name: str = "states") -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"{name} must be (T, H), got shape {values.shape}")
    if len(values) != len(tokens):
        raise ValueError(f"{name} have {len(values)} time steps but there are {len(tokens)} tokens")
    return values


def colour_range(values: np.ndarray) -> float:
    """Symmetric colour limit: the 99.5th percentile of |values| (one outlier cannot wash out
    the picture; hover still shows the exact value)."""
    finite = np.abs(values[np.isfinite(values)])
    return float(max(np.percentile(finite, 99.5), 1e-6)) if finite.size else 1.0


def heatmap_figure(values: np.ndarray, tokens: Sequence[str], order: Sequence[int] | None = None,
                   *, scores: Sequence[float] | None = None, score_label: str = "variance",
                   selected_unit: int | None = None, span: tuple[int, int] | None = None,
                   title: str = "Hidden state h_t", value_label: str = "h") -> go.Figure:
    """Units (rows, in ``order``) x time (columns) of ``values`` (T, H), with a bar per unit of
    ``scores`` (H,) beside it; clicking a bar selects that unit."""
    values = _check_states(values, tokens)
    order = np.arange(values.shape[1]) if order is None else np.asarray(order, dtype=int)
    if order.size == 0 or order.min() < 0 or order.max() >= values.shape[1]:
        raise ValueError(f"order must index the {values.shape[1]} units")
    scores = values.var(axis=0) if scores is None else np.asarray(scores, dtype=float)
    if len(scores) != values.shape[1]:
        raise ValueError(f"scores have {len(scores)} entries but there are {values.shape[1]} units")
    labels, rows = np.asarray(step_labels(tokens)), np.asarray([f"unit {u}" for u in order])
    zmax = colour_range(values)
    colours = [PALETTE[1] if u == selected_unit else "#9aa5b1" for u in order]
    data = [  # plain dicts and explicit axis domains: several times faster than make_subplots
        dict(type="heatmap", z=values[:, order].T, x=labels, y=rows, zmid=0, zmin=-zmax,
             zmax=zmax, colorscale="RdBu", reversescale=True, name="activation",
             colorbar=dict(title=dict(text=value_label), x=1.0, xanchor="left", len=0.8),
             hovertemplate="%{y} · step %{x}<br>" + value_label + " = %{z:.3f}<extra></extra>"),
        dict(type="bar", x=scores[order], y=rows, orientation="h", xaxis="x2", yaxis="y",
             marker=dict(color=colours), name=score_label,
             hovertemplate="%{y}: " + score_label + " %{x:.3f}<br>click to pick this unit"
                           "<extra></extra>")]
    shapes = []
    if selected_unit is not None and selected_unit in set(order.tolist()):
        row = order.tolist().index(selected_unit)  # category index on the unit axis
        shapes.append(dict(type="rect", xref="x domain", x0=0, x1=1, yref="y", y0=row - 0.5,
                           y1=row + 0.5, line=dict(color="black", width=2)))
    if span is not None:
        shapes.append(dict(type="rect", xref="x", x0=span[0] - 0.5, x1=span[1] - 0.5,
                           yref="y domain", y0=0, y1=1, line=dict(color="black", width=2,
                                                                  dash="dot")))
    fig = go.Figure(data=data, layout=dict(shapes=shapes))
    fig = styled(fig, title=title, x="", y="unit (click a bar on the right to pick one)",
                 height=int(max(380, min(1000, 150 + 4 * len(order)))))
    fig.update_layout(
        xaxis=dict(domain=[0, 0.87], **time_axis(labels, tokens)),
        xaxis2=dict(domain=[0.88, 1.0], title=dict(text=score_label,
                                                   font=dict(size=FONT_SIZE - 2))),
        yaxis=dict(autorange="reversed", showticklabels=len(order) <= 64),
        hovermode="closest", showlegend=False, clickmode="event+select",
        margin=dict(l=90, r=20, t=60, b=60))
    return fig


def gates_figure(series: dict[str, np.ndarray], means: dict[str, np.ndarray],
                 tokens: Sequence[str], *, unit: int, title: str = "") -> go.Figure:
    """Gate values of one unit (solid) and their mean over all units (dotted), per step.

    ``series``/``means``: name -> (T,) for names in ``GATE_LABELS``; sigmoid gates go in the top
    panel (0..1), candidate, cell and hidden state in the bottom one."""
    if not series:
        raise ValueError("no gate series to draw")
    for name, arr in list(series.items()) + list(means.items()):
        if name not in GATE_LABELS:
            raise ValueError(f"unknown gate {name!r}; known: {', '.join(GATE_LABELS)}")
        check_same_length(tokens=tokens, **{name: arr})
    labels = np.asarray(step_labels(tokens))  # numpy: copied, not walked, by plotly
    two = any(name in SIGMOID_GATES for name in series)  # a plain RNN has no gates
    data = []
    for k, name in enumerate(series):
        axis = "y" if name in SIGMOID_GATES or not two else "y2"
        colour = PALETTE[k % len(PALETTE)]
        data.append(dict(type="scatter", x=labels, y=np.asarray(series[name], dtype=float),
                         mode="lines", name=f"{GATE_LABELS[name]} (unit {unit})", yaxis=axis,
                         line=dict(color=colour, width=3)))
        if name in means:
            data.append(dict(type="scatter", x=labels, y=np.asarray(means[name], dtype=float),
                             mode="lines", name=f"{GATE_LABELS[name]}, mean of units",
                             yaxis=axis, line=dict(color=colour, width=2, dash="dot")))
    fig = styled(go.Figure(data=data), title=title or f"Gates of unit {unit}, step by step",
                 x="", y="", height=600 if two else 420)
    layout = dict(xaxis=dict(anchor="y2" if two else "y", **time_axis(labels, tokens)),
                  legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top",
                              font=dict(size=FONT_SIZE - 3)))
    if two:  # top panel: gates in (0, 1); bottom panel: candidate, cell and hidden state
        layout["yaxis"] = dict(domain=[0.56, 1.0], range=[-0.05, 1.05],
                               title=dict(text="gate value (0 = closed, 1 = open)"))
        layout["yaxis2"] = dict(domain=[0.0, 0.46], title=dict(text="candidate and states"))
    else:
        layout["yaxis"] = dict(title=dict(text="value"))
    fig.update_layout(**layout)
    return fig


def trajectory_figure(points: np.ndarray, tokens: Sequence[str], *,
                      explained: Sequence[float] = (), background: np.ndarray | None = None,
                      max_labels: int = 120, title: str = "Hidden-state trajectory") -> go.Figure:
    """The path of the state through 2-D PCA space, one point per token, labelled by tokens;
    ``background`` (N, 2): corpus states in the same projection, drawn light grey."""
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must be (T, 2), got shape {points.shape}")
    check_same_length(points=points, tokens=tokens)
    fig = go.Figure()
    if background is not None and len(background):
        bg = np.asarray(background, dtype=float)
        fig.add_trace(go.Scattergl(x=bg[:, 0], y=bg[:, 1], mode="markers", name="corpus states",
                                   marker=dict(size=4, color="#cfd6dd"), hoverinfo="skip"))
    every = max(1, int(np.ceil(len(tokens) / max_labels)))
    text = [display_token(tok) if t % every == 0 else "" for t, tok in enumerate(tokens)]
    fig.add_trace(go.Scatter(
        x=points[:, 0], y=points[:, 1], mode="lines+markers+text", text=text,
        textposition="top center", textfont=dict(size=FONT_SIZE - 2, family="monospace"),
        customdata=step_labels(tokens), name="probe text",
        line=dict(color="rgba(80,80,80,0.45)", width=1.5),
        marker=dict(size=9, color=np.arange(len(tokens)), colorscale="Viridis",
                    colorbar=dict(title=dict(text="step t"), len=0.8)),
        hovertemplate="step %{customdata}<extra></extra>"))
    for idx, label, colour in ((0, "start", PALETTE[2]), (len(tokens) - 1, "end", PALETTE[1])):
        fig.add_annotation(x=points[idx, 0], y=points[idx, 1], text=label, showarrow=True,
                           arrowhead=2, ax=30, ay=-30, font=dict(color=colour, size=FONT_SIZE))
    axes = [f"PC {k + 1}" + (f" ({explained[k]:.0%} of variance)" if k < len(explained) else "")
            for k in range(2)]
    fig = styled(fig, title=title, x=axes[0], y=axes[1], height=560)
    fig.update_layout(hovermode="closest")
    return fig


def topk_figure(candidates: Sequence[str], probs: Sequence[float], *, actual: str | None = None,
                context: str = "", title: str = "") -> go.Figure:
    """The model's top-K next tokens as horizontal bars, the token that really came next in red."""
    check_same_length(candidates=candidates, probs=probs)
    shown = [display_token(c) or "·" for c in candidates]
    colours = [PALETTE[1] if c == actual else PALETTE[0] for c in candidates]
    fig = go.Figure(go.Bar(x=list(probs), y=shown, orientation="h", marker_color=colours,
                           text=[f"{p:.1%}" for p in probs], textposition="auto",
                           hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    head = title or "Next-token prediction"
    if context:
        head += f" after “{display_token(context)}”"
    fig = styled(fig, title=head, x="probability", y="candidate next token", height=360)
    fig.update_yaxes(autorange="reversed", tickfont=dict(family="monospace", size=FONT_SIZE + 2))
    fig.update_xaxes(range=[0, 1])
    fig.update_layout(hovermode="closest")
    return fig


def surprisal_figure(tokens: Sequence[str], model: Sequence[float],
                     baseline: Sequence[float] | None = None, *, model_name: str = "RNN",
                     baseline_name: str = "n-gram",
                     title: str = "Surprisal of each token (lower = expected)") -> go.Figure:
    """-ln p(token | what came before) per step for the model and an n-gram baseline."""
    check_same_length(tokens=tokens, model=model)
    labels = np.asarray(step_labels(tokens))
    fig = go.Figure()
    series = [(model_name, model, PALETTE[1])]
    if baseline is not None:
        check_same_length(tokens=tokens, baseline=baseline)
        series.append((baseline_name, baseline, "#7f7f7f"))
    for name, values, colour in series:
        arr = np.asarray(values, dtype=float)
        mean = np.nanmean(arr) if np.isfinite(arr).any() else float("nan")
        fig.add_trace(go.Scatter(x=labels, y=arr, mode="lines+markers",
                                 name=f"{name}: mean {mean:.2f} nats",
                                 line=dict(color=colour, width=2), marker=dict(size=5)))
    fig = styled(fig, title=title, x="", y="surprisal −ln p (nats)")
    fig.update_layout(xaxis=time_axis(labels, tokens),  # legend above: slanted words below
                      legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"))
    return fig
