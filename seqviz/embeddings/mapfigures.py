"""The labelled 2-D embedding map: built once for its points and style, then moved.

Equal axis scales, so distances and the analogy parallelogram (Mikolov, Yih and Zweig 2013:
king − man + woman ≈ queen) look as they are; points coloured by word category (names
translated) or by frequency; every point has a hover label; search matches drawn on top. Text
labels go where they overlap nothing (``seqviz.embeddings.labels``): the analogy's four words
first and always, then search matches, then the most frequent words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from seqviz.embeddings.categories import CATEGORY_COLOURS, CATEGORY_NAMES, category_name
from seqviz.embeddings.labels import PLOT_PX, Placement, place_labels
from seqviz.figures.style import PALETTE, check_same_length, font_size, styled, typed_array
from seqviz.i18n import _

OTHER_COLOURS = qualitative.Dark24 + qualitative.Light24  # groups that are no word category
MAX_TEXT = 80  # points labelled on the map itself; the rest on hover
MARKER = 9  # px
CORNER_MARKER = 16


def _xy(coords) -> np.ndarray:
    xy = np.asarray(coords, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"coords must have shape (N, 2), got {xy.shape}")
    return xy


def _group_order(groups: Sequence[str]) -> list[str]:
    """Word categories in one fixed order (the same legend in every language), other groups
    (a hidden state's next token) in order of appearance; "other" and "unknown" last."""
    seen = set(groups)
    known = [g for g in CATEGORY_NAMES if g in seen and g not in ("other", "unknown")]
    rest = [g for g in dict.fromkeys(groups) if g not in CATEGORY_NAMES]
    return known + rest + [g for g in ("other", "unknown") if g in seen]


@dataclass
class MapFigure:
    """A map figure built once for its points and style; ``moved_spec`` moves its dict."""

    fig: go.Figure
    rows: list[np.ndarray]  # per point trace (in ``fig.data`` order): its rows of ``coords``
    labelled: list[bool]  # per point trace: whether it carries text (searching: the matches')
    shown: list[str]  # the on-map text of every row ("" for the analogy's corners)
    labels: list[str]
    quad: tuple[str, str, str, str] | None  # the parallelogram's words
    corners: list[int]  # their rows
    para_at: int  # index in ``fig.data`` of the parallelogram's first trace
    order: list[int]  # rows in labelling priority (search matches, or all rows)
    max_text: int
    plot_px: tuple[float, float]


def map_figure(coords, labels: Sequence[str], *, groups: Sequence[str] | None = None,
               counts: Sequence[float] | None = None, colour: str = "category",
               highlight: Sequence[bool] | None = None,
               quad: tuple[str, str, str, str] | None = None,
               short: Sequence[str] | None = None, title: str | None = None,
               axes: tuple[str, str] | None = None, max_text: int = MAX_TEXT,
               height: int = 700, plot_px: tuple[float, float] = PLOT_PX) -> MapFigure:
    """Labelled scatter of N points (N, 2).

    ``colour="category"`` needs ``groups`` (one legend entry each, category names translated);
    ``"frequency"`` needs ``counts`` (log10 colour scale). ``highlight`` (N,) bools marks search
    matches: they are drawn on top, larger and labelled, the rest fade. ``quad`` (a, b, c, d)
    draws the parallelogram a − b + c ≈ d (KeyError naming a word that is not among the
    points). ``short`` (N,) replaces the on-map text (hidden states: the token, with its
    context on hover). ``plot_px``: the smallest plot area (w, h) the page draws it in.
    """
    xy = _xy(coords)
    n = check_same_length(coords=xy, labels=labels)
    labels = [str(s) for s in labels]
    shown = labels if short is None else [str(s) for s in short]
    check_same_length(coords=xy, short=shown)
    _check_colour(xy, colour, groups, counts)
    hi = np.zeros(n, bool) if highlight is None else np.asarray(highlight, bool)
    check_same_length(coords=xy, highlight=hi)
    pos = {s: i for i, s in enumerate(labels)}
    corners = []
    if quad:
        missing = [w for w in quad if w not in pos]
        if missing:
            raise KeyError(", ".join(missing))
        corners = [pos[w] for w in quad]
    shown = ["" if i in corners else s for i, s in enumerate(shown)]  # drawn by the corners
    searching = bool(hi.any())
    order = list(np.flatnonzero(hi)) if searching else list(range(n))
    fig = go.Figure()
    rows = _point_traces(fig, xy, labels, groups, counts, colour, searching)
    if searching:
        idx = np.flatnonzero(hi)
        rows.append(idx)
        fig.add_trace(go.Scatter(
            x=xy[idx, 0], y=xy[idx, 1], mode="markers+text",
            name=_("search: {n} match(es)").format(n=len(idx)),
            customdata=[labels[j] for j in idx], hovertemplate="%{customdata}<extra></extra>",
            textfont=dict(size=font_size(), color="black"), cliponaxis=False,
            marker=dict(size=14, color="#ffdd00", line=dict(color="black", width=2))))
    labelled = [not searching] * (len(rows) - searching) + [True] * searching
    m = MapFigure(fig, rows, labelled, shown, labels, tuple(quad) if quad else None, corners,
                  len(fig.data), order, max_text, plot_px)
    if quad:
        _draw_parallelogram(fig, xy, quad, corners)
    _set_text(m, xy)
    title = title if title is not None else _("Embedding map")
    axes = axes if axes is not None else (_("dimension 1"), _("dimension 2"))
    fig = styled(fig, title=title, x=axes[0], y=axes[1], height=height, legend_below=False)
    m.fig = fig  # ``styled`` returns a new figure
    # legend at the right: the map's height is what the equal axis scales can use
    fig.update_layout(hovermode="closest", legend=dict(orientation="v", x=1.02, xanchor="left",
                                                       y=1.0, yanchor="top"))
    fig.update_yaxes(scaleanchor="x", scaleratio=1)  # equal scales: true distances and angles
    return m


def _check_colour(xy, colour, groups, counts) -> None:
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


def _point_traces(fig: go.Figure, xy, labels, groups, counts, colour, searching
                  ) -> list[np.ndarray]:
    """One trace per category (or one coloured by frequency); returns each trace's rows."""
    fade = 0.25 if searching else 0.85
    hover = "%{customdata}<extra></extra>"
    text = dict(textfont=dict(size=font_size() - 2, color="#222"), cliponaxis=False)
    if colour == "frequency":
        c = np.log10(np.maximum(np.asarray(counts, float), 1.0))
        fig.add_trace(go.Scatter(
            x=xy[:, 0], y=xy[:, 1], mode="markers+text", name=_("words"), showlegend=False,
            customdata=[f"{s} · {int(k):,}×" for s, k in zip(labels, counts)],
            hovertemplate=hover, **text,
            marker=dict(size=MARKER, color=c, colorscale="Viridis", opacity=fade,
                        showscale=True, colorbar=dict(title=_("log10 count")))))
        return [np.arange(len(xy))]
    rows, others = [], 0
    for g in _group_order(groups):
        idx = np.flatnonzero(np.asarray(groups) == g)
        rows.append(idx)
        colour = CATEGORY_COLOURS.get(g)
        if colour is None:
            colour, others = OTHER_COLOURS[others % len(OTHER_COLOURS)], others + 1
        fig.add_trace(go.Scatter(
            x=xy[idx, 0], y=xy[idx, 1], mode="markers+text", name=category_name(g),
            customdata=[labels[j] for j in idx], hovertemplate=hover, **text,
            marker=dict(size=MARKER, color=colour, opacity=fade)))
    return rows


def _placement(m: MapFigure, xy: np.ndarray, ideal: np.ndarray | None) -> Placement:
    n = len(xy)
    font, marker = np.full(n, font_size() - 2.0), np.full(n, float(MARKER))
    texts = list(m.shown)
    for i, w in zip(m.corners, m.quad or ()):
        texts[i], font[i], marker[i] = w, font_size() + 2.0, CORNER_MARKER
    return place_labels(xy, texts, font_px=font, marker_px=marker, max_text=m.max_text,
                        order=m.order, plot_px=m.plot_px, force=m.corners,
                        obstacles=None if ideal is None else ideal[None, :])


def _ideal(xy: np.ndarray, corners: list[int]) -> np.ndarray | None:
    if not corners:
        return None
    pa, pb, pc = (xy[i] for i in corners[:3])
    return pa - pb + pc  # where d would sit if the map kept vector arithmetic


def _set_text(m: MapFigure, xy: np.ndarray) -> None:
    """Texts and their sides for every labelled trace, from a fresh placement (in place)."""
    p = _placement(m, xy, _ideal(xy, m.corners))
    texts, sides = _texts(m, p)
    m.fig.plotly_restyle({"text": texts, "textposition": sides}, list(range(len(texts))))
    if m.quad:
        m.fig.data[m.para_at + 4].textposition = [p.position[i] for i in m.corners]


def _texts(m: MapFigure, p: Placement) -> tuple[list[list[str]], list[list[str]]]:
    texts = [[m.shown[j] if on and p.shown[j] else "" for j in idx]
             for idx, on in zip(m.rows, m.labelled)]
    sides = [[p.position[j] for j in idx] for idx in m.rows]
    return texts, sides


def moved_spec(m: MapFigure, spec: dict, coords, *, title: str | None = None,
               axes: tuple[str, str] | None = None) -> dict:
    """``spec`` (the dict of ``m.fig``, or of an earlier move) with new coordinates (N, 2) for
    the same points: what ``map_figure`` builds for them (tested), written into the dict
    instead: the points, their text labels (placed again) and the parallelogram's lines,
    arrows, corners and ideal point; ``title`` and ``axes`` when given. The layout's other
    settings (and so the user's zoom, with ``uirevision``) stay."""
    xy = _xy(coords)
    check_same_length(coords=xy, labels=m.labels)
    ideal = _ideal(xy, m.corners)
    p = _placement(m, xy, ideal)
    texts, sides = _texts(m, p)
    data = [dict(trace) for trace in spec["data"]]
    for trace, idx, text, side in zip(data, m.rows, texts, sides):
        trace.update(x=typed_array(xy[idx, 0]), y=typed_array(xy[idx, 1]),
                     text=text, textposition=side)
    layout = dict(spec["layout"])
    if m.quad:
        pts = [xy[i] for i in m.corners]
        notes = [dict(a) for a in layout["annotations"]]
        for i, (u, v, _colour) in enumerate(_edges(pts)):
            notes[i].update(x=float(v[0]), y=float(v[1]), ax=float(u[0]), ay=float(u[1]))
            data[m.para_at + i].update(x=[float(u[0]), float(v[0])],
                                       y=[float(u[1]), float(v[1])])
        data[m.para_at + 4].update(x=[float(q[0]) for q in pts], y=[float(q[1]) for q in pts],
                                   textposition=[p.position[i] for i in m.corners])
        data[m.para_at + 5].update(x=[float(ideal[0])], y=[float(ideal[1])])
        layout["annotations"] = notes
    if title is not None:
        layout["title"] = {**layout.get("title", {}), "text": title}
    for name, text in zip(("xaxis", "yaxis"), axes or ()):
        axis = layout.get(name, {})
        layout[name] = {**axis, "title": {**axis.get("title", {}), "text": text}}
    return {**spec, "data": data, "layout": layout}


def _edges(pts: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """The parallelogram's four sides (from, to, colour): b → a and c → d (the relation),
    b → c and a → d (the category change)."""
    pa, pb, pc, pd = pts
    return [(pb, pa, PALETTE[1]), (pc, pd, PALETTE[1]), (pb, pc, PALETTE[2]),
            (pa, pd, PALETTE[2])]


def _draw_parallelogram(fig: go.Figure, xy: np.ndarray, quad, corners: list[int]) -> None:
    """Four arrows (annotations) with a line trace each, the corners, and where d would sit.
    Not in the legend (the page's caption says what they are): the words are long there."""
    a, b, c, d = quad
    pts = [xy[i] for i in corners]
    for u, v, colour in _edges(pts):
        fig.add_annotation(x=v[0], y=v[1], ax=u[0], ay=u[1], xref="x", yref="y", axref="x",
                           ayref="y", showarrow=True, arrowhead=3, arrowwidth=3,
                           arrowcolor=colour, text="")
        fig.add_trace(go.Scatter(x=[u[0], v[0]], y=[u[1], v[1]], mode="lines",
                                 line=dict(color=colour, width=3), hoverinfo="skip",
                                 showlegend=False))
    fig.add_trace(go.Scatter(
        x=[q[0] for q in pts], y=[q[1] for q in pts], mode="markers+text", text=[a, b, c, d],
        name=f"{a} − {b} + {c} ≈ {d}", showlegend=False, cliponaxis=False,
        textfont=dict(size=font_size() + 2, color="black"), hoverinfo="text",
        marker=dict(size=CORNER_MARKER, color="white", line=dict(color="black", width=3))))
    ideal = pts[0] - pts[1] + pts[2]
    fig.add_trace(go.Scatter(
        x=[ideal[0]], y=[ideal[1]], mode="markers", showlegend=False,
        name=_("{a} − {b} + {c} in the map").format(a=a, b=b, c=c),
        marker=dict(size=18, symbol="star-open", color="black", line=dict(width=2)),
        hovertemplate=_("{a} − {b} + {c} computed in 2-D").format(a=a, b=b, c=c)
        + "<extra></extra>"))
