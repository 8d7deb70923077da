"""Gradient clipping: one run with and one without, side by side, and the loss-surface cliff."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.clipping_run import ClipConfig
from seqviz.ui import clipping_panel
from seqviz.ui.controls import integer, ladder, select
from seqviz.ui.player import player_bar, step_and_reset
from seqviz.ui.setup import setup_page
from seqviz.ui.state import checked, open_config, rebuild_or_apply, widget_values

K = "clip"
setup_page("Gradient clipping", "✂️")
st.title("✂️ Gradient clipping")
st.caption("Two copies of one network, same initial weights, same batches. One rescales its "
           "gradient whenever the norm passes the threshold (or clamps each entry); the other "
           "does not. They stay identical until the first gradient above the threshold. "
           "Threshold and learning rate act while it trains.")
cfg = open_config(ClipConfig, K)
ss = st.session_state

# ---- controls ------------------------------------------------------------------------------
sb = st.sidebar
sb.header("Clipping (live)")
select(K, "clip", "Clip by", ["norm", "value"], horizontal=True,
       fmt=lambda v: {"norm": "global norm", "value": "value"}[v])
ladder(K, "clip_threshold", "Threshold", [0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0])
ladder(K, "lr", "Learning rate", [1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0])
sb.header("Run (rebuilds)")
select(K, "task", "Task", ["adding", "recall"],
       fmt=lambda v: {"recall": "recall the first symbol", "adding": "adding problem"}[v])
select(K, "cell", "Cell", ["rnn", "gru", "lstm"], horizontal=True, fmt=str.upper)
select(K, "activation", "RNN activation", ["tanh", "relu"], horizontal=True)
ladder(K, "radius", "Initial spectral radius of W_hh",
       [0.3, 0.5, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5, 2.0])
ladder(K, "seq_len", "Sequence length T", [2, 5, 10, 20, 50, 100, 150, 200], fmt=lambda v: f"{v}")
ladder(K, "hidden_size", "Hidden size H", [8, 16, 32, 64, 128, 256], fmt=lambda v: f"{v}")
select(K, "optimizer", "Optimiser", ["sgd", "adam"], horizontal=True, fmt=str.capitalize)
integer(K, "seed", "Seed", 0, 2**31 - 1, help="Same seed, same weights and batches.")
sb.header("The cliff (live)")
ladder(K, "cliff_lr", "Cliff: learning rate", [0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 2.0, 5.0])
ladder(K, "cliff_threshold", "Cliff: clip threshold", [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0])

# ---- resolve the config the widgets describe ---------------------------------------------------
new = checked(cfg, dataclasses.replace(cfg, **widget_values(K, cfg)))
rebuild_or_apply(K, cfg, new, clipping_panel.build, "Both runs")


# ---- player, live panel, cliff ---------------------------------------------------------------
_step, _reset = step_and_reset(K, lambda: clipping_panel.build(ss[f"{K}.config"]))
playing = player_bar(K, _step, _reset)
clipping_panel.live_panel(K, playing)
clipping_panel.cliff_section(K, new)
