"""Gradient flow through time: per-timestep gradients, vanishing and exploding, and gating."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.gradients.export import FLOW_EXPORT
from seqviz.gradients.lecture import FLOW_STEPS
from seqviz.gradients.tasks import GFConfig
from seqviz.i18n import N_, _
from seqviz.ui.controls import integer, ladder, select
from seqviz.ui.export import export_panel
from seqviz.ui.gradients import flow
from seqviz.ui.layout import page_header
from seqviz.ui.lecture import lecture_panel
from seqviz.ui.player import is_playing, player_bar, step_and_reset
from seqviz.ui.setup import setup_page
from seqviz.ui.share import claim_fork, share_panel
from seqviz.ui.state import checked, open_config, rebuild_or_apply, widget_values

K = "gf"
CELLS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
setup_page(N_("Gradient flow"), "📉")
page_header("📉 " + _("Gradient flow through time"),
            _("Backpropagation through time multiplies the gradient by the same recurrent "
              "Jacobian at every step back: 0.9⁵⁰ ≈ 0.005 and 1.1⁵⁰ ≈ 117. Watch the per-step "
              "gradients vanish or explode, and see how far back each cell's gradient reaches. "
              "RNN, GRU and LSTM train side by side on the same batches."))
claim_fork(K)  # a Fork link from the Follow page: says why, if it fails
cfg = open_config(GFConfig, K)
ss = st.session_state

# ---- controls ------------------------------------------------------------------------------
sb = st.sidebar
sb.header(_("Task"))
select(K, "task", _("Memory task"), ["recall", "adding"],
       fmt=lambda v: {"recall": _("recall the first symbol at the end"),
                      "adding": _("adding problem (Hochreiter & Schmidhuber 1997)")}[v])
ladder(K, "seq_len", _("Sequence length T (distance to remember)"),
       [2, 5, 10, 20, 30, 50, 75, 100, 150, 200], fmt=lambda v: f"{v}", main=True)
sb.header(_("Model"))
select(K, "cell", _("Cell drawn in detail (live)"), list(CELLS), horizontal=True,
       fmt=CELLS.__getitem__, main=True,
       help=_("All three train side by side; this one gets the histograms."))
select(K, "activation", _("RNN activation"), ["tanh", "relu"], horizontal=True, main=True)
ladder(K, "radius", _("Initial spectral radius of W_hh"),
       [0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.5, 2.0], main=True,
       help=_("Every (H × H) block of W_hh is scaled so its largest |eigenvalue| is this."))
ladder(K, "hidden_size", _("Hidden size H"), [8, 16, 32, 64, 128, 256], fmt=lambda v: f"{v}")
sb.header(_("Training"))
select(K, "optimizer", _("Optimiser"), ["adam", "sgd"], horizontal=True,
       fmt={"adam": "Adam", "sgd": "SGD"}.get)
ladder(K, "lr", _("Learning rate (live)"),
       [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0])
select(K, "scale", _("Histogram value axis (live)"), ["linear", "log"], horizontal=True,
       fmt=lambda v: {"linear": _("value"), "log": _("log10 |value|")}[v])
integer(K, "seed", _("Seed"), 0, 2**31 - 1, help=_("Same seed, same weights and batches."))

# ---- resolve the config the widgets describe ---------------------------------------------------
new = checked(cfg, dataclasses.replace(cfg, **widget_values(K, cfg)))
exp, cfg = rebuild_or_apply(K, cfg, new, lambda c: flow.build(c, playing=is_playing(K)),
                            _("Runs"), labels=flow.settings)


# ---- player, live panel, lecture -------------------------------------------------------------
_step, _reset = step_and_reset(K, lambda: flow.build(ss[f"{K}.config"]))
playing = player_bar(K, _step, _reset)
share_panel(K, "pages/3_Gradient_Flow.py", flow.render, settings=flow.settings)
flow.live_panel(K, playing)
flow.rewind_section(K, ss[f"{K}.exp"])  # the gradient norms at past steps
lecture_panel(K, "pages/3_Gradient_Flow.py", FLOW_STEPS, cfg, ss[f"{K}.exp"].steps)
export_panel(K, FLOW_EXPORT, _("Gradient flow"))
