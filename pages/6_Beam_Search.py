"""Beam search: greedy vs beam as a tree, length normalisation, and search vs model errors."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.checkpoint import CheckpointError
from seqviz.config import BeamConfig, check
from seqviz.ui import beam_panel
from seqviz.ui.beam_sources import available_sources, source_label
from seqviz.ui.controls import integer, ladder, select
from seqviz.ui.setup import setup_page
from seqviz.ui.state import (open_config, seed_widgets, store_config, widget_key,
                             widget_values)

K = "beam"
MAX_INPUT = 200
setup_page("Beam search", "🌳")
st.title("🌳 Beam search")
st.caption("Greedy search takes the best token at each step; beam search keeps the B best "
           "prefixes. Every candidate the beam looked at is in the tree: grey ones were pruned. "
           "Scores are sums of log-probabilities, so short outputs win unless the final ranking "
           "divides by T^α.")

cfg = open_config(BeamConfig, K, seed=False)
sources = available_sources()
if not sources:
    st.error("No model to decode with: train one on the Language model page first.")
    st.page_link("pages/1_Language_Model.py", label="✍️ Open the Language model page")
    st.stop()
if cfg.source not in sources:
    if cfg.source != "auto":
        st.warning(f"Model {cfg.source!r} is not available here; showing "
                   f"{source_label(next(iter(sources)))} instead.")
    cfg = dataclasses.replace(cfg, source=next(iter(sources)))
    st.session_state[widget_key(K, "source")] = cfg.source
seed_widgets(K, cfg)

sb = st.sidebar
sb.header("Model")
select(K, "source", "Decode with", list(sources), fmt=source_label)
sb.header("Search")
ladder(K, "beam_width", "Beam width B", list(range(1, 11)), fmt=str)
integer(K, "max_len", "Maximum output length", 1, 60)
sb.slider("Length normalisation α", 0.0, 1.0, step=0.05, key=widget_key(K, "alpha"),
          help="Final ranking by log P / T^α: 0 = raw log P (favours short outputs).")
ladder(K, "expand", "Children drawn per hypothesis", list(range(1, 11)), fmt=str,
       help="How many of each kept hypothesis's best continuations the tree shows.")
sb.header("Sampling (third decoder)")
sb.slider("Temperature", 0.05, 2.0, step=0.05, key=widget_key(K, "temperature"))
integer(K, "seed", "Seed", 0, 2**31 - 1)

new = dataclasses.replace(cfg, **{k: v for k, v in widget_values(K, cfg).items()
                                  if k not in ("text", "reference")})
if new.source != cfg.source:  # another model: its own example input
    new = dataclasses.replace(new, text="", reference="")
if check(new):
    st.error("Invalid setting: " + "; ".join(check(new)))
    new = cfg
try:
    source = sources[new.source]()
except CheckpointError as err:
    st.error(f"Cannot load {source_label(new.source)}: {err}")
    st.stop()

example_in, example_ref = (source.examples(1, new.seed) or [(source.default_text, "")])[0]
text = st.text_input(source.input_label, value=new.text or example_in, max_chars=MAX_INPUT,
                     key=f"{K}.text.{new.source}")
reference = st.text_input("Reference output y* (for the error analysis)",
                          value=new.reference or (example_ref if text == example_in else ""),
                          max_chars=MAX_INPUT, key=f"{K}.ref.{new.source}")
new = dataclasses.replace(new, text=text if text != example_in else "",
                          reference=reference if reference != example_ref else "")
store_config(K, new)

problem = source.problem(text)
if problem.unknown:
    st.warning(f"{problem.unknown} input token(s) are not in this model's vocabulary and are "
               f"read as <unk>.")
if not text.strip() and source.kind == "seq2seq":
    st.info("The input is empty: the model decodes from its start token alone.")
tree = problem.search(new.beam_width, new.max_len, new.alpha, expand=new.expand)

left, right = st.columns([3, 1])
with left:
    clicked = beam_panel.tree_view(K, problem, tree)
with right:
    beam_panel.node_inspector(problem, tree, clicked)
beam_panel.finals_view(problem, tree, new)
beam_panel.error_analysis(problem, tree, reference, new)
beam_panel.tally_view(K, source, new)
