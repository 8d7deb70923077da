"""The gradient-flow page's live panel: histograms per time step, norm vs distance, gates."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from seqviz.figures.gradients import (CELL_LABELS, accuracy_figure, gate_figure,
                                      jacobian_figure, norm_distance_figure, radius_figure,
                                      step_histogram_figure)
from seqviz.gradients import REACH_RATIO, GradientSnapshot, reach
from seqviz.tasks import CELL_NAMES, GFConfig, GradientLab
from seqviz.ui.player import (TICK_BUDGET, TICK_SECONDS, is_playing, set_playing,
                              steps_per_second)


def build(cfg: GFConfig) -> GradientLab:
    return GradientLab(cfg)


def _divergences(lab: GradientLab) -> None:
    lines = []
    for cell, trainer in lab.runs.trainers.items():
        if trainer.divergences:
            d = trainer.divergences[-1]
            lines.append(f"**{CELL_LABELS[cell]}** diverged {len(trainer.divergences)}× "
                         f"(last at step {d.step}: {d.reason}); weights of step "
                         f"{d.restored_to} restored")
    if lines:
        st.error("💥 Exploding: " + " · ".join(lines) + ". Lower the spectral radius, the "
                 "sequence length or the learning rate, then press **↺ Reset**.", icon="⚠️")


def _metrics(key: str, lab: GradientLab, snap: GradientSnapshot) -> None:
    cells = lab.runs.trainers
    cols = st.columns(5)
    cols[0].metric("Step", f"{lab.runs.steps:,}", help="Each step trains all three runs once.")
    cols[1].metric("Steps / s", f"{steps_per_second(key, lab.runs.steps):.1f}")
    for col, cell in zip(cols[2:], CELL_NAMES):
        evals = cells[cell].evals
        acc = evals[-1][1] if evals else math.nan
        col.metric(f"{CELL_LABELS[cell]} accuracy",
                   f"{100 * acc:.0f}%" if math.isfinite(acc) else "–")


def _histograms(key: str, lab: GradientLab, snap: GradientSnapshot) -> None:
    name, log_values = CELL_LABELS[snap.cell], lab.cfg.scale == "log"
    st.subheader(f"Per-timestep gradients of the {name} (one batch of {len(lab.probe[1])})")
    left, right = st.columns(2)
    for col, hist, label, what, chart in [
        (left, snap.dh_hist, "dL/dh_t entries",
         f"dL/dh_t, every entry ({snap.dh_hist.per_step:,} per step)", "dh"),
        (right, snap.dw_hist, "dL/dW_hh term entries",
         f"step-t term of dL/dW_hh ({snap.dw_hist.per_step:,} entries per step)", "dw")]:
        col.plotly_chart(step_histogram_figure(
            hist.counts, hist.edges, title=what, value_label=label,
            bins_text=[hist.bins_text(), f"{int(hist.zeros.sum()):,} exact zeros not drawn "
                       "(log10 of 0)" if hist.zeros.sum() else ""],  # NaN/inf: the figure says
            log_values=log_values, nonfinite=hist.nonfinite), key=f"{key}.chart.{chart}")


def _distance(key: str, lab: GradientLab, norms: dict[str, np.ndarray]) -> None:
    st.subheader("How far back does the gradient reach? RNN vs GRU vs LSTM, same seed and batches")
    curves = {c: n[::-1] for c, n in norms.items()}  # index = distance T - t
    cuts = {c: reach(v, REACH_RATIO)[1] for c, v in curves.items()}
    left, right = st.columns(2)
    left.plotly_chart(norm_distance_figure(curves, cuts=cuts, ratio=REACH_RATIO,
                                           title="Gradient norm vs distance (log)"),
                      key=f"{key}.chart.dist")
    acc = {}
    for cell, trainer in lab.runs.trainers.items():
        with trainer.lock:
            evals = list(trainer.evals)
        acc[cell] = ([s for s, _ in evals], [v for _, v in evals])
    right.plotly_chart(accuracy_figure(acc, chance=lab.task.chance,
                                       title=f"Task accuracy: {_task_name(lab)}"),
                       key=f"{key}.chart.acc")


def _task_name(lab: GradientLab) -> str:
    T = lab.cfg.seq_len
    if lab.cfg.task == "recall":
        return f"recall the first symbol after {T} steps"
    return f"adding problem over {T} steps (|error| < 0.04)"


def _why(key: str, lab: GradientLab, snap: GradientSnapshot) -> None:
    st.subheader(f"Why: what multiplies the {CELL_LABELS[snap.cell]}'s gradient at every step")
    left, right = st.columns(2)
    w = snap.why
    if w.carry is None:
        left.plotly_chart(jacobian_figure(list(w.steps), list(w.value),
                                          title="RNN: σ_max of dh_t/dh_{t−1} (first sequence)"),
                          key=f"{key}.chart.why")
    else:
        gate = "f" if snap.cell == "lstm" else "z"
        title = f"{CELL_LABELS[snap.cell]}: the {w.label} and its product"
        left.plotly_chart(gate_figure(list(w.value), list(w.carry), gate_name=gate, title=title),
                          key=f"{key}.chart.why")
    history = lab.radii[snap.cell]
    names = list(history[0][1])
    right.plotly_chart(radius_figure([s for s, _ in history],
                                     {n: [r[n] for _, r in history] for n in names},
                                     title=f"{CELL_LABELS[snap.cell]}: spectral radius of W_hh"),
                       key=f"{key}.chart.radius")


SLOW_TICK = 2.0  # seconds between redraws of the slowly changing charts while playing


def live_panel(key: str, playing: bool) -> None:
    """Two fragments: histograms, distances and accuracy redraw every tick (training first);
    the slowly changing "why" charts every few seconds from the latest refresh. Less for the
    browser to redraw: on a busy laptop the redraw, not the training, limits the tick rate."""

    @st.fragment(run_every=TICK_SECONDS if playing else None)
    def fast() -> None:
        lab: GradientLab = st.session_state[f"{key}.exp"]
        if is_playing(key):
            before = {c: len(t.divergences) for c, t in lab.runs.trainers.items()}
            rounds = lab.runs.train_for(TICK_BUDGET)
            new = [c for c, t in lab.runs.trainers.items() if len(t.divergences) > before[c]]
            if rounds and len(new) == len(CELL_NAMES):  # nothing can train any more: stop
                set_playing(key, False)
                st.rerun(scope="app")
        refresh = lab.refresh()
        _metrics(key, lab, refresh.detail)
        _divergences(lab)
        _histograms(key, lab, refresh.detail)
        _distance(key, lab, refresh.norms)

    @st.fragment(run_every=SLOW_TICK if playing else None)
    def slow() -> None:
        lab: GradientLab = st.session_state[f"{key}.exp"]
        _why(key, lab, lab.latest().detail)

    fast()
    slow()
