"""The gradient-flow page's live panel: histograms per time step, norm vs distance, gates.

The three runs train in an engine worker (``seqviz.gradients.live``); this module opens the run
and draws its snapshots. Each figure is rebuilt only when its own data changed: the histograms
and distances with each gradient capture (about once a second while playing), the accuracy
with each evaluation, the "why" charts with each slow analysis (and every figure when the
language or presenter mode changes: they carry translated, sized text).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import plotly.graph_objects as go
import streamlit as st

from seqviz import i18n
from seqviz.engine.pool import shared_engine
from seqviz.engine.protocol import Snapshot
from seqviz.figures import style
from seqviz.gradients.analysis import REACH_RATIO, reach
from seqviz.gradients.figures import (CELL_LABELS, accuracy_figure, gate_figure, jacobian_figure,
                                      norm_distance_figure, radius_figure, step_histogram_figure)
from seqviz.gradients.live import FlowView, LiveFlow
from seqviz.gradients.tasks import CELL_NAMES, GFConfig
from seqviz.i18n import N_, _, pgettext
from seqviz.ui import player
from seqviz.ui.chart import chart

from seqviz.ui.layout import columns
from seqviz.ui.live import memo, notices_box, once_per_snapshot
from seqviz.ui.timeline import past_view

GATES = {"lstm": ("f", N_("mean forget gate f")), "gru": ("z", N_("mean update gate z"))}


def build(cfg: GFConfig, *, playing: bool = False) -> LiveFlow:
    """RNN, GRU and LSTM, built and trained in an engine worker."""
    return LiveFlow.open(shared_engine(), cfg, playing=playing)


def _notices(view: FlowView | None, snap: Snapshot) -> None:
    with notices_box():  # the charts below keep their places (seqviz.ui.live)
        if snap.error:
            st.error(_("**Training stopped:** {error}. Press **↺ Reset** to start again.").format(
                error=snap.error), icon="💥")
        if view is None:
            return
        lines = [_("**{cell}** diverged {n}× (last at step {step}: {reason}); weights of step "
                   "{restored} restored").format(cell=CELL_LABELS[c], n=d.count, step=d.last.step,
                                                 reason=d.last.reason, restored=d.last.restored_to)
                 for c, d in view.diverged.items() if d.last is not None]
        if lines:
            paused = _("Paused: {reason}. ").format(reason=snap.halted) \
                if snap.halted and not snap.playing else ""
            st.error(_("💥 Exploding: {runs}. {paused}Lower the spectral radius, the sequence "
                       "length or the learning rate, then press **↺ Reset**.").format(
                runs=" · ".join(lines), paused=paused), icon="⚠️")


def _metrics(view: FlowView, snap: Snapshot) -> None:
    cols = st.columns(5)
    cols[0].metric(pgettext("metric", "Step"), f"{snap.step:,}",
                   help=_("Each step trains all three runs once."))
    cols[1].metric(_("Steps / s"), f"{snap.steps_per_s:.1f}")
    for col, cell in zip(cols[2:], CELL_NAMES):
        values = view.accuracy[cell][1]
        acc = float(values[-1]) if len(values) else math.nan
        col.metric(_("{cell} accuracy").format(cell=CELL_LABELS[cell]),
                   f"{100 * acc:.0f}%" if math.isfinite(acc) else "–")


def _task_name(cfg: GFConfig) -> str:
    if cfg.task == "recall":
        return _("recall the first symbol after {T} steps").format(T=cfg.seq_len)
    return _("adding problem over {T} steps (|error| < 0.04)").format(T=cfg.seq_len)


def _histogram(view: FlowView, which: str) -> go.Figure:
    hist = view.capture.detail.dh_hist if which == "dh" else view.capture.detail.dw_hist
    per_step = f"{hist.per_step:,}"
    if which == "dh":
        label = _("dL/dh_t entries")
        what = _("dL/dh_t, every entry ({n} per step)").format(n=per_step)
    else:
        label = _("dL/dW_hh term entries")
        what = _("step-t term of dL/dW_hh ({n} entries per step)").format(n=per_step)
    zeros = int(hist.zeros.sum())
    return step_histogram_figure(
        hist.counts, hist.edges, title=what, value_label=label,
        bins_text=[hist.bins_text(),  # NaN/inf: the figure says
                   _("{n} exact zeros not drawn (log10 of 0)").format(n=f"{zeros:,}")
                   if zeros else ""],
        log_values=view.cfg.scale == "log", nonfinite=hist.nonfinite)


def _distance(norms: dict, title: str | None = None) -> go.Figure:
    curves = {c: n[::-1] for c, n in norms.items()}  # index = distance T - t
    cuts = {c: reach(v, REACH_RATIO)[1] for c, v in curves.items()}
    return norm_distance_figure(curves, cuts=cuts, ratio=REACH_RATIO,
                                title=title or _("Gradient norm vs distance (log)"))


def _why(view: FlowView) -> go.Figure:
    w, cell = view.why.why, view.why.cell
    if w.carry is None:
        return jacobian_figure(list(w.steps), list(w.value),
                               title=_("RNN: σ_max of dh_t/dh_(t−1), first sequence"))
    gate, name = GATES[cell]
    return gate_figure(list(w.value), list(w.carry), gate_name=gate,
                       title=_("{cell}: the {gate} and its product").format(
                           cell=CELL_LABELS[cell], gate=_(name)))


def _radius(view: FlowView) -> go.Figure:
    w = view.why
    return radius_figure(w.radius_steps.tolist(), {n: r.tolist() for n, r in w.radii.items()},
                         title=_("{cell}: spectral radius of W_hh").format(
                             cell=CELL_LABELS[w.cell]))


def _figures(key: str, snap: Snapshot, view: FlowView) -> dict[str, go.Figure]:
    """Every chart of this snapshot; a chart whose data did not change keeps its figure (in
    the same language and type profile)."""
    gen, cap, why = (snap.run_id, snap.generation), view.capture, view.why
    shown = (i18n.language(), style.profile().name)
    evals = tuple(int(s[-1]) if len(s) else -1 for s, _unused in view.accuracy.values())
    parts: dict[str, tuple[Any, Callable[[], go.Figure]]] = {
        "dh": ((gen, shown, cap.version), lambda: _histogram(view, "dh")),
        "dw": ((gen, shown, cap.version), lambda: _histogram(view, "dw")),
        "dist": ((gen, shown, cap.version), lambda: _distance(view.capture.norms)),
        "acc": ((gen, shown, evals), lambda: accuracy_figure(
            {c: (s.tolist(), v.tolist()) for c, (s, v) in view.accuracy.items()},
            chance=view.chance,
            title=_("Task accuracy: {task}").format(task=_task_name(view.cfg)))),
        "why": ((gen, shown, why.version), lambda: _why(view)),
        "radius": ((gen, shown, why.version), lambda: _radius(view)),
    }

    def build() -> dict[str, go.Figure]:
        old = st.session_state.get(f"{key}.parts", {})
        new = {name: old[name] if name in old and old[name][0] == tag else (tag, make())
               for name, (tag, make) in parts.items()}
        st.session_state[f"{key}.parts"] = new
        return {name: fig for name, (_tag, fig) in new.items()}

    return once_per_snapshot(key, snap, build)


def render(key: str, exp: LiveFlow, snap: Snapshot, playing: bool) -> None:
    view: FlowView | None = snap.payload
    _notices(view, snap)
    if view is None:
        return
    _metrics(view, snap)
    figs = _figures(key, snap, view)
    cap, name = view.capture, CELL_LABELS[view.capture.detail.cell]
    st.subheader(_("Per-timestep gradients of the {cell} at step {step} (one batch of {n})"
                   ).format(cell=name, step=f"{cap.step:,}", n=view.probe_size))
    left, right = columns(2)
    chart(figs["dh"], key=f"{key}.chart.dh", where=left)
    chart(figs["dw"], key=f"{key}.chart.dw", where=right)
    st.subheader(_("How far back does the gradient reach? RNN vs GRU vs LSTM, same seed and "
                   "batches"))
    left, right = columns(2)
    chart(figs["dist"], key=f"{key}.chart.dist", where=left)
    chart(figs["acc"], key=f"{key}.chart.acc", where=right)
    st.subheader(_("Why: what multiplies the {cell}'s gradient at every step (at step {step})"
                   ).format(cell=CELL_LABELS[view.why.cell], step=f"{view.why.step:,}"))
    left, right = columns(2)
    chart(figs["why"], key=f"{key}.chart.why", where=left)
    chart(figs["radius"], key=f"{key}.chart.radius", where=right)


def settings() -> dict:
    """The settings a follower of a shared run sees (``seqviz.ui.share``), as on this page."""
    return {"task": (_("Memory task"), lambda v: {
                "recall": _("recall the first symbol at the end"),
                "adding": _("adding problem (Hochreiter & Schmidhuber 1997)")}.get(v, v)),
            "seq_len": _("Sequence length T (distance to remember)"),
            "cell": _("Cell drawn in detail"), "activation": _("RNN activation"),
            "radius": _("Initial spectral radius of W_hh"), "hidden_size": _("Hidden size H"),
            "optimizer": _("Optimiser"), "lr": _("Learning rate"),
            "scale": (_("Histogram value axis"),
                      lambda v: {"linear": _("value"), "log": _("log10 |value|")}.get(v, v)),
            "seed": _("Seed")}


def live_panel(key: str, playing: bool) -> None:
    player.live_panel(key, playing, render)


def rewind_section(key: str, exp: LiveFlow) -> None:
    """The timeline: how far back each cell's gradient reached at a past step (the probe
    batch's norms, recomputed in the worker from the weights kept then)."""
    st.subheader("⏪ " + _("Rewind: the gradients at past steps"))
    past = past_view(key, exp, "norms_at")
    if past is None:
        st.caption(_("Choose a past step to see how far back each cell's gradient reached "
                     "then."))
        return
    step, norms = past
    tag = (exp.handle.run_id, exp.handle.generation, step, i18n.language(),
           style.profile().name)
    chart(memo(f"{key}.rw.dist", tag, lambda: _distance(norms, _(
        "Gradient norm vs distance at step {step} (log)").format(step=f"{step:,}"))),
        key=f"{key}.chart.rw_dist")
