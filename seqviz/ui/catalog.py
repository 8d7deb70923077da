"""The lab's pages, in order: file, title for links, and what each teaches."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]

HOME = ("app.py", "🏠 Home", "What seqviz is, and quick-start presets.")
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


def existing_pages() -> list[tuple[str, str, str]]:
    """Only the pages whose files exist (later pages arrive one issue at a time)."""
    return [p for p in PAGES if (ROOT / p[0]).exists()]


def sidebar_nav() -> None:
    """Readable page links at the top of the sidebar (Streamlit's own list shows file names)."""
    with st.sidebar:
        for path, title, _ in [HOME] + existing_pages():
            st.page_link(path, label=title)
        st.divider()
