"""The time-series page's timeline: both models' one-step predictions over the series as they
were at a past step (recomputed in the worker from the weights kept then,
``seqviz.timeseries.live.TimeSeriesRun.predictions_at``)."""

from __future__ import annotations

import streamlit as st

from seqviz.i18n import _
from seqviz.timeseries.figures import signal_figure
from seqviz.timeseries.live import LiveTimeSeries
from seqviz.ui.live import memo
from seqviz.ui.chart import chart
from seqviz.ui.timeline import past_view
from seqviz.ui.timeseries.panel import names


def rewind_section(key: str, exp: LiveTimeSeries) -> None:
    st.subheader("⏪ " + _("Rewind: the predictions at past steps"))
    past = past_view(key, exp, "predictions_at")
    view = exp.view
    if past is None or view is None:
        st.caption(_("Choose a past step to see what both models predicted then."))
        return
    step, ones = past
    s = view.series
    labels = names(view.cfg)

    def build():
        raw = s.x * s.std + s.mean
        preds = [(name, p * s.std + s.mean) for name, p in zip(labels, ones)]
        targets = view.predictions.targets
        return signal_figure(raw, s.train_end, targets, preds).update_layout(
            title_text=_("One-step predictions at step {step}").format(step=f"{step:,}"))

    tag = (exp.handle.run_id, exp.handle.generation, step)
    chart(memo(f"{key}.rw.signal", tag, build), key=f"{key}.chart.rw_signal")
