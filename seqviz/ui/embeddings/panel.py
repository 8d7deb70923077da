"""The embeddings page's live panel: metrics, the map (``mapview``), probe words and training
curves, drawn from the word2vec run's snapshots (``seqviz.embeddings.live``); sources are in
``sources``, queries and exports in ``queries``. Each section is a function, so a page can add
its own (GloVe, debiasing) beside them.
"""

from __future__ import annotations

import hashlib
import math

import streamlit as st

from seqviz.data import CorpusError
from seqviz.embeddings import figures as figs
from seqviz.embeddings.corpus import corpus_problem
from seqviz.embeddings.experiment import MAX_VOCAB, EmbConfig, corpus_text
from seqviz.embeddings.grammars import TEACHING
from seqviz.embeddings.live import EmbView, LiveEmbeddings
from seqviz.embeddings.objectives import LOSS_TITLES
from seqviz.embeddings.livemap import MapView
from seqviz.engine.pool import shared_engine
from seqviz.engine.protocol import Snapshot
from seqviz.i18n import _, pgettext
from seqviz.models.word2vec import W2VCorpus, build_w2v_corpus
from seqviz.ui import player
from seqviz.ui.chart import chart
from seqviz.ui.embeddings.mapview import draw_map, search_box
from seqviz.ui.embeddings.sources import Source, word2vec_source
from seqviz.ui.layout import columns
from seqviz.ui.live import PreparedFigure, kept, notices_box, once_per_snapshot, run_notices
from seqviz.ui.tables import cell, markdown_grid


# ---- building ----------------------------------------------------------------------------------
@st.cache_resource(max_entries=8, show_spinner=False)
def _corpus(digest: str, min_count: int, _text: str) -> W2VCorpus:
    return build_w2v_corpus(_text, min_count=min_count, max_vocab=MAX_VOCAB)


@st.cache_resource(max_entries=8, show_spinner=False)
def _text(name: str) -> str:
    return corpus_text(name)


def warm() -> None:
    """Server start-up (``seqviz.ui.startup``): the default corpus, tokenised, cached."""
    cfg = EmbConfig()
    text = _text(cfg.corpus)
    _corpus(hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest(), cfg.min_count, text)


def build(cfg: EmbConfig, upload_text: str | None, *, playing: bool = False,
          soon: bool = False) -> LiveEmbeddings:
    """The corpus here (cached, shared: labels and counts; bad text raises ``CorpusError``,
    translated, before any worker is asked), the model and its trainer in an engine worker.
    ``soon``: it replaces a run the page has drawn, so its map is drawn before it settles."""
    text = upload_text if cfg.corpus == "upload" else _text(cfg.corpus)
    if not text:
        raise CorpusError(_("Choose a .txt file to train on your own text."))
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
    try:
        corpus = _corpus(digest, cfg.min_count, text)
    except CorpusError:
        raise CorpusError(corpus_problem(text, cfg.min_count)) from None
    return LiveEmbeddings.open(shared_engine(), cfg, corpus, playing=playing, soon=soon,
                               upload_text=upload_text if cfg.corpus == "upload" else None)


# ---- training ----------------------------------------------------------------------------------
def _moved_curves(key: str, view: EmbView, snap: Snapshot) -> dict:
    """The loss and (on the toy grammars, once scored) analogy curves: built once per run and
    then given each snapshot's data in the built figures' dicts (``refresh_curves``, tested
    equal to a build)."""
    cache = st.session_state.setdefault(f"{key}.curves", {})
    name = view.cfg.objective
    extras = (snap.run_id, snap.generation, name, view.cfg.negatives, view.cfg.corpus)
    out = {"loss": PreparedFigure(kept(
        cache.setdefault("loss", {}), extras,
        lambda: figs.w2v_loss_figure(
            view.loss_steps, view.loss, smooth=view.loss_smooth, title=_(LOSS_TITLES[name]),
            negatives=view.cfg.negatives if name == "negative" else None).to_dict(),
        lambda old: figs.refresh_curves(old, view.loss_steps, view.loss, view.loss_smooth)))}
    if view.has_analogies and len(view.eval_steps):
        acc, t = view.accuracy, TEACHING[view.cfg.corpus]
        out["analogy"] = PreparedFigure(kept(
            cache.setdefault("analogy", {}), extras,
            lambda: figs.analogy_accuracy_figure(view.eval_steps, {
                _("all"): acc[:, 0], t.label(t.relations[0].key): acc[:, 1],
                t.label(t.relations[1].key): acc[:, 2]}).to_dict(),
            lambda old: figs.refresh_curves(old, view.eval_steps, acc[:, 0], acc[:, 1],
                                            acc[:, 2], scale=100.0)))
    return out


def training_curves(key: str, view: EmbView, snap: Snapshot) -> None:
    """The loss and, on the toy grammars, the analogy accuracy (side by side; stacked when
    presenting)."""
    curves = once_per_snapshot(key, snap, lambda: _moved_curves(key, view, snap), "curves")
    loss_beside_accuracy(key, curves["loss"], curves.get("analogy"), "analogy")


def loss_beside_accuracy(key: str, loss, accuracy, name: str) -> None:
    """A loss chart and, where analogies are known (the toy grammars), an accuracy chart beside
    it; otherwise a note saying where accuracy is scored. Used by word2vec's and GloVe's
    sections."""
    left, right = columns(2)
    chart(loss, key=f"{key}.chart.loss", where=left)
    if accuracy is not None:
        chart(accuracy, key=f"{key}.chart.{name}", where=right)
    else:
        right.info(_("Analogy accuracy is scored on the toy grammars (English and Chinese), "
                     "whose analogies are known. Choose one of them to see it."))


def metrics(view: EmbView, snap: Snapshot, src: Source) -> None:
    cols = st.columns(4)
    m = view.map
    if src.eset is None:
        cols[0].metric(pgettext("metric", "Step"), f"{snap.step:,}")
        smooth = float(view.loss_smooth[-1]) if len(view.loss_smooth) else math.nan
        cols[1].metric(_("Loss"), f"{smooth:.3f}" if math.isfinite(smooth) else "–",
                       help=_("Smoothed loss per (word, context) pair, nats."))
        acc = float(view.accuracy[-1, 0]) if len(view.accuracy) else math.nan
        cols[2].metric(_("Analogy accuracy"), f"{acc:.0%}" if math.isfinite(acc) else "–",
                       help=_("Top-1 on the toy grammar's analogies (king − man + woman ≈ "
                              "queen and the like), query words excluded."))
    else:
        cols[0].metric(_("Vectors in the source"), f"{len(src.labels):,}")
    if isinstance(m, MapView) and m.source == src.key:
        cols[3].metric(_("t-SNE iteration") if m.method == "tsne" else _("Projection"),
                       f"{m.iteration:,}" if m.method == "tsne" else "PCA",
                       help=_("Settled: the points have almost stopped moving.") if m.settled
                       else _("Still moving."))


def probes(view: EmbView) -> None:
    """The probe words' nearest neighbours, one column per word."""
    st.subheader(_("Nearest neighbours of the probe words"))
    if not view.probes:
        st.info(_("None of the probe words is in the vocabulary; type some in the sidebar."))
        return
    st.caption(_("Cosine similarity at step {step}; updates while it trains.").format(
        step=f"{view.probes_step:,}"))
    neighbour_table(view.probes)


def neighbour_table(probes: dict) -> None:
    """probe word -> [(neighbour, cosine)]: one markdown table, a column per probe word (a
    table element each costs ~2 ms per redraw); word and cosine on two lines of a cell, so
    eight columns fit a 1024-wide projector."""
    lists = list(probes.values())
    rows = [[f"**{cell(w)}**" for w in probes]]
    rows += [[f"{cell(r[i][0])}<br>{r[i][1]:.3f}" if i < len(r) else "" for r in lists]
             for i in range(max(map(len, lists)))]
    markdown_grid(rows)


def _notices(view: EmbView | None, snap: Snapshot, training: bool) -> None:
    with notices_box():  # the charts below keep their places (seqviz.ui.live)
        run_notices(snap)
        d = view.divergence if view is not None and training else None
        if d is not None:
            st.error(_("**Training diverged at step {step}** ({reason}). The update was skipped "
                       "and the vectors of step {restored} restored. Lower the learning rate, "
                       "then press Play again — or Reset.").format(
                           step=d.step, reason=d.reason, restored=d.restored_to), icon="💥")


def render(key: str, exp: LiveEmbeddings, snap: Snapshot, playing: bool) -> None:
    ss = st.session_state
    view: EmbView | None = snap.payload
    # A follower of a shared run (``seqviz.ui.share``) sees the run's own word2vec map: the
    # lecturer's other sources are not in the snapshot, and its ``exp`` is read-only.
    src: Source = ss.get(f"{key}.source") or word2vec_source(exp)
    training = src.eset is None
    _notices(view, snap, training)
    if view is None:
        return
    m = view.map
    settled = not isinstance(m, MapView) or m.settled
    poke = getattr(exp, "poke", None)  # a follower's read-only exp cannot: the lecturer's does
    pending = poke is not None and exp.frame_pending(snap)  # a change not drawn yet: tick
    if not playing and (not settled or pending) and poke is not None:
        if not settled:
            poke()  # a paused run draws a frame only when asked: the map settles frame by frame
        if not ss.get(f"{key}.settling"):
            # the fragment was scheduled when the map looked settled or was not there yet (a
            # fresh page's first snapshot): tick until it settles, or it stops half-way
            st.rerun(scope="app")
    elif ss.get(f"{key}.settling") and not playing:
        st.rerun(scope="app")  # settled: stop ticking
    metrics(view, snap, src)
    draw_map(key, exp, src, view, snap)
    search_box(key, exp)
    if training:
        probes(view)
        training_curves(key, view, snap)


def live_panel(key: str, playing: bool) -> None:
    """The live fragment: ticks while playing, and while a paused run's map still settles or
    a change it was sent has not reached a frame yet."""
    ss = st.session_state
    exp = ss[f"{key}.exp"]
    snap = exp.snapshot()
    if snap is None:  # a new run: its first frame decides whether the fragment must tick (a
        try:          # later full rerun to start ticking would drop the page's one-time notices)
            snap = exp.handle.wait(timeout=player.FIRST_WAIT)
        except TimeoutError:
            pass
    m = snap.payload.map if snap is not None and snap.payload is not None else None
    pending = getattr(exp, "frame_pending", lambda s: False)(snap)
    settling = not playing and (isinstance(m, MapView) and not m.settled or pending)
    ss[f"{key}.settling"] = settling
    player.live_panel(key, playing or settling, render)
