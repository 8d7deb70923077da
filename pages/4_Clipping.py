"""Gradient clipping: one run with and one without, side by side, and the loss-surface cliff."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.gradients.clipping import ClipConfig
from seqviz.gradients.export import CLIP_EXPORT
from seqviz.gradients.lecture import CLIP_STEPS
from seqviz.i18n import N_, _
from seqviz.ui.controls import integer, ladder, select
from seqviz.ui.export import export_panel
from seqviz.ui.gradients import clipping
from seqviz.ui.layout import page_header
from seqviz.ui.lecture import lecture_panel
from seqviz.ui.player import is_playing, player_bar, step_and_reset
from seqviz.ui.setup import setup_page
from seqviz.ui.share import claim_fork, share_panel
from seqviz.ui.state import checked, open_config, rebuild_or_apply, widget_values

K = "clip"
setup_page(N_("Gradient clipping"), "✂️")
page_header("✂️ " + _("Gradient clipping"),
            _("Two copies of one network, same initial weights, same batches. One rescales its "
              "gradient whenever the norm passes the threshold (or clamps each entry); the "
              "other does not. They stay identical until the first gradient above the "
              "threshold. Threshold and learning rate act while it trains."))
claim_fork(K)  # a Fork link from the Follow page: says why, if it fails
cfg = open_config(ClipConfig, K)
ss = st.session_state

# ---- controls ------------------------------------------------------------------------------
sb = st.sidebar
sb.header(_("Clipping (live)"))
select(K, "clip", _("Clip by"), ["norm", "value"], horizontal=True, main=True,
       fmt=lambda v: {"norm": _("global norm"), "value": _("value")}[v])
ladder(K, "clip_threshold", _("Threshold"), [0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0],
       main=True)
ladder(K, "lr", _("Learning rate"), [1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
       main=True)
sb.header(_("Run (rebuilds)"))
select(K, "task", _("Task"), ["adding", "recall"],
       fmt=lambda v: {"recall": _("recall the first symbol"), "adding": _("adding problem")}[v])
select(K, "cell", _("Cell"), ["rnn", "gru", "lstm"], horizontal=True, fmt=str.upper)
select(K, "activation", _("RNN activation"), ["tanh", "relu"], horizontal=True)
ladder(K, "radius", _("Initial spectral radius of W_hh"),
       [0.3, 0.5, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5, 2.0])
ladder(K, "seq_len", _("Sequence length T"), [2, 5, 10, 20, 50, 100, 150, 200],
       fmt=lambda v: f"{v}")
ladder(K, "hidden_size", _("Hidden size H"), [8, 16, 32, 64, 128, 256], fmt=lambda v: f"{v}")
select(K, "optimizer", _("Optimiser"), ["sgd", "adam"], horizontal=True,
       fmt={"adam": "Adam", "sgd": "SGD"}.get)
integer(K, "seed", _("Seed"), 0, 2**31 - 1, help=_("Same seed, same weights and batches."))
sb.header(_("The cliff (live)"))
ladder(K, "cliff_lr", _("Cliff: learning rate"), [0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 2.0, 5.0])
ladder(K, "cliff_threshold", _("Cliff: clip threshold"),
       [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0], main=True)

# ---- resolve the config the widgets describe ---------------------------------------------------
new = checked(cfg, dataclasses.replace(cfg, **widget_values(K, cfg)))
exp, cfg = rebuild_or_apply(K, cfg, new, lambda c: clipping.build(c, playing=is_playing(K)),
                            _("Both runs"), labels=clipping.settings)


# ---- player, live panel, cliff, lecture ------------------------------------------------------
_step, _reset = step_and_reset(K, lambda: clipping.build(ss[f"{K}.config"]))
playing = player_bar(K, _step, _reset)
share_panel(K, "pages/4_Clipping.py", clipping.render, settings=clipping.settings)
clipping.live_panel(K, playing)
clipping.rewind_section(K, ss[f"{K}.exp"])  # both runs at past steps
clipping.cliff_section(K, cfg)
lecture_panel(K, "pages/4_Clipping.py", CLIP_STEPS, cfg, ss[f"{K}.exp"].steps)
export_panel(K, CLIP_EXPORT, _("Gradient clipping"))
