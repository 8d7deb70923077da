"""The embeddings page's GloVe section: a second engine run (``seqviz.embeddings.glovelive``) on
the word2vec run's corpus, window, size and seed. It plays while the page's word2vec run plays
(the page's one Play button; GloVe stops by itself after ``MAX_STEPS``), and has its own Reset;
its live fragment ticks with word2vec's, so the accuracy chart compares both as they train."""

from __future__ import annotations

import math

import streamlit as st

from seqviz.embeddings import glovefigures as gfigs
from seqviz.embeddings.experiment import EmbConfig
from seqviz.embeddings.glovelive import MAX_STEPS, GloVeView, LiveGloVe, glove_key
from seqviz.embeddings.live import EmbView, LiveEmbeddings
from seqviz.engine.pool import shared_engine
from seqviz.engine.protocol import Snapshot
from seqviz.i18n import _, pgettext
from seqviz.ui import player
from seqviz.ui.chart import chart
from seqviz.ui.embeddings.panel import loss_beside_accuracy
from seqviz.ui.layout import columns
from seqviz.ui.live import memo, once_per_snapshot, run_notices
from seqviz.ui.tables import cell, markdown_grid


def glove_key_of(key: str) -> str:
    return f"{key}.glove"


def _build(key: str, cfg: EmbConfig) -> LiveGloVe:
    w2v: LiveEmbeddings = st.session_state[f"{key}.exp"]
    upload = st.session_state.get(f"{key}.upload_text") if cfg.corpus == "upload" else None
    return LiveGloVe.open(shared_engine(), cfg, w2v.corpus, upload_text=upload)


def live_glove(key: str, cfg: EmbConfig) -> LiveGloVe:
    """The GloVe run for this config: opened beside word2vec, rebuilt (paused) when the corpus,
    size, window, minimum count or seed change; live fields (probe words) applied."""
    ss, gk = st.session_state, glove_key_of(key)
    exp: LiveGloVe | None = ss.get(f"{gk}.exp")
    w2v = ss[f"{key}.exp"]
    built = (glove_key(cfg), id(w2v.corpus))
    if exp is None or ss.get(f"{gk}.built") != built:
        if exp is not None:
            player.set_playing(gk, False)
            exp.close()
        exp = ss[f"{gk}.exp"] = _build(key, cfg)
        ss[f"{gk}.built"] = built
    elif exp.cfg != cfg:
        exp.apply_live(cfg)
    return exp


def follow_play(key: str) -> None:
    """GloVe plays while word2vec does (once its run is open) and pauses with it, whichever of
    the page's tabs is open."""
    exp: LiveGloVe | None = st.session_state.get(f"{glove_key_of(key)}.exp")
    if exp is None:
        return
    playing = player.is_playing(key)
    if playing and not exp.handle.wants_play and exp.steps < MAX_STEPS:
        exp.play()
    elif not playing and exp.handle.wants_play:
        exp.handle.pause()


def section(key: str, cfg: EmbConfig) -> None:
    """Header, player and the live panel of the GloVe run."""
    gk = glove_key_of(key)
    st.header(_("GloVe beside word2vec"))
    st.markdown(_("GloVe (Pennington et al. 2014) counts how often words stand near each other "
                  "(x_ij, each pair at distance d adds 1/d) and fits θ_iᵀe_j + b_i + b'_j to "
                  "log x_ij, weighting each count by f(x_ij), with AdaGrad. Same corpus, window, "
                  "size and seed as word2vec; one step is one update on {batch:,} nonzero "
                  "counts; the word vectors are θ + e.").format(batch=2048))
    exp = live_glove(key, cfg)
    follow_play(key)
    playing = player.is_playing(key)
    _step, reset = player.step_and_reset(gk, lambda: _build(key, st.session_state[f"{key}.config"]))
    c1, c2 = st.columns([1, 3])
    c1.button("↺ " + _("Reset GloVe"), key=f"{gk}.reset", on_click=reset, width="stretch",
              help=_("Rebuild GloVe from the seed (it then trains 300 steps at once)."))
    c2.caption(_("GloVe trains while word2vec plays (the Play button above), up to {n:,} "
                 "steps.").format(n=MAX_STEPS))
    player.live_panel(gk, playing, _render_for(key))


def _w2v_view(key: str) -> EmbView | None:
    snap = st.session_state[f"{key}.exp"].snapshot()
    return snap.payload if snap is not None else None


def _render_for(key: str):
    def render(gk: str, exp: LiveGloVe, snap: Snapshot, playing: bool) -> None:
        run_notices(snap)
        view: GloVeView | None = snap.payload
        if view is None:
            return
        w2v = _w2v_view(key)
        _metrics(view, snap)
        figs = once_per_snapshot(gk, snap, lambda: _figures(view, w2v), "curves")
        loss_beside_accuracy(gk, figs["loss"], figs.get("accuracy"), "accuracy")
        _probes(view, w2v)
        left, right = columns([3, 2])
        chart(memo(f"{gk}.weighting", (view.x_max, view.alpha, view.max_count),
                               lambda: gfigs.weighting_figure(view.x_max, view.alpha,
                                                              view.max_count)),
                          key=f"{gk}.chart.weighting", where=left)
        right.markdown(_("**f(x)** gives rare pairs (noisy counts) little weight and caps "
                         "frequent ones at 1, so *the*-like words do not dominate: below x_max "
                         "= {x_max:g} it grows as (x / x_max)^α with α = {alpha:g} (the "
                         "paper's values). Here the counts reach {top:,.0f}; {share:.0%} of "
                         "the {n:,} nonzero x_ij are below x_max.").format(
                             x_max=view.x_max, alpha=view.alpha, top=view.max_count,
                             share=view.below_share, n=view.nonzeros))
    return render


def _metrics(view: GloVeView, snap: Snapshot) -> None:
    cols = st.columns(4)
    cols[0].metric(pgettext("metric", "GloVe step"), f"{snap.step:,}",
                   help=_("Passes over the nonzero counts: {epochs:.1f}").format(
                       epochs=view.epoch))
    cols[1].metric(_("GloVe loss"), f"{view.full_loss:.4f}" if math.isfinite(view.full_loss)
                   else "–", help=_("J / Z: the weighted squared error averaged over all Z "
                                    "nonzero counts."))
    acc = float(view.accuracy[-1, 0]) if len(view.accuracy) else math.nan
    cols[2].metric(_("GloVe analogy accuracy"), f"{acc:.0%}" if math.isfinite(acc) else "–")
    cols[3].metric(_("Nonzero counts"), f"{view.nonzeros:,}",
                   help=_("Of V² = {total:,} cells: the matrix is stored sparse.").format(
                       total=view.vocab_size ** 2))


def _figures(view: GloVeView, w2v: EmbView | None) -> dict:
    out = {"loss": gfigs.glove_loss_figure(view.loss_steps, view.loss)}
    if view.has_analogies:
        runs = {}
        if w2v is not None and w2v.has_analogies and len(w2v.eval_steps):
            runs["word2vec"] = (w2v.eval_steps, w2v.accuracy[:, 0])
        runs["GloVe"] = (view.eval_steps, view.accuracy[:, 0])
        out["accuracy"] = gfigs.compare_accuracy_figure(runs)
    return out


def _cell(rows: list) -> str:
    return "<br>".join(f"{cell(w)} {s:.2f}" for w, s in rows[:3])


def _probes(view: GloVeView, w2v: EmbView | None) -> None:
    """Each probe word's three nearest neighbours by word2vec and by GloVe."""
    if not view.probes:
        return
    st.subheader(_("Nearest neighbours: word2vec and GloVe"))
    words = list(view.probes)
    w2v_probes = w2v.probes if w2v is not None else {}
    markdown_grid([[""] + [f"**{cell(w)}**" for w in words],
                   ["word2vec"] + [_cell(w2v_probes.get(w, [])) for w in words],
                   ["GloVe"] + [_cell(view.probes[w]) for w in words]])
