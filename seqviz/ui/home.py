"""The home page: what the lab is, every page with what it teaches, and quick-start links."""

from __future__ import annotations

import streamlit as st

from seqviz.i18n import N_, _
from seqviz.ui.catalog import FOLLOW, existing_pages, page_title
from seqviz.ui.setup import link_params

PRESETS = [  # (label, query parameters of the language-model page)
    (N_("LSTM on Python source"), {"corpus": "python", "cell": "lstm", "hidden_size": "128"}),
    (N_("Word-level GRU on the toy grammar"),
     {"corpus": "grammar", "level": "word", "cell": "gru"}),
    (N_("Plain RNN, too-high learning rate, no clipping"),
     {"cell": "rnn", "optimizer": "sgd", "lr": "10.0", "clip": "none"}),
]
BUNDLED = [  # (page, label, query parameters): demos that need no training
    ("pages/5_Attention.py", N_("Attention heatmaps, pretrained on dates"),
     {"pretrained": "dates"}),
    ("pages/2_Hidden_States.py", N_("Neurons of an LSTM trained on Python source"),
     {"source": "lm_python"}),
    ("pages/6_Beam_Search.py", N_("Beam search on the dates model"),
     {"source": "seq2seq_dates", "beam_width": "5"}),
    ("pages/8_Sequence_Tasks.py", N_("A bidirectional LSTM tagger, trained"),
     {"pretrained": "tagging"}),
]


def render() -> None:
    st.title("🔁 " + _("seqviz — a lab for recurrent neural networks"))
    st.markdown(_(
        "seqviz trains small recurrent networks **live, in your browser tab**, and shows what "
        "happens inside them. Press *Play* on any page, move a slider while it trains, and copy "
        "the address bar to share the exact experiment (the seed is in the link). Everything "
        "runs offline on the CPU."))

    st.header(_("Pages"))
    for path, _icon, _title, blurb in existing_pages() + [FOLLOW]:
        st.page_link(path, label=page_title(path))
        st.caption(_(blurb))

    st.header(_("Quick start"))
    st.markdown(_("Each link opens the language-model page with a ready-made experiment:"))
    for label, params in PRESETS:
        st.page_link("pages/1_Language_Model.py", label="▶ " + _(label), query_params=link_params(params))
    st.markdown(_("For a lecture, the bundled models show results at once:"))
    for path, label, params in BUNDLED:
        st.page_link(path, label="▶ " + _(label), query_params=link_params(params) if params else None)
