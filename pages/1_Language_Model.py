"""Language model: train a char- or word-level RNN / GRU / LSTM live and compare it to n-grams."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.config import LMConfig
from seqviz.data import CORPORA
from seqviz.ui import lm_panel
from seqviz.ui.controls import integer, ladder, resolve_upload, select, text_upload
from seqviz.ui.player import player_bar, step_and_reset
from seqviz.ui.setup import setup_page
from seqviz.ui.state import checked, open_config, rebuild_or_apply, widget_values

K = "lm"
setup_page("Language model", "✍️")
st.title("✍️ Language model")
st.caption("An RNN reads text one token at a time and learns to predict the next one. "
           "Press **Play** and watch the loss fall below the n-gram baselines; change the learning "
           "rate or clipping while it trains.")
cfg = open_config(LMConfig, K)
ss = st.session_state

# ---- controls ------------------------------------------------------------------------------
sb = st.sidebar
sb.header("Data")
select(K, "corpus", "Corpus", list(CORPORA) + ["upload"],
       fmt=lambda c: "your own .txt file" if c == "upload" else f"{c}: {CORPORA[c]}")
if ss[f"{K}.w.corpus"] == "upload":
    text_upload(K, "Upload a UTF-8 text file (any language)")
select(K, "level", "Tokens", ["char", "word"], horizontal=True,
       fmt=lambda v: {"char": "characters", "word": "words"}[v])
sb.header("Model")
select(K, "cell", "Cell", ["rnn", "gru", "lstm"], horizontal=True, fmt=str.upper)
ladder(K, "hidden_size", "Hidden size H", [8, 16, 32, 64, 128, 256, 512])
integer(K, "num_layers", "Layers", 1, 3)
ladder(K, "embed_size", "Embedding size E", [4, 8, 16, 32, 64, 128, 256])
sb.header("Training")
ladder(K, "seq_len", "Sequence length T (BPTT)", [4, 8, 16, 32, 64, 128, 256])
ladder(K, "batch_size", "Batch size B", [1, 2, 4, 8, 16, 32, 64, 128])
select(K, "optimizer", "Optimiser", ["adam", "sgd"], horizontal=True, fmt=str.capitalize)
ladder(K, "lr", "Learning rate (live)", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0])
select(K, "clip", "Gradient clipping (live)", ["none", "norm", "value"], horizontal=True,
       fmt=lambda v: {"none": "off", "norm": "by norm", "value": "by value"}[v])
ladder(K, "clip_threshold", "Clip threshold (live)", [0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0])
integer(K, "seed", "Seed", 0, 2**31 - 1, help="Same seed, same starting weights and batches.")

# ---- resolve the config the widgets describe ---------------------------------------------------
lm_panel.sample_controls(K)
new = dataclasses.replace(cfg, **widget_values(K, cfg))
new, upload_text = resolve_upload(K, cfg, new, "prose", "the model")
rebuild_or_apply(K, cfg, checked(cfg, new), lambda c: lm_panel.build(c, upload_text), "Model",
                 fallback=lambda c: dataclasses.replace(c, corpus="prose"))


# ---- player and live panel -------------------------------------------------------------------
_step, _reset = step_and_reset(K, lambda: lm_panel.build(ss[f"{K}.config"],
                                                   ss.get(f"{K}.upload_text")))


playing = player_bar(K, _step, _reset)
lm_panel.live_panel(K, playing)
