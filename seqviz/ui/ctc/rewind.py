"""The CTC page's timeline: the probe utterance's per-frame output probabilities as the model
had them at a past step (recomputed in the worker from the weights kept then,
``seqviz.ctc.live.CTCTrainingRun.probe_at``), with its greedy decoding then."""

from __future__ import annotations

import streamlit as st

from seqviz.ctc.figures import posterior_figure
from seqviz.ctc.live import LiveCTC
from seqviz.ctc.symbols import to_text
from seqviz.i18n import _
from seqviz.ui.live import memo
from seqviz.ui.chart import chart
from seqviz.ui.timeline import past_view


def rewind_section(key: str, exp: LiveCTC) -> None:
    st.subheader("⏪ " + _("Rewind: the posteriors at past steps"))
    past = past_view(key, exp, "probe_at")
    if past is None:
        st.caption(_("Choose a past step to see which symbol each frame predicted then."))
        return
    step, p = past
    tag = (exp.handle.run_id, exp.handle.generation, step, p.index)
    chart(memo(f"{key}.rw.post", tag, lambda: posterior_figure(
        p.log_probs, p.truth, title=_("Per-frame output probabilities at step {step}: example "
                                      "{i}, label “{label}”").format(
            step=f"{step:,}", i=p.index, label=to_text(p.label)))), key=f"{key}.chart.rw_post")
    st.caption(_("Greedy decoding at step {step}: “{text}”").format(
        step=f"{step:,}", text=to_text(p.greedy_label)))
