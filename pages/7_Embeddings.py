"""Word embeddings: word2vec trained live, t-SNE and PCA maps, neighbours and analogies."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.ui import embeddings_panel as panel
from seqviz.ui import embeddings_queries as queries
from seqviz.ui.controls import integer, ladder, resolve_upload, select, text_upload
from seqviz.ui.player import player_bar, set_playing, step_and_reset
from seqviz.ui.setup import setup_page
from seqviz.ui.state import checked, open_config, rebuild_or_apply, widget_values
from seqviz.w2v_experiment import EmbConfig, probe_words

K = "emb"
setup_page("Word embeddings", "🗺️")
st.title("🗺️ Word embeddings")
st.caption("word2vec learns a vector per word from the words around it (skip-gram with negative "
           "sampling, Mikolov et al. 2013). Press **Play** and watch the map organise: words used "
           "alike move together, and king − man + woman lands on queen.")
cfg = open_config(EmbConfig, K)
ss = st.session_state

# ---- controls ------------------------------------------------------------------------------
sb = st.sidebar
sb.header("Vectors")
select(K, "source", "Source", list(panel.SOURCE_NAMES), fmt=panel.SOURCE_NAMES.get)
if ss[f"{K}.w.source"] != "word2vec":
    select(K, "lm", "Language model", panel.lm_choices(),
           fmt=lambda v: "this session's live LM" if v == "live" else f"bundled: {v}")
sb.header("word2vec")
select(K, "corpus", "Corpus", ["grammar", "prose", "upload"],
       fmt={"grammar": "toy grammar (known categories, analogies)",
            "prose": "English prose (Python's docs)", "upload": "your own .txt file"}.get)
if ss[f"{K}.w.corpus"] == "upload":
    text_upload(K, "Upload a UTF-8 text file")
select(K, "algorithm", "Model", ["skipgram", "cbow"], horizontal=True,
       fmt={"skipgram": "skip-gram", "cbow": "CBOW"}.get)
ladder(K, "embed_size", "Embedding size E", [2, 4, 8, 16, 32, 64, 128, 300])
ladder(K, "window", "Window (max words each side)", list(range(1, 11)))
ladder(K, "negatives", "Negative samples k", [1, 2, 3, 5, 10, 15, 20, 30])
ladder(K, "subsample", "Subsampling threshold t", [0.0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1],
       fmt=lambda v: "off" if v == 0 else f"{v:g}")
ladder(K, "min_count", "Minimum count", [1, 2, 3, 5, 10, 20, 50])
ladder(K, "batch_size", "Batch (pairs per step)", [16, 32, 64, 128, 256, 512, 1024, 4096])
select(K, "optimizer", "Optimiser", ["adam", "sgd"], horizontal=True,
       fmt={"adam": "Adam", "sgd": "SGD"}.get)
ladder(K, "lr", "Learning rate (live)", [1e-4, 3e-4, 1e-3, 2e-3, 5e-3, 1e-2, 3e-2, 0.1, 1.0, 10.0])
ladder(K, "steps_per_tick", "Steps per tick (live)", [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000])
integer(K, "seed", "Seed", 0, 2**31 - 1, help="Same seed, same vectors, batches and map.")
sb.text_input("Probe words (comma-separated)", key=f"{K}.w.probes",
              help="Their nearest neighbours are listed while it trains; empty = defaults.")
sb.header("Map")
select(K, "projection", "Projection", ["tsne", "pca"], horizontal=True,
       fmt={"tsne": "t-SNE", "pca": "PCA"}.get)
ladder(K, "points", "Points (most frequent first)", [20, 50, 100, 200, 300, 500, 1000, 2000, 5000])
ladder(K, "perplexity", "t-SNE perplexity", [2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0])
ladder(K, "tsne_lr", "t-SNE learning rate (live)", [0.0, 10.0, 50.0, 100.0, 200.0, 500.0, 1000.0],
       fmt=lambda v: "auto (n / exaggeration)" if v == 0 else f"{v:g}")
ladder(K, "tsne_iters", "t-SNE iterations per tick", [1, 2, 5, 10, 20, 50, 100])
select(K, "colour", "Colour by", ["category", "frequency"], horizontal=True)

# ---- resolve the config the widgets describe --------------------------------------------------
new = dataclasses.replace(cfg, **widget_values(K, cfg))
new, upload_text = resolve_upload(K, cfg, new, "grammar", "word2vec")
if new.lm not in panel.lm_choices():
    st.warning(f"No bundled language model named {new.lm[:40]!r}; using this session's live LM.")
    new = dataclasses.replace(new, lm="live")
exp, new = rebuild_or_apply(K, cfg, checked(cfg, new), lambda c: panel.build(c, upload_text),
                            "word2vec", fallback=lambda c: dataclasses.replace(c, corpus="grammar"))


# ---- player, map and queries ---------------------------------------------------------------------
_step, _reset = step_and_reset(K, lambda: panel.build(ss[f"{K}.config"],
                                                   ss.get(f"{K}.upload_text")))


eset, notice = panel.current_set(K, new, exp)
if notice:
    st.info(notice)
if new.source == "word2vec" or notice:
    playing = player_bar(K, _step, _reset)
else:
    playing = False
    set_playing(K, False)
c1, c2 = st.columns([3, 1])
c1.text_input("Search the map (a word or a regular expression, e.g. `^(king|queen)$`)",
              key=f"{K}.search")
c2.button("↻ Re-run the projection", key=f"{K}.rerun_btn", width="stretch",
          on_click=lambda: ss.__setitem__(f"{K}.rerun", ss.get(f"{K}.rerun", 0) + 1))
tag = (id(exp), "word2vec") if new.source == "word2vec" or notice else \
    (ss.get(f"{K}.lmset", (None,))[0], new.source)
panel.ensure_view(K, new, eset, tag, exp.trainer.steps)
queries.query_defaults(K, (probe_words(new, exp.corpus) + eset.labels)[0])
panel.live_panel(K, exp, playing)
queries.queries(K, eset)
queries.exports(K)
