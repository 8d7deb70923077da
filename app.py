"""seqviz home page: what the lab is, what each page teaches, and quick-start presets."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from seqviz.ui.setup import setup_page

setup_page("Home", "🔁")

# (page file, title, what it teaches); pages that do not exist yet are simply not listed.
PAGES = [
    ("pages/1_Language_Model.py", "✍️ Language model",
     "Train a char- or word-level RNN, GRU or LSTM live; perplexity against n-gram baselines; "
     "sampling with temperature; learning rate and clipping change while it trains."),
    ("pages/2_Hidden_States.py", "🔬 Hidden states and gates",
     "Every unit's activation over a text, the LSTM / GRU gates, and neurons that track quotes "
     "or indentation."),
    ("pages/3_Gradient_Flow.py", "📉 Gradient flow through time",
     "Per-timestep gradient histograms: vanishing and exploding gradients, and what gating changes."),
    ("pages/4_Clipping.py", "✂️ Gradient clipping",
     "The same run with and without clipping, side by side, and the loss-surface cliff."),
    ("pages/5_Attention.py", "🎯 Attention",
     "Sequence-to-sequence with attention: heatmaps that form while the model learns."),
    ("pages/6_Beam_Search.py", "🌳 Beam search",
     "Greedy vs beam search as a tree, length normalisation and search-vs-model errors."),
    ("pages/7_Embeddings.py", "🗺️ Word embeddings",
     "word2vec trained live, t-SNE and PCA, nearest neighbours and analogies."),
]

PRESETS = [
    ("LSTM on Python source", {"corpus": "python", "cell": "lstm", "hidden_size": "128"}),
    ("Word-level GRU on the toy grammar", {"corpus": "grammar", "level": "word", "cell": "gru"}),
    ("Plain RNN, too-high learning rate, no clipping",
     {"cell": "rnn", "optimizer": "sgd", "lr": "10.0", "clip": "none"}),
]

ROOT = Path(__file__).parent

st.title("🔁 seqviz — a lab for recurrent neural networks")
st.markdown(
    "seqviz trains small recurrent networks **live, in your browser tab**, and shows what "
    "happens inside them. Press *Play* on any page, move a slider while it trains, and copy the "
    "address bar to share the exact experiment (the seed is in the link). Everything runs "
    "offline on the CPU.")

st.header("Pages")
for path, title, blurb in PAGES:
    if (ROOT / path).exists():
        st.page_link(path, label=title)
        st.caption(blurb)

st.header("Quick start")
st.markdown("Each link opens the language-model page with a ready-made experiment:")
for label, params in PRESETS:
    st.page_link("pages/1_Language_Model.py", label=f"▶ {label}", query_params=params)
