"""The embeddings page's debiasing panel (Bolukbasi et al. 2016, ``seqviz.embeddings.debias``):
on the current word2vec or GloVe vectors, a bias direction from chosen definitional pairs, then
neutralise and equalise; the words' projections and analogies before and after.

Full reruns only (never in a live fragment): the vectors are fetched from their worker once per
step shown, and the whole computation takes milliseconds for the page's vocabularies."""

from __future__ import annotations

import streamlit as st

from seqviz.embeddings import glovefigures as gfigs
from seqviz.embeddings.debias import analogy_before_after, debias, definitional_pairs
from seqviz.embeddings.experiment import EmbConfig
from seqviz.embeddings.grammars import TEACHING
from seqviz.embeddings.live import LiveEmbeddings
from seqviz.embeddings.queries import Index, QueryError, analogy
from seqviz.i18n import _
from seqviz.ui.embeddings.glove import live_glove
from seqviz.ui.chart import chart
from seqviz.ui.embeddings.sources import one_blas_thread
from seqviz.ui.layout import columns
from seqviz.ui.live import memo
from seqviz.ui.player import FIRST_WAIT
from seqviz.ui.tables import table

SHOWN_PAIRS = 2  # definitional pairs drawn beside the neutral words (their 4 words)


def _fmt(pair: tuple[str, str]) -> str:
    return f"{pair[0]} / {pair[1]}"


def section(key: str, cfg: EmbConfig) -> None:
    ss = st.session_state
    st.header(_("Debiasing (Bolukbasi et al. 2016)"))
    st.markdown(_("The **bias direction** g is the first principal component of the "
                  "definitional pairs' differences (he − she, king − queen …). **Neutralise** "
                  "removes g from every other word; **equalise** moves each pair to the same "
                  "distance on either side of the neutral subspace. On the current vectors."))
    if cfg.corpus in TEACHING:
        st.caption(_("The toy grammars give both words of a pair the same profile, so nothing "
                     "here is social bias: what leans is the small corpus's noise and word "
                     "order. Upload a text to look for real bias."))
    c1, c2 = st.columns([1, 3])
    which = c1.radio(_("Vectors"), ["word2vec", "GloVe"], index=1, horizontal=True,
                     key=f"{key}.db.vectors")  # GloVe by default: trained 300 steps at once
    exp: LiveEmbeddings = ss[f"{key}.exp"] if which == "word2vec" else live_glove(key, cfg)
    if exp.snapshot() is None:
        try:  # a GloVe run opened just now (this tab before the GloVe tab): counted in ~0.4 s
            exp.handle.wait(timeout=FIRST_WAIT)
        except TimeoutError:
            pass
    if exp.snapshot() is None:
        st.info(_("Neutralising and equalising appear once the training worker has started."))
        return
    words = exp.corpus.words
    choices = definitional_pairs(cfg.corpus, words)
    if not choices:
        st.info(_("This text has none of the gendered pairs the panel knows (he / she, man / "
                  "woman, king / queen …), so there is no direction to remove."))
        return
    picked = c2.multiselect(_("Definitional pairs"), choices, default=choices, format_func=_fmt,
                            key=f"{key}.db.pairs.{cfg.corpus}")
    if not picked:
        st.warning(_("Choose at least one definitional pair."))
        return
    try:
        vectors = exp.vectors()
    except TimeoutError:
        st.warning(_("The training worker is busy; the queries answer on the next rerun."))
        return
    step = exp.steps
    with one_blas_thread():
        result = memo(f"{key}.db", (which, exp.handle.generation, step, tuple(picked)),
                      lambda: debias(vectors, words, picked))
    _show(key, cfg, result, which, step)


def _show(key: str, cfg: EmbConfig, result, which: str, step: int) -> None:
    share = float(result.bias.explained[0])
    neutral = result.leaning()
    pair_ids = [words_i for p in result.pairs[:SHOWN_PAIRS]
                for words_i in (result.words.index(p[0]), result.words.index(p[1]))]
    rows = pair_ids + neutral
    left, right = columns([3, 2])
    fig = memo(f"{key}.db.fig", (id(result),), lambda: gfigs.projection_figure(
        [result.words[i] for i in rows], result.proj_before[rows], result.proj_after[rows],
        pairs=len(pair_ids)))
    chart(fig, key=f"{key}.db.chart", where=left)
    with right:
        st.caption(_("{method} at step {step:,}: the {n} neutral words leaning most to either "
                     "side, and two equalised pairs (⚥).").format(method=which, step=step,
                                                                 n=len(neutral)))
        st.metric(_("Variance along g"), f"{share:.0%}",
                  help=_("The first principal component's share of the pairs' variance. Near "
                         "100 %: the pairs agree on one direction."))
        _accuracy(cfg, result)
    _shifted(result, neutral[:4])


def _accuracy(cfg: EmbConfig, result) -> None:
    t = TEACHING.get(cfg.corpus)
    if t is None:
        return
    before, after = memo("db.acc", (id(result),),
                         lambda: analogy_before_after(result, t.analogies, t.relation_of))
    rows = [{_("analogies"): _("all"), _("before"): f"{before.correct} / {before.total}",
             _("after"): f"{after.correct} / {after.total}"}]
    for r in t.relations:
        b, a = before.by_relation.get(r.key, (0, 0)), after.by_relation.get(r.key, (0, 0))
        rows.append({_("analogies"): _(r.name), _("before"): f"{b[0]} / {b[1]}",
                     _("after"): f"{a[0]} / {a[1]}"})
    table(rows)


def _shifted(result, ids: list[int]) -> None:
    """x − he + she (the pairs' first words swapped for their second) before and after."""
    he, she = result.pairs[0]
    if not ids:
        return
    st.subheader(_("Analogy {a} : x :: {b} : ? before and after").format(a=he, b=she))
    idx = (Index.build(result.raw, result.words), Index.build(result.after, result.words))
    rows = []
    for i in ids:
        w = result.words[i]
        answers = []
        for index in idx:
            try:
                best = analogy(index, w, he, she, k=1)
                answers.append(f"{best[0][0]} ({best[0][1]:.2f})" if best else "–")
            except QueryError:
                answers.append("–")
        rows.append({"x": w, _("before"): answers[0], _("after"): answers[1]})
    table(rows)
