"""The sequence-tasks page's timeline: the probe review's per-word contributions, or the probe
sentence's tags, as the model had them at a past step (recomputed in the worker from the
weights kept then, ``seqviz.seqtasks.live.SeqTaskRun.probe_at``)."""

from __future__ import annotations

import streamlit as st

from seqviz.i18n import _
from seqviz.seqtasks.figures import class_name, contributions_figure
from seqviz.seqtasks.live import LiveSeqTask
from seqviz.ui.live import memo
from seqviz.ui.chart import chart
from seqviz.ui.timeline import past_view


def rewind_section(key: str, exp: LiveSeqTask) -> None:
    st.subheader("⏪ " + _("Rewind: the probe at past steps"))
    past = past_view(key, exp, "probe_at")
    if past is None:
        st.caption(_("Choose a past step to see how the model read the probe then."))
        return
    step, probe = past
    if probe.error is not None:
        st.warning(str(probe.error))
        return
    if probe.grad_x_input is not None:  # sentiment
        tag = (exp.handle.run_id, exp.handle.generation, step)
        chart(memo(f"{key}.rw.probe", tag, lambda: contributions_figure(
            probe.tokens, probe.grad_x_input, known=probe.known,
            title=_("Probe review at step {step}: contribution of each word (gradient × "
                    "input)").format(step=f"{step:,}"),
            y=_("↑ towards positive · ↓ towards negative"))), key=f"{key}.chart.rw_probe")
        st.caption(_("P(positive) = {p:.2f} at step {step}.").format(p=probe.p_positive,
                                                                   step=f"{step:,}"))
        return
    classes = probe.classes  # the names of the model that tagged it
    if probe.tags and classes:
        st.markdown(_("Probe sentence at step {step}, tagged: {tagged}").format(
            step=f"{step:,}", tagged="  ".join(
                f"`{t}`→**{class_name(classes[g])}** ({c:.0%})"
                for t, g, c in zip(probe.tokens, probe.tags, probe.confidence))))
