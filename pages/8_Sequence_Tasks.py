"""Sequence tasks: RNNs by input/output shape. Sentiment as many-to-one, tagging as aligned
many-to-many, deep and bidirectional RNNs, dropout and weight decay, trained live."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.i18n import N_, _, language
from seqviz.seqtasks.bundled import effective
from seqviz.seqtasks.config import (DROPOUTS, EMBED_SIZES, HIDDEN_SIZES, LRS, TRAIN_SIZES,
                                    WEIGHT_DECAYS, SeqTaskConfig)
from seqviz.seqtasks.export import EXPORT
from seqviz.seqtasks.lecture import STEPS
from seqviz.ui.controls import held, integer, ladder, select
from seqviz.ui.export import export_panel
from seqviz.ui.layout import control_area, page_header
from seqviz.ui.lecture import lecture_panel
from seqviz.ui.player import is_playing, player_bar, step_and_reset
from seqviz.ui.seqtasks import panel, rewind, sections
from seqviz.ui.setup import setup_page
from seqviz.ui.share import claim_fork, share_panel
from seqviz.ui.state import (checked, config_params, open_config, rebuild_or_apply, seed_widgets,
                             sync_url, widget_key, widget_values)

K = "seq"
setup_page(N_("Sequence tasks"), "🧩")
page_header("🧩 " + _("Sequence tasks"),
            _("One recurrent network, two shapes of task: a review in, one label out "
              "(many-to-one), or one tag per word (aligned many-to-many). Press **Play**; then "
              "make it bidirectional, deeper, or regularise it with dropout and weight decay."))
claim_fork(K)  # a Fork link from the Follow page: says why, if it fails
ss = st.session_state
first = f"{K}.config" not in ss
cfg = open_config(SeqTaskConfig, K, seed=False)
if first and language() == "zh" and "reviews" not in config_params():
    cfg = ss[f"{K}.config"] = dataclasses.replace(cfg, reviews="zh")  # Chinese page, reviews
seed_widgets(K, cfg)

# ---- controls ----------------------------------------------------------------------------------
sb = st.sidebar
TASK_NAMES = {"sentiment": N_("sentiment"), "tagging": N_("tagging")}  # the diagram shows the shape
START = {"none": "🆕 " + N_("fresh model"), "sentiment": "📦 " + N_("sentiment"),
         "tagging": "📦 " + N_("tagging")}
select(K, "pretrained", _("Start from"), list(START),
       fmt=lambda v: START[v][:2] + _(START[v][2:]),
       help=_("🆕 a fresh model, trained live. 📦 a bundled model trained 600 steps (an LSTM on "
              "the English reviews, a bidirectional LSTM tagger): trained curves at once; Play "
              "continues training it."))
fresh = ss[widget_key(K, "pretrained")] == "none"
if fresh:
    sb.header(_("Task"))
    select(K, "task", _("Task"), ["sentiment", "tagging"], main=True,
           fmt=lambda t: _(TASK_NAMES[t]),
           help=_("**sentiment**: generated reviews whose label needs negation and contrast "
                  "(\"not bad\", \"although …, …\"). **tagging**: the toy grammar's words with "
                  "their categories; a determiner's tag depends on the noun to its right."))
    if ss[widget_key(K, "task")] == "sentiment":
        select(K, "reviews", _("Reviews in"), ["en", "zh"], horizontal=True,
               fmt=lambda v: {"en": "English", "zh": "中文"}[v],
               help=_("The generated reviews' language (the tagging grammar is English)."))
    ladder(K, "train_size", _("Training examples"), list(TRAIN_SIZES),
           help=_("Few examples make over-fitting easy to see."))
    sb.header(_("Model"))
    select(K, "cell", _("Cell"), ["rnn", "gru", "lstm"], horizontal=True, fmt=str.upper,
           main=True)
    control_area(main=True).checkbox(_("Bidirectional"),
                                     value=held(widget_key(K, "bidirectional"), False),
                                     key=widget_key(K, "bidirectional"),
                                     on_change=sync_url, args=(K,),
                                     help=_("A second RNN reads the sentence right to left; "
                                            "each position sees both sides."))
    integer(K, "num_layers", _("Layers"), 1, 3)
    ladder(K, "hidden_size", _("Hidden size H (per direction)"), list(HIDDEN_SIZES))
    ladder(K, "embed_size", _("Embedding size E"), list(EMBED_SIZES))
    sb.header(_("Training"))
    ladder(K, "batch_size", _("Batch size B"), [8, 16, 32, 64, 128])
else:
    sb.header(_("Training"))
ladder(K, "lr", _("Learning rate (live)"), list(LRS))
ladder(K, "dropout", _("Dropout (live)"), list(DROPOUTS), main=True,
       help=_("On the embeddings, between layers and before the output layer; only while "
              "training."))
ladder(K, "weight_decay", _("Weight decay, L2 (live)"), list(WEIGHT_DECAYS),
       fmt=lambda v: _("off") if v == 0 else f"{v:g}",
       help=_("Adds λ·w to every gradient: pulls weights towards zero."))
if fresh:
    integer(K, "seed", _("Seed"), 0, 2**31 - 1,
            help=_("Same seed, same data, starting weights, batches and dropout masks."))

# ---- resolve the config the widgets describe ---------------------------------------------------
new = effective(dataclasses.replace(cfg, **widget_values(K, cfg)))  # a bundled model: its setup
exp, new = rebuild_or_apply(K, cfg, checked(cfg, new),
                            lambda c: panel.build(c, playing=is_playing(K)), _("The model"),
                            labels=panel.settings)

# ---- shapes, player, live panel, lecture, typed sentence ---------------------------------------
sections.shapes(new.task)
_step, _reset = step_and_reset(K, lambda: panel.build(ss[f"{K}.config"]))
playing = player_bar(K, _step, _reset)
share_panel(K, "pages/8_Sequence_Tasks.py", panel.render, settings=panel.settings)
panel.live_panel(K, playing)
rewind.rewind_section(K, ss[f"{K}.exp"])  # the probe at past steps
lecture_panel(K, "pages/8_Sequence_Tasks.py", STEPS, new, exp.steps)
sections.typed_sentence(K, new.task, new.reviews)
export_panel(K, EXPORT, _("Sequence tasks"))
