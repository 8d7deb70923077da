"""The hidden-states page at past training steps: the live model's kept weights
(``seqviz.engine.rewind``) as a ``Source``, and two steps' heatmaps side by side with their
difference (``seqviz.hidden.compare``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from seqviz.hidden.compare import state_change
from seqviz.hidden.figures import colour_range, heatmap_figure
from seqviz.hidden.neurons import UnitRanking
from seqviz.hidden.probes import HiddenTrace, Probe, trace_lm
from seqviz.i18n import _
from seqviz.ui.controls import held
from seqviz.ui.chart import chart
from seqviz.ui.hidden import views
from seqviz.ui.hidden.sources import Source
from seqviz.ui.layout import columns
from seqviz.ui.live import memo
from seqviz.ui.state import widget_key
from seqviz.ui.timeline import COMPARE, Rewind, shown_step_note


def past_source(src: Source, step: int) -> Source:
    """The live source with its weights at the kept step nearest ``step``; its key is the one
    the live source had at that step, so every view memoised then is reused."""
    exp = src.exp
    model = exp.model_at(step)
    shown = int(exp.weights_at(step)["step"])
    meta = {k: v for k, v in src.meta.items() if k != "val_perplexity"}
    meta["steps"] = shown
    return dataclasses.replace(src, key=f"live:{exp.handle.run_id}:{exp.handle.generation}:"
                               f"{shown}", model=model, meta=meta)


def sources(src: Source, rw: Rewind) -> tuple[Source, Source | None]:
    """(the source the views draw, the earlier one of a comparison or None); a caption says
    which steps they show."""
    if rw.live or src.exp is None:
        return src, None
    now = int(src.meta.get("steps") or 0)
    shown = past_source(src, rw.b if rw.mode == COMPARE else rw.a)
    asked = rw.b if rw.mode == COMPARE else rw.a
    if rw.mode != COMPARE:
        st.caption(shown_step_note(asked, shown.meta["steps"], now))
        return shown, None
    other = past_source(src, rw.a)
    st.caption(_("Step A = {a}, step B = {b}; training is at step {now}.").format(
        a=f"{other.meta['steps']:,}", b=f"{shown.meta['steps']:,}", now=f"{now:,}"))
    return shown, other


def _trace(src: Source, probe: Probe) -> HiddenTrace:
    return memo("hs.trace_a", (src.key, probe.ids.tobytes()), lambda: trace_lm(src.model,
                                                                               probe.ids))


def compare_section(a: Source, b: Source, trace_b: HiddenTrace, probe: Probe
                    ) -> tuple[int, UnitRanking]:
    """Step A's and step B's heatmaps side by side (units in B's order), then B − A; returns
    the selected unit and B's span ranking, as ``views.heatmap_section`` does."""
    trace_a = _trace(a, probe)
    states_a, states_b = views.states_of(trace_a), views.states_of(trace_b)
    span = views.current_span(len(probe))
    unit, ranking, (_tag, order, scores, label) = views.selection(trace_b, probe)
    unit_key = widget_key(views.K, "unit")
    cell = views.showing_cell(trace_b)
    value = "tanh(c_t)" if cell else "h_t"
    tag = (a.key, b.key, probe.ids.tobytes(), views.value("layer", 0), views.value("state"),
           views.value("order", "variance"), span, unit)
    steps = {"a": f"{a.meta['steps']:,}", "b": f"{b.meta['steps']:,}"}
    zmax = max(colour_range(states_a), colour_range(states_b))  # one scale for A and B
    left, right = columns(2)
    for col, states, name in ((left, states_a, "a"), (right, states_b, "b")):
        title = _("Step {step}: layer {layer}, {value}").format(
            step=steps[name], layer=views.value("layer", 0) + 1, value=value)

        def build(s=states, t=title):
            fig = heatmap_figure(s, probe.tokens, order, scores=scores, score_label=label,
                                 selected_unit=unit, span=span, title=t, value_label=value)
            return fig.update_traces(zmin=-zmax, zmax=zmax, selector=dict(type="heatmap"))

        chart(memo(f"hs.cmp_{name}", tag, build), key=f"hs.chart.cmp_{name}", where=col)
    diff, change = state_change(states_a, states_b)
    fig = memo("hs.cmp_diff", tag, lambda: heatmap_figure(
        diff, probe.tokens, order, scores=change, score_label=_("mean |change|"),
        selected_unit=unit, span=span, value_label="Δ" + value,
        title=_("Change from step {a} to step {b} (B − A)").format(**steps)))
    chart(fig, key="hs.chart.cmp_diff")
    moved = np.argsort(-change)[:3]
    st.caption(_("Red = the state rose from step A to step B, blue = it fell. Units that "
                 "changed most on this text: {units}.").format(
                     units=", ".join(str(int(u)) for u in moved)))
    top = states_b.shape[1] - 1
    st.number_input(_("Unit"), min_value=0, max_value=top,
                    value=held(unit_key, 0, 0, top), step=1, key=unit_key)
    return int(st.session_state[unit_key]), ranking
