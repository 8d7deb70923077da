"""The lab's pages, in order: file, title for links, and what each teaches."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from seqviz.i18n import N_, _

ROOT = Path(__file__).resolve().parents[2]

HOME = ("app.py", "🏠", N_("Home"), N_("What seqviz is, and quick-start presets."))
PAGES = [  # file, icon, title, what it teaches (translated where shown)
    ("pages/1_Language_Model.py", "✍️", N_("Language model"),
     N_("Train a char- or word-level RNN, GRU or LSTM live; perplexity against n-gram "
        "baselines; sampling with temperature; learning rate and clipping change while it "
        "trains.")),
    ("pages/2_Hidden_States.py", "🔬", N_("Hidden states and gates"),
     N_("Every unit's activation over a text, the LSTM / GRU gates, and neurons that track "
        "quotes or indentation.")),
    ("pages/3_Gradient_Flow.py", "📉", N_("Gradient flow through time"),
     N_("Per-timestep gradient histograms: vanishing and exploding gradients, and what gating "
        "changes.")),
    ("pages/4_Clipping.py", "✂️", N_("Gradient clipping"),
     N_("The same run with and without clipping, side by side, and the loss-surface cliff.")),
    ("pages/5_Attention.py", "🎯", N_("Attention"),
     N_("Sequence-to-sequence with attention: heatmaps that form while the model learns.")),
    ("pages/6_Beam_Search.py", "🌳", N_("Beam search"),
     N_("Greedy vs beam search as a tree, length normalisation and search-vs-model errors.")),
    ("pages/7_Embeddings.py", "🗺️", N_("Word embeddings"),
     N_("word2vec trained live, t-SNE and PCA, nearest neighbours and analogies.")),
    ("pages/8_Sequence_Tasks.py", "🧩", N_("Sequence tasks"),
     N_("RNNs by input and output shape: sentiment as many-to-one, tagging as many-to-many, "
        "bidirectional and deep RNNs, dropout and weight decay.")),
    ("pages/9_Time_Series.py", "📈", N_("Time series"),
     N_("Sequence models of numbers: autoregressive models against an RNN, one-step and "
        "k-step-ahead predictions, and how errors pile up when predictions are fed back.")),
    ("pages/10_CTC.py", "🎙️", N_("CTC"),
     N_("Connectionist temporal classification: many frames to fewer symbols with no alignment, "
        "the blank, the trellis of alignments, greedy and prefix beam search.")),
]
FOLLOW = ("pages/99_Follow.py", "👀", N_("Follow the lecturer"),
          N_("Watch the lecturer's shared run live, read-only, and fork it to experiment."))


def existing_pages() -> list[tuple[str, str, str, str]]:
    """Only the pages whose files exist (later pages arrive one issue at a time)."""
    return [p for p in PAGES if (ROOT / p[0]).exists()]


def page_title(path: str) -> str:
    """A page's icon and translated title, e.g. for a link to it."""
    for p, icon, title, _blurb in [HOME] + PAGES + [FOLLOW]:
        if p == path:
            return f"{icon} {_(title)}"
    raise KeyError(path)


def sidebar_nav() -> None:
    """Readable page links at the top of the sidebar (Streamlit's own list shows file names)."""
    with st.sidebar:
        for path, icon, title, _blurb in [HOME] + existing_pages() + [FOLLOW]:
            st.page_link(path, label=f"{icon} {_(title)}")
        st.divider()
