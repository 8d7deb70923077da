"""Word embeddings: word2vec trained live, t-SNE and PCA maps, neighbours and analogies; GloVe
beside it and hard debiasing of either."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.embeddings.experiment import probe_words
from seqviz.embeddings.lecture import lecture_steps
from seqviz.embeddings.script import EXPORT
from seqviz.i18n import N_, _, language
from seqviz.ui.controls import resolve_upload
from seqviz.ui.embeddings import (controls, debias, glove, objectives, panel, queries, rewind,
                                     sources)
from seqviz.ui.export import export_panel
from seqviz.ui.layout import page_header
from seqviz.ui.lecture import lecture_panel
from seqviz.ui.player import is_playing, player_bar, set_playing, step_and_reset
from seqviz.ui.setup import setup_page
from seqviz.ui.share import claim_fork, share_panel
from seqviz.ui.state import checked, rebuild_or_apply, widget_values
from seqviz.ui.tabs import config_tabs

K = "emb"
TAB_LABELS = {"queries": N_("Neighbours and analogies"), "glove": N_("GloVe beside word2vec"),
              "debias": N_("Debiasing")}  # in ``seqviz.embeddings.experiment.TABS`` order
setup_page(N_("Word embeddings"), "🗺️")
page_header("🗺️ " + _("Word embeddings"),
            _("word2vec learns a vector per word from the words around it (skip-gram with "
              "negative sampling, Mikolov et al. 2013). Press **Play** and watch the map "
              "organise: words used alike move together, and king − man + woman lands on "
              "queen."))
claim_fork(K)  # a Fork link from the Follow page: says why, if it fails
cfg = controls.open_page_config(K)
ss = st.session_state
controls.controls(K)

# ---- resolve the config the widgets describe --------------------------------------------------
new = dataclasses.replace(cfg, **widget_values(K, cfg))
new, upload_text = resolve_upload(K, cfg, new, controls.first_config().corpus, "word2vec")
if new.lm not in sources.lm_choices():
    st.warning(_("No bundled language model named {name!r}; using this session's live LM."
                 ).format(name=new.lm[:40]))
    new = dataclasses.replace(new, lm="live")
exp, new = rebuild_or_apply(K, cfg, checked(cfg, new),
                            lambda c: panel.build(c, upload_text, playing=is_playing(K),
                                                  soon=f"{K}.exp" in ss),
                            "word2vec", fallback=lambda c: dataclasses.replace(c, corpus="grammar"),
                            labels=controls.settings)


# ---- player, lecture, map and queries --------------------------------------------------------
_step, _reset = step_and_reset(K, lambda: panel.build(ss[f"{K}.config"],
                                                   ss.get(f"{K}.upload_text"), soon=True))


src, notice = sources.current_source(K, new, exp)
ss[f"{K}.source"] = src
if notice:
    st.info(notice)
if src.eset is None:
    playing = player_bar(K, _step, _reset)
else:
    playing = False
    if is_playing(K):
        set_playing(K, False)
share_panel(K, "pages/7_Embeddings.py", panel.render, settings=controls.settings)
queries.query_defaults(K, new.corpus, (probe_words(new, exp.corpus) + src.labels)[0])
sources.show(K, exp, src, new)
panel.live_panel(K, playing)  # metrics, the map and its search, probe words, curves
rewind.rewind_section(K, exp, src)  # the map and neighbours at past steps
lecture_panel(K, "pages/7_Embeddings.py", lecture_steps(language()), new, exp.steps,
              first=controls.first_config())
objectives.compare_objectives()  # output layers: time per step and accuracy
if src.eset is None:  # word2vec's own vectors: queries, GloVe beside them, debiasing either
    glove.follow_play(K)  # GloVe plays and pauses with word2vec, whichever tab is open
    # Only the open tab is drawn (a click reruns the page): the page's first chart comes
    # sooner, and GloVe's run is opened when its tab or the debiasing tab first needs it.
    tabs, tab = config_tabs(K, "tab", TAB_LABELS, keep=[
        f"{K}.{name}" for name in ("nb.word", "nb.k", "an.a", "an.b", "an.c", "an.show",
                                   "an.draw", "db.vectors", f"db.pairs.{new.corpus}")])
    with tabs[tab]:
        [lambda: queries.queries(K, src, exp), lambda: glove.section(K, new),
         lambda: debias.section(K, new)][tab]()
else:
    queries.queries(K, src, exp)
queries.exports(K, src, exp)
export_panel(K, EXPORT, _("Word embeddings"))
