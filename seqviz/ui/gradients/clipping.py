"""The clipping page: two runs side by side (trained in an engine worker) and the cliff.

The runs' charts are drawn from the worker's snapshots, built once per new snapshot. The cliff
is static analysis done here on the server: its surface and descent paths are cached by their
settings (shared by every session), its figure by settings, language and type profile.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from seqviz import i18n
from seqviz.engine.pool import shared_engine
from seqviz.engine.protocol import Snapshot
from seqviz.figures import style
from seqviz.gradients.cliff import Cliff, DescentPath, compare
from seqviz.gradients.clipping import RUNS, ClipConfig
from seqviz.gradients.analysis import REACH_RATIO, reach
from seqviz.gradients.clipping_figures import (cliff_figure, clip_norm_figure, divergence_form,
                                              refresh_clip_norm, refresh_two_loss,
                                              two_loss_figure)
from seqviz.gradients.figures import norm_distance_figure
from seqviz.gradients.live import ClipView, LiveClipping
from seqviz.i18n import _, pgettext
from seqviz.ui import player
from seqviz.ui.chart import chart, seal

from seqviz.ui.layout import columns
from seqviz.ui.live import PreparedFigure, kept, memo, notices_box, once_per_snapshot
from seqviz.ui.timeline import past_view

CLIFF = Cliff()


def build(cfg: ClipConfig, *, playing: bool = False) -> LiveClipping:
    """Both runs, built and trained in an engine worker."""
    return LiveClipping.open(shared_engine(), cfg, playing=playing)


def _metrics(view: ClipView, snap: Snapshot) -> None:
    cols = st.columns(4)
    cols[0].metric(pgettext("metric", "Step"), f"{snap.step:,}", help=_("Each step trains both runs once."))
    clipped = view.series["with clipping"]
    cols[1].metric(_("Steps clipped"), f"{100 * clipped.share_clipped:.0f}%",
                   help=_("Share of the clipped run's steps whose gradient exceeded the "
                          "threshold."))
    for col, name in zip(cols[2:], RUNS):
        s, d = view.series[name], view.diverged[name]
        ok = s.loss[~np.isnan(s.loss)]
        col.metric(_("Loss {run}").format(run=_(name)), f"{ok[-1]:.4g}" if ok.size else "–",
                   delta=_("diverged {n}×").format(n=f"{d.count:,}") if d.count else None,
                   delta_color="inverse")


def divergence_lines(view: ClipView) -> list[str]:
    """One line per run that diverged, for the banner: its count is the one its legend entry
    gives (every divergence of the run, also those before the kept history)."""
    return [_("the run **{run}** diverged {n}× (last at step {step}: {reason}; weights of step "
              "{restored} restored)").format(
        run=_(name), n=f"{d.count:,}", step=d.last.step, reason=d.last.reason,
        restored=d.last.restored_to)
        for name, d in view.diverged.items() if d.last is not None]


def _notices(view: ClipView | None, snap: Snapshot) -> None:
    with notices_box():  # the charts below keep their places (seqviz.ui.live)
        if snap.error:
            st.error(_("**Training stopped:** {error}. Press **↺ Reset** to start again.").format(
                error=snap.error), icon="💥")
        lines = divergence_lines(view) if view is not None else []
        if lines:
            st.error(_("💥 {runs}. Each divergence is marked on the charts. Press **↺ Reset** "
                       "to start both runs again.").format(runs="; ".join(lines)), icon="⚠️")


def figures(view: ClipView, cache: dict | None = None) -> dict[str, go.Figure]:
    """Both runs' loss and gradient norms. With ``cache`` (the page's own), built once per set
    of extras (divergences drawn as verticals, threshold and mode, language, type profile)
    and refreshed for every later snapshot (``refresh_*``, tested equal to a build): 2 ms
    instead of 21 for the page's default runs, whose unclipped run diverges every few steps."""
    series, cfg = view.series, view.cfg
    divergences = {n: s.divergences.tolist() for n, s in series.items()}
    counts = {n: d.count for n, d in view.diverged.items()}  # what the banner says
    c = series["with clipping"]
    losses = {n: (s.steps, s.loss) for n, s in series.items()}
    norms = {n: (s.steps, s.grad_norm) for n, s in series.items()}
    clipped = (c.steps[c.clipped], c.grad_norm[c.clipped])
    title = _("Gradient norm before clipping · {share}% of steps clipped").format(
        share=f"{100 * c.share_clipped:.0f}")
    cache = {} if cache is None else cache
    extras = (divergence_form(divergences), cfg.clip_threshold, cfg.clip)
    specs = {
        "loss": kept(cache.setdefault("loss", {}), extras,
                     lambda: two_loss_figure(losses, divergences=divergences,
                                             counts=counts).to_dict(),
                     lambda old: refresh_two_loss(old, losses, divergences=divergences,
                                                  counts=counts)),
        "norm": kept(cache.setdefault("norm", {}), extras,
                     lambda: clip_norm_figure(norms, threshold=cfg.clip_threshold, mode=cfg.clip,
                                              clipped=clipped, divergences=divergences,
                                              counts=counts, title=title).to_dict(),
                     lambda old: refresh_clip_norm(old, norms, threshold=cfg.clip_threshold,
                                                   clipped=clipped, divergences=divergences,
                                                   counts=counts, title=title))}
    return {name: PreparedFigure(spec) for name, spec in specs.items()}


def render(key: str, exp: LiveClipping, snap: Snapshot, playing: bool) -> None:
    view: ClipView | None = snap.payload
    _notices(view, snap)
    if view is None:
        return
    _metrics(view, snap)
    cache = st.session_state.setdefault(f"{key}.curves", {})
    figs = once_per_snapshot(key, snap, lambda: figures(view, cache))
    left, right = columns(2)
    chart(figs["loss"], key=f"{key}.chart.loss", where=left)
    chart(figs["norm"], key=f"{key}.chart.norm", where=right)


def settings() -> dict:
    """The settings a follower of a shared run sees (``seqviz.ui.share``), as on this page."""
    return {"clip": (_("Clip by"), lambda v: {"norm": _("global norm"), "value": _("value")
                                              }.get(v, v)),
            "clip_threshold": _("Threshold"), "lr": _("Learning rate"),
            "task": (_("Task"), lambda v: {"recall": _("recall the first symbol"),
                                           "adding": _("adding problem")}.get(v, v)),
            "cell": _("Cell"), "activation": _("RNN activation"),
            "radius": _("Initial spectral radius of W_hh"), "seq_len": _("Sequence length T"),
            "hidden_size": _("Hidden size H"), "optimizer": _("Optimiser"), "seed": _("Seed"),
            "cliff_lr": _("Cliff: learning rate"),
            "cliff_threshold": _("Cliff: clip threshold")}


def live_panel(key: str, playing: bool) -> None:
    player.live_panel(key, playing, render)


def _past_figure(step: int, dh: dict[str, np.ndarray]) -> go.Figure:
    curves = {_(name): dh[name][::-1] for name in RUNS}  # index = distance T - t
    cuts = {c: reach(v, REACH_RATIO)[1] for c, v in curves.items()}
    return norm_distance_figure(curves, cuts=cuts, ratio=REACH_RATIO, title=_(
        "Both runs at step {step}: gradient norm vs distance (log)").format(step=f"{step:,}"))


def rewind_section(key: str, exp: LiveClipping) -> None:
    """The timeline: both runs as they were at a past step (loss, gradient norm before
    clipping and per-step gradients on one held-out batch, from the weights kept then)."""
    st.subheader("⏪ " + _("Rewind: both runs at past steps"))
    past = past_view(key, exp, "past")
    if past is None:
        st.caption(_("Choose a past step to see both runs' loss and gradients as they were "
                     "then."))
        return
    step, view = past
    cols = st.columns(4)
    for i, name in enumerate(RUNS):
        cols[2 * i].metric(_("Loss {run}").format(run=_(name)), f"{view.loss[name]:.4g}")
        cols[2 * i + 1].metric(_("Gradient norm {run}").format(run=_(name)),
                               f"{view.grad_norm[name]:.4g}",
                               help=_("Before clipping, on one held-out batch."))
    tag = (exp.handle.run_id, exp.handle.generation, step)
    chart(memo(f"{key}.rw.dist", tag, lambda: _past_figure(step, view.dh_norm)),
                    key=f"{key}.chart.rw_dist")


# ---- the cliff: static analysis, cached by its settings ------------------------------------------
@st.cache_resource(max_entries=32, show_spinner=False)
def _paths(lr: float, threshold: float) -> list[DescentPath]:
    """Both descent paths, shared by every session (nobody mutates them)."""
    return compare(CLIFF, lr, threshold)


@st.cache_resource(max_entries=1, show_spinner=False)
def _surface() -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    return (*CLIFF.grid(), CLIFF.wall())


@st.cache_resource(max_entries=64, show_spinner=False)
def _cliff_figure(lr: float, threshold: float, lang: str, shown: str) -> go.Figure:
    """The surface with both paths, per settings, language and type profile (its text is
    translated and sized for them); shared by every session, never mutated."""
    ws, bs, loss, wall = _surface()
    paths = _paths(lr, threshold)
    return seal(cliff_figure(ws, bs, loss, paths={p.name: (p.w, p.b) for p in paths},
                             labels={p.name: p.label for p in paths}, wall=wall))


def warm() -> None:
    """Server start-up (``seqviz.ui.startup``): the default cliff, computed and drawn in the
    default language and type, cached."""
    cfg = ClipConfig()
    _cliff_figure(cfg.cliff_lr, cfg.cliff_threshold, i18n.language(), style.profile().name)


def cliff_section(key: str, cfg: ClipConfig) -> None:
    """The one-unit RNN's loss surface and two descent paths (recomputed when sliders move)."""
    st.header(_("The cliff"))
    st.caption(_("One tanh unit, h_t = tanh(w·h_(t−1) + b), run {T} steps from h_0 = {h0}; loss "
                 "(h_T − {target})². Where the unit's attractor flips, the loss jumps over a "
                 "tiny distance: a wall with a huge gradient (Pascanu, Mikolov & Bengio 2013). "
                 "Both paths start at the star with the same learning rate; one clips the "
                 "gradient norm.").format(T=CLIFF.steps, h0=CLIFF.h0, target=CLIFF.target))
    fig = _cliff_figure(cfg.cliff_lr, cfg.cliff_threshold, i18n.language(), style.profile().name)
    left, right = columns([3, 1])
    chart(fig, key=f"{key}.chart.cliff", where=left)
    with right:
        for p in _paths(cfg.cliff_lr, cfg.cliff_threshold):
            st.metric(p.label, _("loss {value}").format(value=f"{p.loss[-1]:.3g}"),
                      help=_("Final loss after the descent steps."))
            text = _("largest step {step} · largest gradient {grad}").format(
                step=f"{p.largest_step:.3g}", grad=f"{np.max(p.grad_norm, initial=0):.3g}")
            if p.clipped.any():
                text += _(" · clipped {n} of {total} steps").format(
                    n=int(p.clipped.sum()), total=len(p.clipped))
            st.caption(text)
