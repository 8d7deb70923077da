"""The embeddings page's queries (nearest neighbours, the 3CosAdd analogy builder of Mikolov et
al. 2013) and its exports (Embedding Projector TSVs, coordinates, the map as HTML)."""

from __future__ import annotations

import streamlit as st

from seqviz.embeddings import Index, QueryError, analogy, neighbours
from seqviz.export import coordinates_tsv, figure_html, metadata_tsv, vectors_tsv
from seqviz.figures import embeddings as figs
from seqviz.ui.embeddings_panel import View, one_blas_thread
from seqviz.w2v_experiment import EmbeddingSet


# ---- queries and exports ----------------------------------------------------------------------
def query_defaults(key: str, first_probe: str) -> None:
    """Seed the query inputs before the map is drawn: it reads the analogy (parallelogram)."""
    ss = st.session_state
    ss.setdefault(f"{key}.nb.word", first_probe)
    for x, default in zip("abc", ("king", "man", "woman")):
        ss.setdefault(f"{key}.an.{x}", default)


def queries(key: str, eset: EmbeddingSet) -> None:
    if eset.kind != "words":
        st.info("Hidden states are points in context, not words: neighbour and analogy queries "
                "apply to word embeddings (word2vec or the LM's input embeddings).")
        return
    with one_blas_thread():
        _queries(key, eset)


def _queries(key: str, eset: EmbeddingSet) -> None:
    index = Index.build(eset.vectors, eset.labels)
    left, right = st.columns(2)
    with left:
        st.header("Nearest neighbours")
        c1, c2 = st.columns([2, 1])
        word = c1.text_input("Word", key=f"{key}.nb.word")
        k = c2.number_input("How many", 1, 50, 10, key=f"{key}.nb.k")
        try:
            st.dataframe(figs.neighbour_rows(neighbours(index, word, int(k))), hide_index=True)
        except QueryError as err:
            st.warning(str(err))
    with right:
        st.header("Analogy builder: a − b + c")
        cols = st.columns(3)
        a, b, c = (col.text_input(name, key=f"{key}.an.{x}") for col, name, x in
                   zip(cols, ("a (king)", "b (man)", "c (woman)"), "abc"))
        t1, t2 = st.columns(2)
        show = t1.toggle("Show the query words", key=f"{key}.an.show",
                         help="3CosAdd usually ranks a itself first; the standard test "
                              "skips a, b and c.")
        t2.toggle("Parallelogram on the map", value=True, key=f"{key}.an.draw")
        try:
            res = analogy(index, a, b, c, k=10, include_query=show)
            rows = figs.neighbour_rows(res)
            for r in rows:
                r["query word"] = "✔" if r["word"] in (a.strip(), b.strip(), c.strip()) else ""
            st.dataframe(rows, hide_index=True)
        except QueryError as err:
            st.warning(str(err))


def exports(key: str) -> None:
    """Download buttons; the files are made from the map's current state when clicked."""
    view: View = st.session_state[f"{key}.view"]
    st.header("Export")
    st.caption(f"The {len(view.ids):,} points on the map. vectors.tsv and metadata.tsv load into "
               "the Embedding Projector (projector.tensorflow.org → Load); coordinates.tsv is "
               "this map; map.html opens offline.")

    def labels():
        return [view.eset.labels[i] for i in view.ids]

    def vectors():
        return vectors_tsv(view.eset.vectors[view.ids])

    def metadata():
        eset, ids = view.eset, view.ids
        cols = {"group": [eset.groups[i] for i in ids]}
        if eset.counts is not None:
            cols["count"] = [int(eset.counts[i]) for i in ids]
        return metadata_tsv(labels(), cols)

    def coordinates():
        return coordinates_tsv(view.proj.coords, labels(), names=view.proj.axes)

    cols = st.columns(4)
    ready = view.proj is not None
    cols[0].download_button("vectors.tsv", vectors, "vectors.tsv", "text/tab-separated-values",
                            key=f"{key}.dl.vectors", on_click="ignore")
    cols[1].download_button("metadata.tsv", metadata, "metadata.tsv", "text/tab-separated-values",
                            key=f"{key}.dl.meta", on_click="ignore")
    cols[2].download_button("coordinates.tsv", coordinates, "coordinates.tsv",
                            "text/tab-separated-values", key=f"{key}.dl.coords",
                            on_click="ignore", disabled=not ready)
    cols[3].download_button("map.html", lambda: figure_html(view.fig), "map.html", "text/html",
                            key=f"{key}.dl.html", on_click="ignore", disabled=view.fig is None)
