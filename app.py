"""seqviz home page: what the lab is, what each page teaches, and quick-start presets."""

from __future__ import annotations

import streamlit as st

from seqviz.ui.catalog import existing_pages
from seqviz.ui.setup import setup_page

setup_page("Home", "🔁")

PRESETS = [
    ("LSTM on Python source", {"corpus": "python", "cell": "lstm", "hidden_size": "128"}),
    ("Word-level GRU on the toy grammar", {"corpus": "grammar", "level": "word", "cell": "gru"}),
    ("Plain RNN, too-high learning rate, no clipping",
     {"cell": "rnn", "optimizer": "sgd", "lr": "10.0", "clip": "none"}),
]

st.title("🔁 seqviz — a lab for recurrent neural networks")
st.markdown(
    "seqviz trains small recurrent networks **live, in your browser tab**, and shows what "
    "happens inside them. Press *Play* on any page, move a slider while it trains, and copy the "
    "address bar to share the exact experiment (the seed is in the link). Everything runs "
    "offline on the CPU.")

st.header("Pages")
for path, title, blurb in existing_pages():
    st.page_link(path, label=title)
    st.caption(blurb)

st.header("Quick start")
st.markdown("Each link opens the language-model page with a ready-made experiment:")
for label, params in PRESETS:
    st.page_link("pages/1_Language_Model.py", label=f"▶ {label}", query_params=params)
st.markdown("For a lecture, the bundled models show results at once:")
st.page_link("pages/5_Attention.py", label="▶ Attention heatmaps, pretrained on dates",
             query_params={"pretrained": "dates"})
st.page_link("pages/2_Hidden_States.py", label="▶ Neurons of an LSTM trained on Python source")
st.page_link("pages/6_Beam_Search.py", label="▶ Beam search on the dates model",
             query_params={"source": "seq2seq_dates", "beam_width": "5"})
