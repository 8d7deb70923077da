"""Time series: an autoregressive MLP on tau past values against a GRU / LSTM, one-step and
k-step-ahead predictions, and the Markov assumption's limit (d2l 8.1)."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.i18n import N_, _
from seqviz.timeseries.config import (BATCH_SIZES, HIDDEN_SIZES, SEQ_LENS, TAU_MAX,
                                      TRAIN_SHARES, TimeSeriesConfig)
from seqviz.timeseries.export import EXPORT
from seqviz.timeseries.lecture import STEPS
from seqviz.ui.controls import integer, ladder, select
from seqviz.ui.export import export_panel
from seqviz.ui.layout import page_header
from seqviz.ui.lecture import lecture_panel
from seqviz.ui.player import is_playing, player_bar, step_and_reset
from seqviz.ui.setup import setup_page
from seqviz.ui.share import claim_fork, share_panel
from seqviz.ui.state import checked, open_config, rebuild_or_apply, widget_values
from seqviz.ui.timeseries import data, panel, rewind

K = "ts"
setup_page(N_("Time series"), "📈")
page_header("📈 " + _("Time series: predicting the next number"),
            _("An autoregressive MLP sees the last τ values (the Markov assumption); a GRU or "
              "LSTM carries a hidden state through the whole past (a latent-variable model). "
              "Both learn to predict the next value of the series. Press **Play**, then see "
              "what happens when their own predictions are fed back, k steps ahead."))
claim_fork(K)  # a Fork link from the Follow page: says why, if it fails
cfg = open_config(TimeSeriesConfig, K)
ss = st.session_state

# ---- controls ------------------------------------------------------------------------------
sb = st.sidebar
sb.header(_("Data"))
data.data_controls(K, cfg)
ladder(K, "train_share", _("Training share (the rest validates)"), list(TRAIN_SHARES),
       fmt=lambda v: f"{100 * v:.0f} %")
sb.header(_("Models"))
ladder(K, "tau", _("Past values τ (MLP)"), list(range(1, TAU_MAX + 1)), main=True,
       help=_("The MLP predicts xₜ from xₜ₋τ … xₜ₋₁ only."))
select(K, "cell", _("Recurrent cell"), ["rnn", "gru", "lstm"], horizontal=True, fmt=str.upper,
       main=True)
ladder(K, "hidden_size", _("Hidden size H (both models)"), list(HIDDEN_SIZES))
ladder(K, "seq_len", _("RNN window (training and warm-up)"), list(SEQ_LENS),
       help=_("The recurrent model trains on windows this long and reads this many true "
              "values before it predicts."))
sb.header(_("Training"))
ladder(K, "batch_size", _("Batch size B"), list(BATCH_SIZES))
ladder(K, "lr", _("Learning rate (live)"), [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0])
integer(K, "seed", _("Seed"), 0, 2**31 - 1,
        help=_("Same seed, same noise, starting weights and batches."))

# ---- resolve the config the widgets describe ---------------------------------------------------
new, values = data.resolve(K, cfg, dataclasses.replace(cfg, **widget_values(K, cfg)))
exp, _cfg = rebuild_or_apply(K, cfg, checked(cfg, new),
                             lambda c: panel.build(c, values, playing=is_playing(K)),
                             _("The models"), labels=panel.settings)

# ---- player, live panel, lecture ---------------------------------------------------------------
_step, _reset = step_and_reset(K, lambda: panel.build(ss[f"{K}.config"], values))
playing = player_bar(K, _step, _reset)
share_panel(K, "pages/9_Time_Series.py", panel.render, settings=panel.settings)
panel.live_panel(K, playing)  # first: in presenter mode the charts come before the lecture
rewind.rewind_section(K, ss[f"{K}.exp"])  # the predictions at past steps
lecture_panel(K, "pages/9_Time_Series.py", STEPS, ss[f"{K}.config"], panel.trained_steps(K))
export_panel(K, EXPORT, _("Time series"))
