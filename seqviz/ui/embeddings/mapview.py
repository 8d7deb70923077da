"""The embeddings page's map: the search box, the labelled map of the current source, and the
caption that says what it shows.

The map figure is built once per set of points and style (search, colour, parallelogram,
language, type profile) and then only moved: each new snapshot writes its coordinates into the
figure's dict (``mapfigures.moved_spec``), drawn under a stable chart key.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from seqviz.embeddings import mapfigures
from seqviz.embeddings.experiment import EmbConfig
from seqviz.embeddings.live import EmbView, LiveEmbeddings
from seqviz.embeddings.livemap import MapError, MapView
from seqviz.embeddings.queries import QueryError, analogy, search_labels
from seqviz.engine.protocol import Snapshot
from seqviz.figures.style import profile
from seqviz.i18n import _, language
from seqviz.ui.controls import held
from seqviz.ui.chart import chart, seal
from seqviz.ui.embeddings.sources import Source, one_blas_thread
from seqviz.ui.live import PreparedFigure

MAP_HEIGHT = 700  # px; presenter mode adds 60 (``styled``)
# The smallest plot area (w, h) the map gets: a 1280-wide laptop with the sidebar open, or a
# 1024-wide projector (presenter mode: 760 px tall); legend at the right, margins 100 px across
# and 100 down. Labels are placed for it (``seqviz.embeddings.labels``).
PLOT_PX = {"normal": (640.0, 590.0), "present": (660.0, 620.0)}
# Two maps side by side (the timeline's comparison, 560 px tall): each column is half the page,
# less the legend and margins (about 200 px across, 120 down).
HALF_PLOT_PX = {"normal": (220.0, 440.0), "present": (240.0, 480.0)}


def search_box(key: str, exp: LiveEmbeddings | None = None) -> None:
    """The map's search field and the button that starts its projection again (not for a
    follower of a shared run: ``exp`` is read-only then)."""
    c1, c2 = st.columns([3, 1])
    c1.text_input(_("Search the map (a word or a regular expression, e.g. `^(king|queen)$`)"),
                  value=held(f"{key}.search", ""), key=f"{key}.search")
    if exp is None or hasattr(exp, "restart_map"):
        c2.button("↻ " + _("Re-run the projection"), key=f"{key}.rerun_btn", width="stretch",
                  on_click=lambda: st.session_state[f"{key}.exp"].restart_map())


def _quad(key: str, src: Source, view: EmbView, exp: LiveEmbeddings):
    """The analogy typed below with its best answer (not a query word), or None."""
    ss = st.session_state
    if not ss.get(f"{key}.an.draw", True) or src.kind != "words":  # the toggle defaults to on
        return None
    if src.eset is None:
        return view.quad  # word2vec: answered in the worker, on the vectors of this snapshot
    a, b, c = (ss.get(f"{key}.an.{x}", "") for x in "abc")
    try:
        with one_blas_thread():
            best = analogy(src.index(exp), a, b, c, k=1)
    except QueryError:
        return None
    return (a.strip(), b.strip(), c.strip(), best[0][0]) if best else None


def _colour(cfg: EmbConfig, src: Source, groups: list[str]) -> str:
    colour = cfg.colour
    if colour == "frequency" and src.counts is None:
        colour = "category"
    if colour == "category" and len(set(groups)) < 2 and src.counts is not None:
        colour = "frequency"  # no known categories (prose, uploads): frequency says more
    return colour


def _figure(key: str, src: Source, m: MapView, quad, snap: Snapshot, title: str,
            view_cfg: EmbConfig) -> dict:
    """The session's map for this style, moved to this snapshot's coordinates: ``mf`` (the
    ``MapFigure`` built for the style), ``fig`` (what the chart draws: its dict, moved with
    ``moved_spec``, tested equal to a build), ``note`` (about the parallelogram) and
    ``matches`` (search matches)."""
    ss = st.session_state
    cfg: EmbConfig = ss.get(f"{key}.config") or view_cfg
    n = len(m.coords)
    labels, groups = src.labels[:n], src.groups[:n]
    colour = _colour(cfg, src, groups)
    search = ss.get(f"{key}.search", "")
    look = profile().name
    style = (snap.run_id, snap.generation, src.key, n, colour, search, quad, m.method,
             language(), look)
    axes = tuple(str(a) for a in m.axes)
    cached = ss.get(f"{key}.mapfig")
    tag = (snap.run_id, snap.generation, snap.version, title, axes)
    if cached is None or cached["style"] != style:
        mask, note = search_labels(labels, search)
        kw = dict(groups=groups, colour=colour, highlight=mask, title=title, axes=axes,
                  counts=None if src.counts is None else src.counts[:n], height=MAP_HEIGHT,
                  short=None if src.short is None else src.short[:n], plot_px=PLOT_PX[look])
        try:
            mf = mapfigures.map_figure(m.coords, labels, quad=quad, **kw)
        except KeyError as err:
            note = _("Parallelogram not drawn: {words} is not among the {n} points shown."
                     ).format(words=str(err).strip("'\""), n=n)
            mf = mapfigures.map_figure(m.coords, labels, **kw)
        if m.method == "tsne":  # t-SNE coordinates have no units; only distances matter
            mf.fig.update_xaxes(showticklabels=False)
            mf.fig.update_yaxes(showticklabels=False)
        mf.fig.update_layout(uirevision=str(style[:4]))  # zoom and legend clicks survive moves
        cached = ss[f"{key}.mapfig"] = dict(style=style, mf=mf, tag=tag, note=note,
                                            matches=int(mask.sum()),
                                            fig=seal(PreparedFigure(mf.fig.to_dict())))
    elif cached["tag"] != tag:
        spec = mapfigures.moved_spec(cached["mf"], cached["fig"].to_dict(), m.coords,
                                     title=title, axes=axes)
        cached.update(tag=tag, fig=seal(PreparedFigure(spec)))  # JSON made once per move
    return cached


def current_map(key: str) -> go.Figure | None:
    """The map the page shows now (for its export), if one was drawn."""
    cached = st.session_state.get(f"{key}.mapfig")
    return None if cached is None else cached["fig"]


def draw_map(key: str, exp: LiveEmbeddings, src: Source, view: EmbView, snap: Snapshot) -> None:
    m = view.map
    if m is None or m.source != src.key:
        st.info(_("Drawing the map of these points…"))
        return
    if isinstance(m, MapError):
        st.error(_("No map can be drawn for these points: {error}").format(error=m.error))
        return
    if m.message:
        st.warning(str(m.message))
    quad = _quad(key, src, view, exp)
    if src.eset is None:
        title = _("{name}, step {step}").format(name=view.name, step=f"{snap.step:,}")
    else:
        title = src.name
    drawn = _figure(key, src, m, quad, snap, title, view.cfg)
    mf, note, matches = drawn["mf"], drawn["note"], drawn["matches"]
    chart(drawn["fig"], key=f"{key}.chart.map")
    notes = [_("{n} points").format(n=f"{len(m.coords):,}"), str(m.status),
             _("{n} search match(es)").format(n=matches) if matches else None, note]
    if mf.quad:
        a, b, c, d = mf.quad
        notes.append(_("○ {a} − {b} + {c} ≈ {d}: the analogy's four words; ☆ where a − b + c "
                       "lands on the map").format(a=a, b=b, c=c, d=d))
        if m.method == "tsne":
            notes.append(_("t-SNE keeps neighbourhoods, not directions, so the parallelogram "
                           "is distorted; switch to PCA to see the vector arithmetic."))
    st.caption(" · ".join(n for n in notes if n))
