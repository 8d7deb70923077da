"""The embeddings page's queries (nearest neighbours, the 3CosAdd analogy builder of Mikolov et
al. 2013) and its exports (Embedding Projector TSVs, coordinates, the map as HTML).

Both run on full reruns only, never in the live fragment; word2vec's vectors are fetched from
its worker once per step shown (``LiveEmbeddings.index``). Tables are static markdown
(``seqviz.ui.tables``): they wrap to the width they get, so no column is cut off in a narrow
column or on a projector.
"""

from __future__ import annotations

import streamlit as st

from seqviz.embeddings import figures as figs
from seqviz.embeddings.export import coordinates_tsv, figure_html, metadata_tsv, vectors_tsv
from seqviz.embeddings.categories import category_name
from seqviz.embeddings.grammars import TEACHING
from seqviz.embeddings.live import LiveEmbeddings
from seqviz.embeddings.livemap import MapView
from seqviz.embeddings.queries import QueryError, analogy, neighbours
from seqviz.i18n import _
from seqviz.ui.controls import held
from seqviz.ui.embeddings.mapview import current_map
from seqviz.ui.embeddings.sources import Source, one_blas_thread
from seqviz.ui.layout import columns, presenting
from seqviz.ui.tables import table

DEFAULT_QUERY = TEACHING["grammar"].query


def query_defaults(key: str, corpus: str, first_probe: str) -> None:
    """Seed the query inputs before the map is drawn (it reads the analogy): the corpus's own
    analogy and first probe word, also when the corpus changes and the inputs still hold
    another corpus's defaults."""
    ss = st.session_state
    query = TEACHING[corpus].query if corpus in TEACHING else DEFAULT_QUERY
    others = [t.query for t in TEACHING.values()]
    current = tuple(ss.get(f"{key}.an.{x}") for x in "abc")
    if current == (None, None, None) or (current in others and current != query):
        for x, word in zip("abc", query):
            ss[f"{key}.an.{x}"] = word
    probes = {t.probes[0] for t in TEACHING.values()}
    if ss.get(f"{key}.nb.word") is None or (ss[f"{key}.nb.word"] in probes
                                             and ss[f"{key}.nb.word"] != first_probe):
        ss[f"{key}.nb.word"] = first_probe


def queries(key: str, src: Source, exp: LiveEmbeddings) -> None:
    if src.kind != "words":
        st.info(_("Hidden states are points in context, not words: neighbour and analogy "
                  "queries apply to word embeddings (word2vec or the LM's input embeddings)."))
        return
    snap = exp.snapshot()
    if src.eset is None and (snap is None or snap.payload is None):
        st.info(_("Neighbours and analogies appear once the training worker has started."))
        return
    with one_blas_thread():
        try:
            index = src.index(exp)
        except TimeoutError:  # a worker busy building (a Chinese corpus is segmented first)
            st.warning(_("The training worker is busy; the queries answer on the next rerun."))
            return
        left, right = columns(2)
        with left:
            nearest(key, index)
        with right:
            analogies(key, index)
    if src.eset is None and exp.vectors_step is not None:
        # the queries run on full reruns only: while training plays they would otherwise
        # show an older step's answers (step 0's right after Play) without a word
        st.caption(_("Answered with the vectors of step {step}. While training plays, they "
                     "answer again when you change a query or press Pause.").format(
            step=f"{exp.vectors_step:,}"))


def nearest(key: str, index) -> None:
    st.header(_("Nearest neighbours"))
    c1, c2 = st.columns([2, 1])
    word = c1.text_input(_("Word"), value=held(f"{key}.nb.word", ""), key=f"{key}.nb.word")
    k = c2.number_input(_("How many"), 1, 50, held(f"{key}.nb.k", 10), key=f"{key}.nb.k")
    try:
        table(figs.neighbour_rows(neighbours(index, word, int(k))))
    except QueryError as err:
        st.warning(str(err))


def analogies(key: str, index) -> None:
    st.header(_("Analogy: a − b + c"))
    ss = st.session_state
    cols = st.columns(3)
    a, b, c = (col.text_input(name, value=held(f"{key}.an.{x}", ""), key=f"{key}.an.{x}")
               for col, name, x in zip(cols, ("a", "b", "c"), "abc"))
    st.toggle(_("Show the query words"), value=held(f"{key}.an.show", False), key=f"{key}.an.show",
              help=_("3CosAdd usually ranks a itself first; the standard test skips a, b and c."))
    st.toggle(_("Parallelogram on the map"), value=held(f"{key}.an.draw", True),
              key=f"{key}.an.draw")
    try:
        res = analogy(index, a, b, c, k=10, include_query=ss.get(f"{key}.an.show", False))
        rows = figs.neighbour_rows(res)
        query = {a.strip(), b.strip(), c.strip()}
        for r, (w, _score) in zip(rows, res):
            r[_("query word")] = "✔" if w in query else ""
        table(rows)
    except QueryError as err:
        st.warning(str(err))


def exports(key: str, src: Source, exp: LiveEmbeddings) -> None:
    """Download buttons; the files are made from the map's current state when clicked."""
    snap = exp.snapshot()
    m = snap.payload.map if snap is not None and snap.payload is not None else None
    m = m if isinstance(m, MapView) and m.source == src.key else None
    n = len(m.coords) if m is not None else min(exp.cfg.points, len(src.labels))
    fig = current_map(key) if m is not None else None
    st.header(_("Export"))
    st.caption(_("The {n} points on the map. vectors.tsv and metadata.tsv load into the "
                 "Embedding Projector (projector.tensorflow.org → Load); coordinates.tsv is this "
                 "map; map.html opens offline.").format(n=f"{n:,}"))

    def metadata():
        cols = {"group": [category_name(g) for g in src.groups[:n]]}
        if src.counts is not None:
            cols["count"] = [int(c) for c in src.counts[:n]]
        return metadata_tsv(src.labels[:n], cols)

    tsv = "text/tab-separated-values"
    cols = [*st.columns(2), *st.columns(2)] if presenting() else st.columns(4)  # labels fit
    cols[0].download_button("⬇ " + _("Vectors (TSV)"), lambda: vectors_tsv(src.vectors(exp, n)),
                            "vectors.tsv", tsv, key=f"{key}.dl.vectors", on_click="ignore")
    cols[1].download_button("⬇ " + _("Labels (TSV)"), metadata, "metadata.tsv", tsv,
                            key=f"{key}.dl.meta", on_click="ignore")
    cols[2].download_button("⬇ " + _("Map coordinates (TSV)"),
                            lambda: coordinates_tsv(m.coords, src.labels[:n],
                                                    names=tuple(str(a) for a in m.axes)),
                            "coordinates.tsv", tsv, key=f"{key}.dl.coords", on_click="ignore",
                            disabled=m is None)
    cols[3].download_button("⬇ " + _("Map (HTML)"), lambda: figure_html(fig), "map.html",
                            "text/html", key=f"{key}.dl.html", on_click="ignore",
                            disabled=fig is None)
