"""CTC: a bidirectional LSTM learns to read generated "speech" with no alignment."""

from __future__ import annotations

import dataclasses

import streamlit as st

from seqviz.ctc.config import CTCConfig
from seqviz.ctc.export import EXPORT
from seqviz.ctc.lecture import STEPS
from seqviz.i18n import N_, _
from seqviz.ui.controls import integer, ladder
from seqviz.ui.ctc import panel, rewind
from seqviz.ui.export import export_panel
from seqviz.ui.layout import page_header
from seqviz.ui.lecture import lecture_panel
from seqviz.ui.player import is_playing, player_bar, step_and_reset
from seqviz.ui.setup import setup_page
from seqviz.ui.share import claim_fork, share_panel
from seqviz.ui.state import checked, open_config, rebuild_or_apply, widget_values

K = "ctc"
setup_page(N_("CTC"), "🎙️")
page_header("🎙️ " + _("CTC: many frames, fewer symbols, no alignment"),
            _("Each utterance is a short label (\"bad\") spoken as runs of noisy frames of "
              "random length, with pauses. A bidirectional LSTM reads the frames and is trained "
              "with CTC, which adds a blank and sums over every alignment of the label "
              "(Graves et al. 2006). Press **Play** and watch the outputs become peaky."))
claim_fork(K)  # a Fork link from the Follow page: says why, if it fails
cfg = open_config(CTCConfig, K)
ss = st.session_state

# ---- controls ------------------------------------------------------------------------------
sb = st.sidebar
sb.header(_("Task"))
integer(K, "symbols", _("Symbols K"), 2, 10)
integer(K, "max_len", _("Longest label"), 1, 8)
integer(K, "max_frames", _("Most frames per symbol"), 2, 12)
ladder(K, "noise", _("Noise"), [0.0, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.5, 2.0], main=True)
ladder(K, "silence", _("Chance of a pause between symbols"), [0.0, 0.1, 0.3, 0.5, 0.8, 1.0])
sb.header(_("Model"))
ladder(K, "hidden_size", _("Hidden size H (per direction)"), [8, 16, 32, 48, 64, 128])
integer(K, "num_layers", _("Layers"), 1, 2)
sb.header(_("Training"))
ladder(K, "batch_size", _("Batch size B"), [1, 2, 4, 8, 16, 32, 64])
ladder(K, "lr", _("Learning rate (live)"), [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0],
       main=True)
ladder(K, "clip_threshold", _("Clip threshold (live)"), [0.01, 0.1, 0.5, 1.0, 5.0, 100.0])
integer(K, "seed", _("Seed"), 0, 2**31 - 1, help=_("Same seed, same starting weights and "
                                                  "utterances."))
sb.header(_("Decoding"))
ladder(K, "beam", _("Beam width (live)"), [1, 2, 3, 4, 6, 8, 12, 16], fmt=str, main=True,
       help=_("Prefix beam search keeps this many label prefixes per frame; 1 is close to "
              "best path."))
integer(K, "example", _("Example to draw (live)"), 0, 19, main=True,
        help=_("Which held-out utterance the heatmap, trellis and decoding show."))

# ---- resolve the config the widgets describe ---------------------------------------------------
new = dataclasses.replace(cfg, **widget_values(K, cfg))
exp, _cfg = rebuild_or_apply(K, cfg, checked(cfg, new),
                             lambda c: panel.build(c, playing=is_playing(K)), _("Model"),
                             labels=panel.settings)

# ---- player, live panel, lecture, collapse rule -------------------------------------------------
_step, _reset = step_and_reset(K, lambda: panel.build(ss[f"{K}.config"]))
playing = player_bar(K, _step, _reset)
share_panel(K, "pages/10_CTC.py", panel.render, settings=panel.settings)
panel.live_panel(K, playing)  # first: in presenter mode the charts come before the lecture
rewind.rewind_section(K, ss[f"{K}.exp"])  # the posteriors at past steps
lecture_panel(K, "pages/10_CTC.py", STEPS, ss[f"{K}.config"], panel.trained_steps(K))
panel.collapse_section(K, ss[f"{K}.config"].symbols)
export_panel(K, EXPORT, _("CTC"))
