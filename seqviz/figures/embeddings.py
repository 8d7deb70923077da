"""Embedding figures: the labelled 2-D map, word2vec loss, analogy accuracy, neighbour tables.

Pure builders (arrays and labels in, ``go.Figure`` or rows out). The map is drawn with equal
axis scales, so distances and the analogy parallelogram (Mikolov, Yih and Zweig 2013: king −
man + woman ≈ queen) look as they are; points are coloured by word category or by frequency,
every point has a hover label, and search matches are drawn on top with their labels.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from seqviz.figures.style import FONT_SIZE, PALETTE, check_same_length, styled
from seqviz.figures.training import ema

CATEGORY_COLOURS = qualitative.Dark24 + qualitative.Light24
MAX_TEXT = 80  # points labelled on the map itself; the rest on hover
MAX_CURVE = 2000  # points per curve; longer histories are thinned evenly


def _thin(*arrays: Sequence, limit: int = MAX_CURVE) -> list[np.ndarray]:
    n = len(arrays[0])
    idx = np.unique(np.linspace(0, n - 1, limit).astype(int)) if n > limit else np.arange(n)
    return [np.asarray(a)[idx] for a in arrays]


def _xy(coords) -> np.ndarray:
    xy = np.asarray(coords, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"coords must have shape (N, 2), got {xy.shape}")
    return xy


def label_mask(xy: np.ndarray, labels: Sequence[str], max_text: int = MAX_TEXT,
               size_px: float = 620.0, font_px: float = FONT_SIZE - 2) -> np.ndarray:
    """Which points get a text label: greedily in row order (most frequent first), skipping
    any whose label box would overlap one already placed, at most ``max_text``.

    The boxes assume a plot of about ``size_px`` pixels per axis: a label is ~0.6 em wide per
    character and 1.2 em tall, drawn above its point.
    """
    n = len(labels)
    out = np.zeros(n, bool)
    if n == 0 or max_text <= 0:
        return out
    span = np.ptp(xy, axis=0)
    per_px = np.where(span > 0, span, 1.0) / size_px  # data units per pixel, (2,)
    placed: list[tuple[float, float, float, float]] = []
    for i in range(n):
        w = 0.6 * font_px * max(len(labels[i]), 1) * per_px[0]
        h = 1.2 * font_px * per_px[1]
        box = (xy[i, 0] - w / 2, xy[i, 0] + w / 2, xy[i, 1], xy[i, 1] + h)
        if all(box[1] < b[0] or box[0] > b[1] or box[3] < b[2] or box[2] > b[3] for b in placed):
            placed.append(box)
            out[i] = True
            if len(placed) >= max_text:
                break
    return out


def _group_order(groups: Sequence[str]) -> list[str]:
    order = list(dict.fromkeys(groups))
    tail = [g for g in ("other", "unknown") if g in order]
    return [g for g in order if g not in tail] + tail


def scatter_figure(coords, labels: Sequence[str], *, groups: Sequence[str] | None = None,
                   counts: Sequence[float] | None = None, colour: str = "category",
                   highlight: Sequence[bool] | None = None,
                   parallelogram: dict | None = None, short: Sequence[str] | None = None,
                   title: str = "Embedding map",
                   axes: tuple[str, str] = ("dimension 1", "dimension 2"),
                   max_text: int = MAX_TEXT, height: int = 700) -> go.Figure:
    """Labelled scatter of N points (N, 2).

    ``colour="category"`` needs ``groups`` (one legend entry each); ``"frequency"`` needs
    ``counts`` (log10 colour scale). ``highlight`` (N,) bools marks search matches: they are
    drawn on top, larger and labelled, the rest fade. ``parallelogram`` is the dict made by
    :func:`parallelogram`. Up to ``max_text`` points carry text labels, most frequent first,
    skipping labels that would overlap (:func:`label_mask`); every point has a hover label.
    ``short`` (N,) replaces the on-map text (hidden states: the token, with its context on hover).
    """
    xy = _xy(coords)
    n = check_same_length(coords=xy, labels=labels)
    labels = [str(s) for s in labels]
    shown = labels if short is None else [str(s) for s in short]
    check_same_length(coords=xy, short=shown)
    if colour == "category":
        if groups is None:
            raise ValueError("colour='category' needs groups")
        check_same_length(coords=xy, groups=groups)
    elif colour == "frequency":
        if counts is None:
            raise ValueError("colour='frequency' needs counts")
        check_same_length(coords=xy, counts=counts)
    else:
        raise ValueError(f"colour must be 'category' or 'frequency', got {colour!r}")
    hi = np.zeros(n, bool) if highlight is None else np.asarray(highlight, bool)
    check_same_length(coords=xy, highlight=hi)
    searching = bool(hi.any())
    text_on = label_mask(xy, shown, max_text)
    fade = 0.25 if searching else 0.85
    fig = go.Figure()
    hover = "%{customdata}<extra></extra>"
    if colour == "category":
        for i, g in enumerate(_group_order(groups)):
            idx = np.flatnonzero(np.asarray(groups) == g)
            show = [] if searching else idx[text_on[idx]]
            fig.add_trace(go.Scatter(
                x=xy[idx, 0], y=xy[idx, 1], mode="markers+text" if len(show) else "markers",
                name=g, customdata=[labels[j] for j in idx], hovertemplate=hover,
                text=[shown[j] if (text_on[j] and not searching) else "" for j in idx],
                textposition="top center", textfont=dict(size=FONT_SIZE - 2, color="#222"),
                marker=dict(size=9, color=CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)],
                            opacity=fade)))
    else:
        c = np.log10(np.maximum(np.asarray(counts, float), 1.0))
        fig.add_trace(go.Scatter(
            x=xy[:, 0], y=xy[:, 1], mode="markers+text", name="words",
            customdata=[f"{s} · {int(k):,}×" for s, k in zip(labels, counts)],
            hovertemplate=hover, showlegend=False,
            text=[s if (text_on[j] and not searching) else "" for j, s in enumerate(shown)],
            textposition="top center", textfont=dict(size=FONT_SIZE - 2, color="#222"),
            marker=dict(size=9, color=c, colorscale="Viridis", opacity=fade, showscale=True,
                        colorbar=dict(title="log10 count"))))
    if searching:
        idx = np.flatnonzero(hi)
        corners = {w for w, _ in parallelogram.values()} if parallelogram else set()
        fig.add_trace(go.Scatter(
            x=xy[idx, 0], y=xy[idx, 1], mode="markers+text", name=f"search: {len(idx)} match(es)",
            text=["" if labels[j] in corners else shown[j] for j in idx],  # no double labels
            customdata=[labels[j] for j in idx],
            hovertemplate=hover, textposition="top center",
            textfont=dict(size=FONT_SIZE, color="black"),
            marker=dict(size=14, color="#ffdd00", line=dict(color="black", width=2))))
    if parallelogram:
        _draw_parallelogram(fig, parallelogram)
    fig = styled(fig, title=title, x=axes[0], y=axes[1], height=height)
    # legend at the right: the map's height is what the equal axis scales can use
    fig.update_layout(hovermode="closest", legend=dict(orientation="v", x=1.02, xanchor="left",
                                                       y=1.0, yanchor="top"))
    fig.update_yaxes(scaleanchor="x", scaleratio=1)  # equal scales: true distances and angles
    return fig


def parallelogram(coords, labels: Sequence[str], a: str, b: str, c: str, d: str) -> dict:
    """Corners of a - b + c ≈ d in the map; KeyError naming a word that is not drawn."""
    xy = _xy(coords)
    pos = {s: i for i, s in enumerate(labels)}
    missing = [w for w in (a, b, c, d) if w not in pos]
    if missing:
        raise KeyError(", ".join(missing))
    return {w_name: (w, xy[pos[w]]) for w_name, w in zip("abcd", (a, b, c, d))}


def _draw_parallelogram(fig: go.Figure, p: dict) -> None:
    (a, pa), (b, pb), (c, pc), (d, pd) = p["a"], p["b"], p["c"], p["d"]
    ideal = pa - pb + pc  # where d would sit if the map kept vector arithmetic
    for (u, pu), (v, pv), colour, name in (((b, pb), (a, pa), PALETTE[1], f"{b} → {a}"),
                                           ((c, pc), (d, pd), PALETTE[1], f"{c} → {d}"),
                                           ((b, pb), (c, pc), PALETTE[2], f"{b} → {c}"),
                                           ((a, pa), (d, pd), PALETTE[2], f"{a} → {d}")):
        fig.add_annotation(x=pv[0], y=pv[1], ax=pu[0], ay=pu[1], xref="x", yref="y", axref="x",
                           ayref="y", showarrow=True, arrowhead=3, arrowwidth=3,
                           arrowcolor=colour, text="")
        fig.add_trace(go.Scatter(x=[pu[0], pv[0]], y=[pu[1], pv[1]], mode="lines", name=name,
                                 line=dict(color=colour, width=3), hoverinfo="skip",
                                 showlegend=False))
    fig.add_trace(go.Scatter(
        x=[pa[0], pb[0], pc[0], pd[0]], y=[pa[1], pb[1], pc[1], pd[1]], mode="markers+text",
        text=[a, b, c, d], name=f"{a} − {b} + {c} ≈ {d}",
        # a and c above, b and d below: the pairs a/d and b/c often sit close together
        textposition=["top center", "bottom center", "top center", "bottom center"],
        textfont=dict(size=FONT_SIZE + 2, color="black"), hoverinfo="text",
        marker=dict(size=16, color="white", line=dict(color="black", width=3))))
    fig.add_trace(go.Scatter(
        x=[ideal[0]], y=[ideal[1]], mode="markers", name=f"{a} − {b} + {c} in the map",
        marker=dict(size=18, symbol="star-open", color="black", line=dict(width=2)),
        hovertemplate=f"{a} − {b} + {c} computed in 2-D<extra></extra>"))


def w2v_loss_figure(steps: Sequence[int], losses: Sequence[float], *, negatives: int | None = None,
                    title: str = "word2vec loss (negative sampling)") -> go.Figure:
    """Loss per (word, context) pair: raw and smoothed; the uniform-guess level dashed."""
    check_same_length(steps=steps, losses=losses)
    smooth = ema(losses) if len(losses) else np.array([])
    s, raw, sm = _thin(steps, losses, smooth)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=s, y=raw, mode="lines", name="loss per step",
                             line=dict(color=PALETTE[0], width=1), opacity=0.35))
    fig.add_trace(go.Scatter(x=s, y=sm, mode="lines", name="smoothed",
                             line=dict(color=PALETTE[0], width=3)))
    if negatives is not None:
        level = (1 + negatives) * np.log(2)  # every score 0: σ = 1/2 for target and noise words
        end = max(int(s[-1]) if len(s) else 1, 1)
        fig.add_trace(go.Scatter(x=[0, end], y=[level, level], mode="lines",
                                 name=f"all scores 0: {level:.2f}",
                                 line=dict(color="#7f7f7f", dash="dash", width=2)))
    return styled(fig, title=title, x="training step", y="loss per pair (nats)", height=380)


def analogy_accuracy_figure(steps: Sequence[int], series: dict[str, Sequence[float]],
                            title: str = "Analogy accuracy (top-1, query words excluded)"
                            ) -> go.Figure:
    """Accuracy in % over training steps, one line per relation (e.g. all / gender / plural)."""
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        check_same_length(steps=steps, **{name: values})
        s, v = _thin(steps, values)
        fig.add_trace(go.Scatter(x=s, y=100 * np.asarray(v, float), mode="lines", name=name,
                                 line=dict(color=PALETTE[(i + 1) % len(PALETTE)],
                                           width=4 if i == 0 else 2)))
    fig = styled(fig, title=title, x="training step", y="correct (%)", height=380)
    fig.update_yaxes(range=[-3, 103])
    return fig


def neighbour_rows(results: Sequence[tuple[str, float]], rank: bool = True) -> list[dict]:
    """Rows for a table: (rank,) word, cosine with three decimals."""
    return [({"rank": i + 1} if rank else {}) | {"word": w, "cosine": round(float(s), 3)}
            for i, (w, s) in enumerate(results)]
