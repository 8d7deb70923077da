"""Gradient flow through time: per-timestep gradients, vanishing and exploding, and gating."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.tasks import GFConfig
from seqviz.ui import gradient_panel
from seqviz.ui.controls import integer, ladder, select
from seqviz.ui.player import player_bar, step_and_reset
from seqviz.ui.setup import setup_page
from seqviz.ui.state import checked, open_config, rebuild_or_apply, widget_values

K = "gf"
CELLS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
setup_page("Gradient flow", "📉")
st.title("📉 Gradient flow through time")
st.caption("Backpropagation through time multiplies the gradient by the same recurrent Jacobian "
           "at every step back: 0.9⁵⁰ ≈ 0.005 and 1.1⁵⁰ ≈ 117. Watch the per-step gradients "
           "vanish or explode, and see how far back each cell's gradient reaches. RNN, GRU and "
           "LSTM train side by side on the same batches.")
cfg = open_config(GFConfig, K)
ss = st.session_state

# ---- controls ------------------------------------------------------------------------------
sb = st.sidebar
sb.header("Task")
select(K, "task", "Memory task", ["recall", "adding"],
       fmt=lambda v: {"recall": "recall the first symbol at the end",
                      "adding": "adding problem (Hochreiter & Schmidhuber 1997)"}[v])
ladder(K, "seq_len", "Sequence length T (distance to remember)",
       [2, 5, 10, 20, 30, 50, 75, 100, 150, 200], fmt=lambda v: f"{v}")
sb.header("Model")
select(K, "cell", "Cell drawn in detail (live)", list(CELLS), horizontal=True,
       fmt=CELLS.__getitem__, help="All three train side by side; this one gets the histograms.")
select(K, "activation", "RNN activation", ["tanh", "relu"], horizontal=True)
ladder(K, "radius", "Initial spectral radius of W_hh",
       [0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.5, 2.0],
       help="Every (H × H) block of W_hh is scaled so its largest |eigenvalue| is this.")
ladder(K, "hidden_size", "Hidden size H", [8, 16, 32, 64, 128, 256], fmt=lambda v: f"{v}")
sb.header("Training")
select(K, "optimizer", "Optimiser", ["adam", "sgd"], horizontal=True, fmt=str.capitalize)
ladder(K, "lr", "Learning rate (live)", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0])
select(K, "scale", "Histogram value axis (live)", ["linear", "log"], horizontal=True,
       fmt=lambda v: {"linear": "value", "log": "log10 |value|"}[v])
integer(K, "seed", "Seed", 0, 2**31 - 1, help="Same seed, same weights and batches.")

# ---- resolve the config the widgets describe ---------------------------------------------------
new = checked(cfg, dataclasses.replace(cfg, **widget_values(K, cfg)))
rebuild_or_apply(K, cfg, new, gradient_panel.build, "Runs", busy="Building the three runs…")


# ---- player and live panel -------------------------------------------------------------------
_step, _reset = step_and_reset(K, lambda: gradient_panel.build(ss[f"{K}.config"]))
playing = player_bar(K, _step, _reset)
gradient_panel.live_panel(K, playing)
