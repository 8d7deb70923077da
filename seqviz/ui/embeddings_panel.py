"""The embeddings page: sources, the live map (training + animated t-SNE); queries and exports
are in embeddings_queries."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st
from threadpoolctl import ThreadpoolController

from seqviz.checkpoint import CheckpointError, list_pretrained
from seqviz.data import CorpusError
from seqviz.embeddings import Index, QueryError, analogy, search_labels, unit_rows
from seqviz.figures import embeddings as figs
from seqviz.figures.training import ema
from seqviz.models.word2vec import W2VCorpus, build_w2v_corpus
from seqviz.tsne import LiveProjection, ProjectionError, plan_projection
from seqviz.ui.data import corpus_text
from seqviz.ui.player import TICK_BUDGET, TICK_SECONDS, is_playing, set_playing
from seqviz.w2v_experiment import (MAX_VOCAB, EmbConfig, EmbeddingSet, W2VExperiment,
                                   lm_source_set, load_pretrained_lm, probe_ids, token_counts)

# numpy's OpenBLAS runs 2 threads; on a busy 2-core server a (162, 32) @ (32, 174) product then
# takes 33 ms instead of 0.2 ms (measured). Like torch.set_num_threads(1), compute single-threaded.
_BLAS = ThreadpoolController()


def one_blas_thread():
    return _BLAS.limit(limits=1, user_api="blas")


SOURCE_NAMES = {"word2vec": "word2vec (trained here)", "lm_embed": "LM input embeddings",
                "lm_hidden": "LM hidden states"}


# ---- building ----------------------------------------------------------------------------------
@st.cache_resource(max_entries=8, show_spinner=False)
def _corpus(digest: str, min_count: int, _text: str) -> W2VCorpus:
    return build_w2v_corpus(_text, min_count=min_count, max_vocab=MAX_VOCAB)


def build(cfg: EmbConfig, upload_text: str | None) -> W2VExperiment:
    """Corpus (cached, read-only) -> this session's own word2vec model and trainer."""
    text = upload_text if cfg.corpus == "upload" else corpus_text(cfg.corpus)
    if not text:
        raise CorpusError("Choose a .txt file to train on your own text.")
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
    return W2VExperiment.build(cfg, corpus=_corpus(digest, cfg.min_count, text))


@st.cache_resource(max_entries=4, show_spinner=False)
def _pretrained(name: str):
    return load_pretrained_lm(name)  # read-only: never trained, only read


def lm_choices() -> list[str]:
    return ["live"] + list_pretrained("lm")


def _lm_set(key: str, cfg: EmbConfig) -> tuple[EmbeddingSet | None, str | None]:
    """Embeddings or hidden states of the live LM or a bundled one, cached per LM state."""
    ss = st.session_state
    if cfg.lm == "live":
        lm = ss.get("lm.exp")
        if lm is None:
            return None, ("There is no language model in this session yet: open **✍️ Language "
                          "model**, press Play for a while, then come back. Showing word2vec.")
        tag = ("live", cfg.source, id(lm), lm.trainer.steps)
    else:
        tag = (cfg.lm, cfg.source)
    cached = ss.get(f"{key}.lmset")
    if cached is not None and cached[0] == tag:
        return cached[1], None
    try:
        if cfg.lm == "live":
            model, vocab, level = lm.model, lm.data.vocab, lm.data.level
            name = f"live {lm.cfg.cell.upper()} LM ({level}s), step {lm.trainer.steps:,}"
            counts, ids = token_counts(lm.data.train, len(vocab)), lm.data.val
            with lm.trainer.lock:  # the LM page may be training it in another thread
                eset = lm_source_set(cfg.source, model, vocab, level, name, counts, ids)
        else:
            model, vocab, level, meta = _pretrained(cfg.lm)
            ids = probe_ids(vocab, level, str(meta.get("corpus", "prose")))
            eset = lm_source_set(cfg.source, model, vocab, level, f"bundled LM {cfg.lm}",
                                 token_counts(ids, len(vocab)), ids)
    except (CheckpointError, CorpusError) as err:
        return None, f"{err} Showing word2vec."
    ss[f"{key}.lmset"] = (tag, eset)
    return eset, None


def current_set(key: str, cfg: EmbConfig, exp: W2VExperiment) -> tuple[EmbeddingSet, str | None]:
    if cfg.source != "word2vec":
        eset, notice = _lm_set(key, cfg)
        if eset is not None:
            return eset, None
        return exp.embedding_set(), notice
    with exp.trainer.lock:
        return exp.embedding_set(), None


# ---- projection ------------------------------------------------------------------------------
@dataclass
class View:
    """What the map shows now; the export buttons read it when clicked."""

    eset: EmbeddingSet
    ids: np.ndarray  # rows of eset drawn, (n,)
    proj: LiveProjection | None
    tag: tuple
    version: int  # training step of the vectors the map last saw
    message: str | None = None
    fig: object = None


def _points(eset: EmbeddingSet, ids: np.ndarray) -> np.ndarray:
    x = eset.vectors[ids]
    return unit_rows(x) if eset.kind == "words" else x  # words: cosine geometry


def ensure_view(key: str, cfg: EmbConfig, eset: EmbeddingSet, source_tag, version: int = 0
                ) -> View:
    """The session's View; rebuilt when the source, method, perplexity or point count changes."""
    ss = st.session_state
    ids = eset.top(cfg.points)
    n = len(ids)
    tag = (source_tag, cfg.projection, cfg.perplexity, n, cfg.seed, ss.get(f"{key}.rerun", 0))
    view: View | None = ss.get(f"{key}.view")
    if view is not None and view.tag == tag:
        view.eset = eset
        if view.proj is not None and view.proj.tsne is not None:
            view.proj.tsne.set_learning_rate(cfg.tsne_lr or "auto")
        return view
    method, perplexity, message = plan_projection(cfg.projection, n, cfg.perplexity)
    try:
        with one_blas_thread():
            proj = LiveProjection(_points(eset, ids), method, perplexity=perplexity,
                                  learning_rate=cfg.tsne_lr or "auto", seed=cfg.seed,
                                  # new affinities cost ~0.1 s per 500 points: less often
                                  follow_every=max(1, n // 500))
    except ProjectionError as err:
        proj, message = None, str(err)
    view = View(eset, ids, proj, tag, version, message)
    ss[f"{key}.view"] = view
    return view


# ---- live panel ------------------------------------------------------------------------------
def _analogy_quad(key: str, index: Index) -> tuple[str, str, str, str] | None:
    """The analogy typed below, with its best answer that is not a query word, or None."""
    ss = st.session_state
    if not ss.get(f"{key}.an.draw", True):  # the toggle below defaults to on
        return None
    a, b, c = (ss.get(f"{key}.an.{x}", "") for x in "abc")
    try:
        best = analogy(index, a, b, c, k=1)
    except QueryError:
        return None
    return (a.strip(), b.strip(), c.strip(), best[0][0]) if best else None


def _map(key: str, view: View, cfg: EmbConfig, index: Index | None) -> None:
    eset, proj = view.eset, view.proj
    labels = [eset.labels[i] for i in view.ids]
    colour = cfg.colour
    groups = [eset.groups[i] for i in view.ids]
    if colour == "frequency" and eset.counts is None:
        colour = "category"
    if colour == "category" and len(set(groups)) < 2 and eset.counts is not None:
        colour = "frequency"  # no known categories (prose, uploads): frequency says more
    mask, notice = search_labels(labels, st.session_state.get(f"{key}.search", ""))
    if notice:
        st.caption(notice)
    para, para_note = None, None
    quad = _analogy_quad(key, index) if index is not None else None
    if quad is not None:
        try:
            para = figs.parallelogram(proj.coords, labels, *quad)
        except KeyError as err:
            para_note = (f"Parallelogram not drawn: {err} is not among the {len(labels)} points "
                         f"shown.")
    counts = None if eset.counts is None else eset.counts[view.ids]
    short = None if eset.short is None else [eset.short[i] for i in view.ids]
    fig = figs.scatter_figure(proj.coords, labels, groups=groups, counts=counts, colour=colour,
                              highlight=mask, parallelogram=para, axes=proj.axes,
                              short=short,
                              title=f"{eset.name}: {len(labels):,} points")
    if proj.tsne is not None:  # t-SNE coordinates have no units; only distances matter
        fig.update_xaxes(showticklabels=False)
        fig.update_yaxes(showticklabels=False)
    view.fig = fig
    st.plotly_chart(fig, key=f"{key}.chart.map")
    if para is not None and proj.tsne is not None:
        para_note = ("t-SNE keeps neighbourhoods, not directions, so the parallelogram is "
                     "distorted; switch to PCA to see the vector arithmetic.")
    st.caption(proj.status + (f" · {int(mask.sum())} search match(es)" if mask.any() else "")
               + (f" · {para_note}" if para_note else ""))


def _training_charts(key: str, exp: W2VExperiment) -> None:
    with exp.trainer.lock:
        hist, evals = list(exp.trainer.history), list(exp.evals)
    ok = [h for h in hist if not h.diverged]
    left, right = st.columns(2)
    left.plotly_chart(figs.w2v_loss_figure([h.step for h in ok], [h.loss for h in ok],
                                           negatives=exp.cfg.negatives), key=f"{key}.chart.loss")
    scored = [e for e in evals if e.analogy is not None and e.analogy.total]
    if scored:
        steps = [e.step for e in scored]
        series = {"all": [e.analogy.accuracy for e in scored]}
        for rel, example in (("gender", "king − man + woman"), ("plural", "dogs − dog + cat")):
            series[f"{rel} ({example})"] = [e.analogy.relation_accuracy(rel) for e in scored]
        right.plotly_chart(figs.analogy_accuracy_figure(steps, series), key=f"{key}.chart.analogy")
    else:
        right.info("Analogy accuracy is scored on the grammar corpus, whose gender and plural "
                   "analogies are known. Choose the grammar corpus to see it.")


def _metrics(exp: W2VExperiment, view: View, training: bool) -> None:
    cols = st.columns(4)
    if training:
        hist = [h.loss for h in exp.trainer.history if not h.diverged]
        cols[0].metric("Step", f"{exp.trainer.steps:,}")
        cols[1].metric("Loss", f"{ema(hist)[-1]:.3f}" if hist else "–",
                       help="Smoothed negative-sampling loss per (word, context) pair, nats.")
        last = exp.evals[-1].analogy if exp.evals else None
        cols[2].metric("Analogy accuracy",
                       f"{last.accuracy:.0%}" if last is not None and last.total else "–",
                       help="Top-1 on the grammar's gender and plural analogies.")
    else:
        cols[0].metric("Vectors in the source", f"{len(view.eset.labels):,}")
    tsne = view.proj.tsne if view.proj is not None else None
    cols[3].metric("t-SNE iteration" if tsne else "Projection",
                   f"{tsne.iteration} / {tsne.total_iter}" if tsne else "PCA")


def _probes(exp: W2VExperiment) -> None:
    st.subheader("Nearest neighbours of the probe words")
    last = exp.evals[-1] if exp.evals else None
    if last is None or not last.probes:
        st.info("None of the probe words is in the vocabulary; type some in the sidebar.")
        return
    st.caption(f"Cosine similarity at step {last.step:,}; updates while it trains.")
    items = list(last.probes.items())
    for row in range(0, len(items), 4):
        cols = st.columns(4)
        for col, (word, res) in zip(cols, items[row:row + 4]):
            col.markdown(f"**{word}**")
            col.dataframe(figs.neighbour_rows(res, rank=False), hide_index=True, width="stretch")


def live_panel(key: str, exp: W2VExperiment, playing: bool) -> None:
    ss = st.session_state
    view: View = ss[f"{key}.view"]
    ticking = playing or (view.proj is not None and view.proj.running)

    @st.fragment(run_every=TICK_SECONDS if ticking else None)
    def panel() -> None:
        with one_blas_thread():
            tick()

    def tick() -> None:
        cfg: EmbConfig = ss[f"{key}.config"]
        v: View = ss[f"{key}.view"]
        training = v.tag[0][1] == "word2vec"  # the map shows this page's word2vec
        if is_playing(key) and training:
            stats = exp.trainer.train_for(TICK_BUDGET * 0.6, max_steps=cfg.steps_per_tick)
            if stats and stats[-1].diverged:
                set_playing(key, False)
                st.rerun(scope="app")
        moved = training and exp.trainer.steps != v.version
        if moved:  # Play, Step or Reset moved the vectors: the map follows them
            with exp.trainer.lock:
                v.eset, v.version = exp.embedding_set(), exp.trainer.steps
        if v.proj is not None:
            v.proj.update(_points(v.eset, v.ids) if moved else None,
                          cfg.tsne_iters if (v.proj.running or moved) else 0, moved)
        _metrics(exp, v, training)
        if training and exp.trainer.divergences:
            d = exp.trainer.divergences[-1]
            st.error(f"**Training diverged at step {d.step}** ({d.reason}). The update was "
                     f"skipped and the vectors of step {d.restored_to} restored. Lower the "
                     f"learning rate, then press Play again — or Reset.", icon="💥")
        if v.message:
            st.warning(v.message)
        index = Index.build(v.eset.vectors, v.eset.labels) if v.eset.kind == "words" else None
        if v.proj is None:
            st.error("No map can be drawn for these points.")
        else:
            _map(key, v, cfg, index)
        if training:
            _probes(exp)
            _training_charts(key, exp)
        if ticking and not (is_playing(key) or (v.proj is not None and v.proj.running)):
            st.rerun(scope="app")  # t-SNE finished while paused: stop ticking

    panel()
