"""The clipping page: two runs side by side (live fragment) and the loss-surface cliff."""

from __future__ import annotations

import numpy as np
import streamlit as st

from seqviz.cliff import Cliff, compare
from seqviz.clipping_run import RUNS, ClipComparison, ClipConfig
from seqviz.figures.clipping import clip_norm_figure, cliff_figure, two_loss_figure
from seqviz.ui.player import TICK_BUDGET, TICK_SECONDS, is_playing

CLIFF = Cliff()


def build(cfg: ClipConfig) -> ClipComparison:
    return ClipComparison(cfg)


@st.cache_data(max_entries=4, show_spinner=False)
def _surface(cliff: Cliff):
    return cliff.grid(), cliff.wall()


def _metrics(comp: ClipComparison, series: dict) -> None:
    cols = st.columns(4)
    cols[0].metric("Step", f"{comp.steps:,}", help="Each step trains both runs once.")
    clipped = series["with clipping"]
    cols[1].metric("Steps clipped", f"{100 * clipped.share_clipped:.0f}%",
                   help="Share of the clipped run's steps whose gradient exceeded the threshold.")
    for col, name in zip(cols[2:], RUNS):
        s = series[name]
        ok = s.loss[~np.isnan(s.loss)]
        col.metric(f"Loss {name}", f"{ok[-1]:.4g}" if ok.size else "–",
                   delta=f"{len(s.divergences)} divergences" if len(s.divergences) else None,
                   delta_color="inverse")


def _divergence_notice(comp: ClipComparison) -> None:
    lines = []
    for name, trainer in comp.trainers.items():
        if trainer.divergences:
            d = trainer.divergences[-1]
            lines.append(f"the run **{name}** diverged {len(trainer.divergences)}× (last at "
                         f"step {d.step}: {d.reason}; weights of step {d.restored_to} restored)")
    if lines:
        st.error("💥 " + "; ".join(lines) + ". Each divergence is marked on the charts. "
                 "Press **↺ Reset** to start both runs again.", icon="⚠️")


def render(key: str, comp: ClipComparison) -> None:
    series = {name: comp.series(name) for name in RUNS}
    _metrics(comp, series)
    _divergence_notice(comp)
    divergences = {n: list(s.divergences) for n, s in series.items()}
    left, right = st.columns(2)
    left.plotly_chart(two_loss_figure({n: (s.steps, s.loss) for n, s in series.items()},
                                      divergences=divergences), key=f"{key}.chart.loss")
    c = series["with clipping"]
    right.plotly_chart(clip_norm_figure(
        {n: (s.steps, s.grad_norm) for n, s in series.items()},
        threshold=comp.cfg.clip_threshold, mode=comp.cfg.clip,
        clipped=(c.steps[c.clipped], c.grad_norm[c.clipped]), divergences=divergences,
        title=f"Gradient norm before clipping · {100 * c.share_clipped:.0f}% of steps clipped"),
        key=f"{key}.chart.norm")


def live_panel(key: str, playing: bool) -> None:
    """While playing, each tick advances both runs for a fixed budget, then redraws."""

    @st.fragment(run_every=TICK_SECONDS if playing else None)
    def panel() -> None:
        comp: ClipComparison = st.session_state[f"{key}.exp"]
        if is_playing(key):
            comp.train_for(TICK_BUDGET)
        render(key, comp)

    panel()


def cliff_section(key: str, cfg: ClipConfig) -> None:
    """The one-unit RNN's loss surface and two descent paths (recomputed when sliders move)."""
    st.header("The cliff")
    st.caption(f"One tanh unit, h_t = tanh(w·h_(t−1) + b), run {CLIFF.steps} steps from "
               f"h_0 = {CLIFF.h0}; loss (h_T − {CLIFF.target})². Where the unit's attractor "
               "flips, the loss jumps over a tiny distance: a wall with a huge gradient "
               "(Pascanu, Mikolov & Bengio 2013). Both paths start at the star with the same "
               "learning rate; one clips the gradient norm.")
    (ws, bs, loss), wall = _surface(CLIFF)
    paths = compare(CLIFF, cfg.cliff_lr, cfg.cliff_threshold)
    left, right = st.columns([3, 1])
    left.plotly_chart(cliff_figure(ws, bs, loss, paths={p.label: (p.w, p.b) for p in paths},
                                   wall=wall), key=f"{key}.chart.cliff")
    with right:
        for p in paths:
            st.metric(p.label, f"loss {p.loss[-1]:.3g}",
                      help="Final loss after the descent steps.")
            st.caption(f"largest step {p.largest_step:.3g} · largest gradient "
                       f"{np.max(p.grad_norm, initial=0):.3g}"
                       + (f" · clipped {int(p.clipped.sum())} of {len(p.clipped)} steps"
                          if p.clipped.any() else ""))
