"""The output-layer comparison under the embeddings page's curves (the table measured by
``benchmarks/bench_word2vec.py``; ``seqviz.embeddings.objectives``)."""

from __future__ import annotations

import streamlit as st

from seqviz.embeddings.objectives import load_table, table_rows
from seqviz.i18n import _
from seqviz.ui.layout import lazy_expander
from seqviz.ui.tables import table


def compare_objectives() -> None:
    data = load_table()
    box, is_open = lazy_expander(_("Output layers compared: full softmax, negative sampling, "
                                   "hierarchical and sampled softmax"), "emb.objectives.open")
    with box:
        if not is_open:
            return
        st.markdown(_(
            "Predicting a word needs a probability over the whole vocabulary. **Full softmax** "
            "scores all V words for every pair; **negative sampling** scores the true word "
            "against k noise words (not a probability); **hierarchical softmax** walks a "
            "Huffman tree, about log₂ V yes/no decisions, and its probabilities still sum to "
            "1; **sampled softmax** normalises over the true word and k noise words, corrected "
            "to estimate the full softmax. Choose one under “Output layer” in the sidebar."))
        if data is None:
            st.info(_("No measurements stored yet: run benchmarks/bench_word2vec.py "
                      "--write-table."))
            return
        table(table_rows(data))
        st.caption(_("Skip-gram on the English grammar, {batch} pairs per step, one CPU thread; "
                     "measured by benchmarks/bench_word2vec.py. The vocabulary is small (174 "
                     "words), so full softmax is cheap here; its cost grows with V, the others' "
                     "with k or log₂ V.").format(batch=f"{data.get('batch_size', 1024):,}"))
