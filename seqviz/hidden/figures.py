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

from seqviz.figures.style import PALETTE, check_same_length, font_size, profile, styled
from seqviz.hidden.coloured_text import display_token, token_width
from seqviz.i18n import N_, _

PLOT_PX = {"normal": 1150, "present": 760}  # plot width a time axis may count on (1500 / 1024)
GATE_LABELS = {  # English source strings, translated where drawn
    "i": N_("input gate i"), "f": N_("forget gate f"), "o": N_("output gate o"),
    "g": N_("candidate g"), "c": N_("cell state c"), "r": N_("reset gate r"),
    "z": N_("update gate z"), "n": N_("candidate n"), "h": N_("hidden state h"),
    "pre": N_("pre-activation"),
}
SIGMOID_GATES = ("i", "f", "o", "r", "z")  # values in (0, 1): drawn in the top panel


def small_font() -> int:
    """Tick labels of token axes: a little smaller than the base type, except on a projector
    (presenter mode keeps every chart text at 20 px or more)."""
    p = profile()
    return p.font if p.name == "present" else p.font - 2


def unit_label(unit: int) -> str:
    """A unit's row label on the heatmap ("unit 12"; the page reads the number back)."""
    return _("unit {unit}").format(unit=unit)


def _tokens_fit(tokens: Sequence[str], font: int) -> bool:
    """Whether every token fits as a tick label: a monospace character is ~0.62 em wide (a CJK
    one two of those), plus a small gap between labels."""
    per_label = max((token_width(display_token(t) or "·") for t in tokens), default=1)
    return len(tokens) * (per_label * 0.62 * font + 4) <= PLOT_PX[profile().name]


def step_labels(tokens: Sequence[str]) -> list[str]:
    """Unique category per step: "position token" (hover text)."""
    return [f"{t} {display_token(tok)}" for t, tok in enumerate(tokens)]


def time_axis(labels: list[str], tokens: Sequence[str]) -> dict:
    """A categorical time axis: every token as a tick label when they fit the plot's width at
    the current type size (words are slanted, so each needs about one character of width);
    else (a thinned row of letters is unreadable) round positions, the token still in the hover
    text."""
    size = small_font()
    words = any(len(t) > 2 for t in tokens)
    fits = _tokens_fit(["x"] * len(tokens) if words else tokens, size)
    if fits:
        idx = list(range(len(labels)))
        text = [display_token(tokens[i]) or "·" for i in idx]
        font = dict(size=size, family="monospace")
        angle = -50 if words else 0
    else:
        most = 20 if profile().name == "normal" else 12  # position labels on the axis
        every = next(s for s in (2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 10**9)
                     if len(labels) / s <= most)
        idx = list(range(0, len(labels), every))
        text, font, angle = [str(i) for i in idx], dict(size=size), 0
    return dict(type="category", tickmode="array", tickvals=[labels[i] for i in idx],
                ticktext=text, tickangle=angle, tickfont=font,
                title=dict(text=_("token (time step t)") if fits
                           else _("time step t (hover for the token)")))


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
                   *, scores: Sequence[float] | None = None, score_label: str | None = None,
                   selected_unit: int | None = None, span: tuple[int, int] | None = None,
                   title: str | None = None, value_label: str = "h") -> go.Figure:
    """Units (rows, in ``order``) x time (columns) of ``values`` (T, H), with a bar per unit of
    ``scores`` (H,) beside it; clicking a bar selects that unit. ``score_label`` and ``title``
    come translated (the defaults are translated here)."""
    values = _check_states(values, tokens)
    order = np.arange(values.shape[1]) if order is None else np.asarray(order, dtype=int)
    if order.size == 0 or order.min() < 0 or order.max() >= values.shape[1]:
        raise ValueError(f"order must index the {values.shape[1]} units")
    scores = values.var(axis=0) if scores is None else np.asarray(scores, dtype=float)
    if len(scores) != values.shape[1]:
        raise ValueError(f"scores have {len(scores)} entries but there are {values.shape[1]} units")
    labels, rows = np.asarray(step_labels(tokens)), np.asarray([unit_label(u) for u in order])
    score_label = _("variance") if score_label is None else score_label
    zmax = colour_range(values)
    colours = [PALETTE[1] if u == selected_unit else "#9aa5b1" for u in order]
    data = [  # plain dicts and explicit axis domains: several times faster than make_subplots
        dict(type="heatmap", z=values[:, order].T, x=labels, y=rows, zmid=0, zmin=-zmax,
             zmax=zmax, colorscale="RdBu", reversescale=True, name=_("activation"),
             colorbar=dict(title=dict(text=value_label), x=1.0, xanchor="left", len=0.8),
             hovertemplate=_("{unit} · time step {step}").format(unit="%{y}", step="%{x}")
                           + "<br>" + value_label + " = %{z:.3f}<extra></extra>"),
        dict(type="bar", x=scores[order], y=rows, orientation="h", xaxis="x2", yaxis="y",
             marker=dict(color=colours), name=score_label,
             hovertemplate="%{y}: " + score_label + " %{x:.3f}<br>"
                           + _("click to pick this unit") + "<extra></extra>")]
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
    fig = styled(fig, title=_("Hidden state h_t") if title is None else title, x="",
                 y=_("unit (click a bar on the right to pick one)"),
                 height=int(max(380, min(1000, 150 + 4 * len(order)))))
    fig.update_layout(
        xaxis=dict(domain=[0, 0.87], **time_axis(labels, tokens)),
        xaxis2=dict(domain=[0.88, 1.0], nticks=2, tickangle=0,  # a narrow strip: two ticks fit
                    title=dict(text=score_label, font=dict(size=small_font()))),
        yaxis=dict(autorange="reversed", showticklabels=len(order) <= 64),
        hovermode="closest", showlegend=False, clickmode="event+select",
        margin=dict(l=90, r=20, t=60, b=60))
    return fig


def gates_figure(series: dict[str, np.ndarray], means: dict[str, np.ndarray],
                 tokens: Sequence[str], *, unit: int, title: str | None = None) -> go.Figure:
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
        gate = _(GATE_LABELS[name])
        data.append(dict(type="scatter", x=labels, y=np.asarray(series[name], dtype=float),
                         mode="lines", name=_("{gate} (unit {unit})").format(gate=gate, unit=unit),
                         yaxis=axis, line=dict(color=colour, width=3)))
        if name in means:
            data.append(dict(type="scatter", x=labels, y=np.asarray(means[name], dtype=float),
                             mode="lines", name=_("{gate}, mean of all units").format(gate=gate),
                             yaxis=axis, line=dict(color=colour, width=2, dash="dot")))
    head = _("Gates of unit {unit}, step by step").format(unit=unit) if title is None else title
    present = profile().name == "present"
    fig = styled(go.Figure(data=data), title=head, x="", y="",
                 height=(780 if present else 600) if two else 460, legend_below=False)
    # the legend: right of the plot; under it on a projector, where the width is needed
    legend = dict(orientation="h", x=0, xanchor="left", y=-0.14, yanchor="top",
                  font=dict(size=font_size())) if present else \
        dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top",
             font=dict(size=small_font() - 1))
    layout = dict(xaxis=dict(anchor="y2" if two else "y", **time_axis(labels, tokens)),
                  legend=legend)
    if two:  # top panel: gates in (0, 1); bottom panel: candidate, cell and hidden state
        layout["yaxis"] = dict(domain=[0.56, 1.0], range=[-0.05, 1.05],
                               title=dict(text=_("gate value (0 = closed, 1 = open)")))
        layout["yaxis2"] = dict(domain=[0.0, 0.46], title=dict(text=_("candidate and states")))
    else:
        layout["yaxis"] = dict(title=dict(text=_("value")))
    fig.update_layout(**layout)
    return fig


def trajectory_figure(points: np.ndarray, tokens: Sequence[str], *,
                      explained: Sequence[float] = (), background: np.ndarray | None = None,
                      max_labels: int = 120, title: str | None = None) -> go.Figure:
    """The path of the state through 2-D PCA space, one point per token, labelled by tokens;
    ``background`` (N, 2): corpus states in the same projection, drawn light grey."""
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must be (T, 2), got shape {points.shape}")
    check_same_length(points=points, tokens=tokens)
    fig = go.Figure()
    if background is not None and len(background):
        bg = np.asarray(background, dtype=float)
        # SVG, not WebGL: 2,048 points draw quickly, and a WebGL context cost the first look
        # ~0.15 s (README, "First chart")
        fig.add_trace(go.Scatter(x=bg[:, 0], y=bg[:, 1], mode="markers",
                                 name=_("states on the validation text"),
                                 marker=dict(size=4, color="#cfd6dd"), hoverinfo="skip"))
    every = max(1, int(np.ceil(len(tokens) / max_labels)))
    text = [display_token(tok) if t % every == 0 else "" for t, tok in enumerate(tokens)]
    fig.add_trace(go.Scatter(
        x=points[:, 0], y=points[:, 1], mode="lines+markers+text", text=text,
        textposition="top center", textfont=dict(size=small_font(), family="monospace"),
        customdata=step_labels(tokens), name=_("probe text"),
        line=dict(color="rgba(80,80,80,0.45)", width=1.5),
        marker=dict(size=9, color=np.arange(len(tokens)), colorscale="Viridis",
                    colorbar=dict(title=dict(text=_("time step t")), len=0.8)),
        hovertemplate=_("time step {step}").format(step="%{customdata}") + "<extra></extra>"))
    for idx, label, colour in ((0, _("start"), PALETTE[2]),
                               (len(tokens) - 1, _("end"), PALETTE[1])):
        fig.add_annotation(x=points[idx, 0], y=points[idx, 1], text=label, showarrow=True,
                           arrowhead=2, ax=30, ay=-30, font=dict(color=colour, size=font_size()))
    axes = [_("PC {k} ({share} of the variance)").format(k=k + 1, share=f"{explained[k]:.0%}")
            if k < len(explained) else _("PC {k}").format(k=k + 1) for k in range(2)]
    fig = styled(fig, title=_("Hidden-state trajectory") if title is None else title,
                 x=axes[0], y=axes[1], height=560)
    fig.update_layout(hovermode="closest")
    return fig


def topk_figure(candidates: Sequence[str], probs: Sequence[float], *, actual: str | None = None,
                context: str = "", title: str | None = None) -> go.Figure:
    """The model's top-K next tokens as horizontal bars, the token that really came next in red."""
    check_same_length(candidates=candidates, probs=probs)
    shown = [display_token(c) or "·" for c in candidates]
    colours = [PALETTE[1] if c == actual else PALETTE[0] for c in candidates]
    fig = go.Figure(go.Bar(x=list(probs), y=shown, orientation="h", marker_color=colours,
                           text=[f"{p:.1%}" for p in probs], textposition="auto",
                           hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    if title is None:
        title = _("Next-token prediction after “{context}”").format(
            context=display_token(context)) if context else _("Next-token prediction")
    fig = styled(fig, title=title, x=_("probability"), y=_("candidate next token"), height=360)
    fig.update_yaxes(autorange="reversed", tickfont=dict(family="monospace", size=font_size() + 2))
    fig.update_xaxes(range=[0, 1])
    fig.update_layout(hovermode="closest")
    return fig


def surprisal_figure(tokens: Sequence[str], model: Sequence[float],
                     baseline: Sequence[float] | None = None, *, model_name: str = "RNN",
                     baseline_name: str = "n-gram", title: str | None = None) -> go.Figure:
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
                                 name=_("{name}: mean {mean} nats").format(
                                     name=name, mean=f"{mean:.2f}"),
                                 line=dict(color=colour, width=2), marker=dict(size=5)))
    title = _("Surprisal of each token (lower = expected)") if title is None else title
    fig = styled(fig, title=title, x="", y=_("surprisal −ln p (nats)"), legend_below=False)
    fig.update_layout(xaxis=time_axis(labels, tokens),  # legend above: slanted words below
                      legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"))
    return fig
