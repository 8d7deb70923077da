"""The embeddings page's timeline: the word2vec map and the probe words' neighbours at a past
step, or at two steps side by side (``seqviz.embeddings.rewind``), from the vectors the run
kept; training goes on (or stays paused) meanwhile."""

from __future__ import annotations

import streamlit as st

from seqviz.embeddings import mapfigures
from seqviz.embeddings.experiment import probe_words
from seqviz.embeddings.live import LiveEmbeddings
from seqviz.embeddings.rewind import PastMap, aligned, past_map, probe_neighbours
from seqviz.figures.style import profile
from seqviz.i18n import _
from seqviz.ui.embeddings.mapview import HALF_PLOT_PX, PLOT_PX, _colour
from seqviz.ui.chart import chart
from seqviz.ui.embeddings.panel import neighbour_table
from seqviz.ui.embeddings.sources import Source, one_blas_thread
from seqviz.ui.layout import columns
from seqviz.ui.live import memo
from seqviz.ui.timeline import COMPARE, shown_step_note, timeline

MAP_HEIGHT = 560  # px: two maps side by side are narrower than the live one


def _vectors(exp: LiveEmbeddings, step: int):
    w = exp.weights_at(step)
    return int(w["step"]), w["weights"]["vectors"]


def _map(key: str, exp: LiveEmbeddings, src: Source, m: PastMap, name: str, half: bool = False
         ) -> None:
    """A past map, full width or (``half``) one of two side by side."""
    cfg = st.session_state[f"{key}.config"]
    n = len(m.coords)
    labels, groups = src.labels[:n], src.groups[:n]
    look = profile().name
    title = _("Step {step} (PCA)").format(step=f"{m.step:,}")
    axes = (_("PC1 ({share} of variance)").format(share=f"{m.explained[0]:.0%}"),
            _("PC2 ({share} of variance)").format(share=f"{m.explained[1]:.0%}"))

    def build():
        return mapfigures.map_figure(
            m.coords, labels, groups=groups, colour=_colour(cfg, src, groups),
            counts=None if src.counts is None else src.counts[:n], title=title, axes=axes,
            height=MAP_HEIGHT, plot_px=(HALF_PLOT_PX if half else PLOT_PX)[look]).fig

    tag = (exp.handle.run_id, exp.handle.generation, m.step, m.coords.tobytes(), cfg.colour, half)
    chart(memo(f"{key}.rw.{name}", tag, build), key=f"{key}.chart.rw_{name}")


def _neighbours(key: str, exp: LiveEmbeddings, step: int, vectors) -> None:
    cfg = st.session_state[f"{key}.config"]
    probes = probe_words(cfg, exp.corpus)
    found = probe_neighbours(vectors, exp.corpus.words, probes)
    if found:
        st.caption(_("Nearest neighbours of the probe words at step {step} (cosine):").format(
            step=f"{step:,}"))
        neighbour_table(found)


def rewind_section(key: str, exp: LiveEmbeddings, src: Source) -> None:
    """The timeline and, for a past step or two, their maps and neighbours (word2vec only:
    another source's points have no training history here)."""
    if src.eset is not None:
        return
    st.subheader("⏪ " + _("Rewind: the vectors at past steps"))
    rw = timeline(key, exp, compare=True)
    if rw.live:
        st.caption(_("Choose a past step to see the map and the probe words' neighbours as "
                     "they were then, or compare two steps."))
        return
    cfg = st.session_state[f"{key}.config"]
    n = min(cfg.points, len(src.labels))
    now = exp.steps
    with one_blas_thread():
        if rw.mode != COMPARE:
            step, vectors = _vectors(exp, rw.a)
            st.caption(shown_step_note(rw.a, step, now))
            _map(key, exp, src, past_map(vectors, step, n), "a")
            _neighbours(key, exp, step, vectors)
            return
        (sa, va), (sb, vb) = _vectors(exp, rw.a), _vectors(exp, rw.b)
        ma = past_map(va, sa, n)
        mb = aligned(ma, past_map(vb, sb, n))
    st.caption(_("Step A = {a}, step B = {b}; training is at step {now}. Map B is rotated to "
                 "fit map A as well as it can, so what moves between them is what training "
                 "changed.").format(a=f"{sa:,}", b=f"{sb:,}", now=f"{now:,}"))
    left, right = columns(2)
    for col, m, step, vectors, name in ((left, ma, sa, va, "a"), (right, mb, sb, vb, "b")):
        with col:
            _map(key, exp, src, m, name, half=True)
            _neighbours(key, exp, step, vectors)
