"""Language model: train a char- or word-level RNN / GRU / LSTM, or a feed-forward LM, live and
compare it to n-grams."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.data import CORPORA
from seqviz.i18n import N_, _
from seqviz.lm.config import LMConfig
from seqviz.lm.export import EXPORT
from seqviz.lm.lecture import STEPS
from seqviz.ui.controls import (corpus_label, integer, ladder, resolve_upload, select,
                                 text_upload)
from seqviz.ui.export import export_panel
from seqviz.ui.layout import page_header
from seqviz.ui.lecture import lecture_panel
from seqviz.ui.lm import panel, rewind
from seqviz.ui.player import is_playing, player_bar, step_and_reset
from seqviz.ui.setup import setup_page
from seqviz.ui.share import claim_fork, setting_labels, share_panel
from seqviz.ui.state import checked, open_config, rebuild_or_apply, widget_values

K = "lm"
setup_page(N_("Language model"), "✍️")
page_header("✍️ " + _("Language model"),
            _("An RNN reads text one token at a time and learns to predict the next one. Press "
              "**Play** and watch the loss fall below the n-gram baselines; change the learning "
              "rate or clipping while it trains."))
claim_fork(K)  # a Fork link from the Follow page: says why, if it fails
cfg = open_config(LMConfig, K)
ss = st.session_state

# ---- controls ------------------------------------------------------------------------------
sb = st.sidebar
sb.header(_("Data"))
select(K, "corpus", _("Corpus"), list(CORPORA) + ["upload"],
       fmt=corpus_label,
       help="\n".join(f"- **{corpus_label(c)}**: {_(CORPORA[c])}" for c in CORPORA))
if ss[f"{K}.w.corpus"] == "upload":
    text_upload(K, _("Upload a text file (any language)"))
select(K, "level", _("Tokens"), ["char", "word"], horizontal=True,
       fmt=lambda v: {"char": _("characters"), "word": _("words")}[v])
sb.header(_("Model"))
select(K, "cell", _("Architecture"), ["rnn", "gru", "lstm", "ff"], horizontal=True, main=True,
       fmt=lambda c: _("FFNN") if c == "ff" else c.upper(),
       help=_("RNN, GRU and LSTM read the whole past through a hidden state; FFNN, the "
              "feed-forward LM (Bengio et al. 2003), reads only the last n−1 tokens."))
if ss[f"{K}.w.cell"] == "ff":
    ladder(K, "window", _("Context window n−1 (tokens)"), list(range(1, 9)), fmt=str, main=True,
           help=_("The feed-forward LM sees this many previous tokens: it is an n-gram model "
                  "whose probabilities come from a network instead of counts."))
ladder(K, "hidden_size", _("Hidden size H"), [8, 16, 32, 64, 128, 256, 512])
if ss[f"{K}.w.cell"] != "ff":  # the feed-forward LM has one tanh layer
    integer(K, "num_layers", _("Layers"), 1, 3)
ladder(K, "embed_size", _("Embedding size E"), [4, 8, 16, 32, 64, 128, 256])
sb.header(_("Training"))
ladder(K, "seq_len", _("Sequence length T (BPTT)"), [4, 8, 16, 32, 64, 128, 256])
ladder(K, "batch_size", _("Batch size B"), [1, 2, 4, 8, 16, 32, 64, 128])
select(K, "optimizer", _("Optimiser"), ["adam", "sgd"], horizontal=True,
       fmt={"adam": "Adam", "sgd": "SGD"}.get)
ladder(K, "lr", _("Learning rate (live)"),
       [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0], main=True)
select(K, "clip", _("Gradient clipping (live)"), ["none", "norm", "value"], horizontal=True,
       fmt=lambda v: {"none": _("off"), "norm": _("by norm"), "value": _("by value")}[v])
ladder(K, "clip_threshold", _("Clip threshold (live)"),
       [0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0], main=True)
integer(K, "seed", _("Seed"), 0, 2**31 - 1,
        help=_("Same seed, same starting weights and batches."))

# ---- resolve the config the widgets describe ---------------------------------------------------
panel.sample_controls(K)
new = dataclasses.replace(cfg, **widget_values(K, cfg))
new, upload_text = resolve_upload(K, cfg, new, "prose", _("the model"))
exp, _cfg = rebuild_or_apply(K, cfg, checked(cfg, new),
                             lambda c: panel.build(c, upload_text, playing=is_playing(K)),
                             _("Model"), fallback=lambda c: dataclasses.replace(c, corpus="prose"),
                             labels=setting_labels)
panel.vocabulary_notice(exp.data)


# ---- player and live panel -------------------------------------------------------------------
_step, _reset = step_and_reset(K, lambda: panel.build(ss[f"{K}.config"],
                                                   ss.get(f"{K}.upload_text")))


playing = player_bar(K, _step, _reset)
share_panel(K, "pages/1_Language_Model.py", panel.render)
panel.live_panel(K, playing)  # first: the lecture opens on step 1, which is the defaults
lecture_panel(K, "pages/1_Language_Model.py", STEPS, ss[f"{K}.config"], panel.trained_steps(K))
rewind.rewind_section(K, ss[f"{K}.exp"])  # samples at past steps
export_panel(K, EXPORT, _("Language model"))
