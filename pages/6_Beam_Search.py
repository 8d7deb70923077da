"""Beam search: greedy vs beam as a tree, length normalisation, search vs model errors, and the
two conventions for finished hypotheses."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.checkpoint import CheckpointError
from seqviz.decoding.config import BeamConfig
from seqviz.decoding.lecture import STEPS
from seqviz.i18n import N_, _, ngettext
from seqviz.ui.controls import held, integer, ladder, select
from seqviz.ui.decoding import panel, study
from seqviz.ui.decoding.lecture import lecture_panel
from seqviz.ui.decoding.sources import (available_sources, input_label, source_label,
                                        source_version, sources_help)
from seqviz.ui.layout import columns, control_area, page_header
from seqviz.ui.live import memo
from seqviz.ui.setup import setup_page
from seqviz.ui.state import (checked, open_config, seed_widgets, store_config, widget_key,
                             widget_values)

K = "beam"
MAX_INPUT = 200
setup_page(N_("Beam search"), "🌳")
page_header("🌳 " + _("Beam search"),
            _("Greedy search takes the best token at each step; beam search keeps the B best "
              "prefixes. Every candidate the beam looked at is in the tree: grey ones were "
              "pruned. Scores are sums of log-probabilities, so short outputs win unless the "
              "final ranking divides by T^α."))

cfg = open_config(BeamConfig, K, seed=False)
sources = available_sources()
if not sources:
    st.error(_("No model to decode with: train one on the Language model page first."))
    st.page_link("pages/1_Language_Model.py", label=_("Open the Language model page"), icon="✍️")
    st.stop()
if cfg.source not in sources:
    first = next(iter(sources))
    if cfg.source != "auto":
        st.warning(_("Model {name!r} is not available here; showing {label} instead.").format(
            name=cfg.source, label=source_label(first)))
    cfg = dataclasses.replace(cfg, source=first)
    st.session_state[widget_key(K, "source")] = cfg.source
seed_widgets(K, cfg)

sb = st.sidebar
sb.header(_("Model"))
select(K, "source", _("Decode with"), list(sources), fmt=source_label, main=True,
       help=sources_help())
sb.header(_("Search"))
ladder(K, "beam_width", _("Beam width B"), list(range(1, 11)), fmt=str, main=True)
control_area(main=True).slider(
    _("Length normalisation α"), 0.0, 1.0, value=held(widget_key(K, "alpha"), 0.0), step=0.05,
    key=widget_key(K, "alpha"),
    help=_("Final ranking by log P / T^α: 0 = raw log P (favours short outputs)."))
select(K, "finished", _("When a hypothesis ends"), ["shrink", "keep"], main=True,
       fmt=lambda v: _(panel.FINISHED_NAMES[v]),
       help=_("Shrink: a finished hypothesis leaves the beam and its place stays empty. "
              "Refill: the next-best continuation takes its place (fairseq, Hugging Face)."))
integer(K, "max_len", _("Maximum output length"), 1, 60)
ladder(K, "expand", _("Children drawn per hypothesis"), list(range(1, 11)), fmt=str,
       help=_("How many of each live hypothesis's best continuations the tree shows."))
sb.header(_("Sampling (a third decoder)"))
sb.slider(_("Temperature"), 0.05, 2.0, value=held(widget_key(K, "temperature"), 1.0), step=0.05,
          key=widget_key(K, "temperature"))
integer(K, "seed", _("Seed"), 0, 2**31 - 1)

new = dataclasses.replace(cfg, **{k: v for k, v in widget_values(K, cfg).items()
                                  if k not in ("text", "reference")})
if new.source != cfg.source:  # another model: its own example input
    new = dataclasses.replace(new, text="", reference="")
new = checked(cfg, new)
try:
    source = sources[new.source]()
except CheckpointError as err:
    st.error(_("Cannot load {model}: {error}").format(model=source_label(new.source), error=err))
    st.stop()

# inputs: the source's example unless the config (a link, or what was typed) says otherwise;
# the widget keys follow the config's text, so a link that sets another text shows it
example_in, example_ref = source.example(new.seed)
box_in, box_ref = st.columns(2)
text = box_in.text_input(input_label(source), value=new.text or example_in, max_chars=MAX_INPUT,
                         key=f"{K}.text.{new.source}.{hash(new.text)}")
reference = box_ref.text_input(
    _("Reference output y* (for the error analysis)"),
    value=new.reference or (example_ref if text == example_in else ""), max_chars=MAX_INPUT,
    key=f"{K}.ref.{new.source}.{hash(new.reference)}")
# "" (the example) keeps links short; a text a link or the user gave stays, even the example's
new = dataclasses.replace(new, text=text if text != example_in or new.text else "",
                          reference=reference if reference != example_ref or new.reference
                          else "")
store_config(K, new)
lecture_panel("pages/6_Beam_Search.py", STEPS, new)

version = source_version(new.source)
problem = memo(f"{K}.problem", (version, text), lambda: source.problem(text))
if problem.unknown:
    st.warning(ngettext("{n} input token is not in this model's vocabulary and is read as <unk>.",
                        "{n} input tokens are not in this model's vocabulary and are read as "
                        "<unk>.", problem.unknown).format(n=problem.unknown))
if not text.strip() and source.kind == "seq2seq":
    st.info(_("The input is empty: the model decodes from its start token alone."))
search = (version, text, new.beam_width, new.max_len, new.alpha, new.expand, new.finished)
tree = memo(f"{K}.tree", search, lambda: problem.search(
    new.beam_width, new.max_len, new.alpha, expand=new.expand, finished=new.finished))

left, right = columns([3, 1])
with left:
    clicked = panel.tree_view(K, problem, tree, search)
with right:
    panel.node_inspector(K, problem, tree, clicked, search)
study.sweep_view(K, problem, reference, new, (version, text, new.max_len, new.alpha,
                                              new.finished))
panel.finals_view(K, problem, tree, new, (version, text))
study.error_analysis(problem, tree, reference, new)
study.conventions_note()
study.tally_view(K, source, new)
