"""The attention page's run and live panel: building (fresh or pretrained) in the engine, then
drawing the probe heatmap with its replay timeline, sharpness, loss and held-out scores from the
run's latest snapshot (figures built once per snapshot)."""

from __future__ import annotations

import dataclasses
import math
from collections import OrderedDict

import plotly.graph_objects as go
import streamlit as st

from seqviz.attention.checkpoint import effective_config, load_s2s_payload, pretrained_path
from seqviz.attention.experiment import (ATTENTION_NAMES, TASK_LENGTHS, S2SConfig, describe,
                                         task_spec)
from seqviz.attention.figures import attention_figure, metrics_figure, sharpness_figure
from seqviz.attention.live import LiveS2S, S2SView
from seqviz.attention.tasks import CHINESE_OUTPUT, TASK_TITLES, S2SData, TaskSpec, build_task
from seqviz.checkpoint import CheckpointError, spec_from_dict
from seqviz.config import live_fields
from seqviz.engine.pool import shared_engine
from seqviz.engine.protocol import Snapshot
from seqviz.figures.training import ema, loss_figure, refresh_loss
from seqviz import i18n
from seqviz.figures import style
from seqviz.i18n import _, pgettext
from seqviz.ui import player
from seqviz.ui.chart import chart, seal
from seqviz.ui.layout import columns
from seqviz.ui.live import PreparedFigure, kept_spec, once_per_snapshot, run_notices
from seqviz.ui.state import widget_key


# ---- cached, read-only data ----------------------------------------------------------------------
@st.cache_resource(max_entries=12, show_spinner=False)
def task_data(spec: TaskSpec) -> S2SData:
    return build_task(spec)


@st.cache_resource(max_entries=8, show_spinner=False)
def payload(name: str) -> dict:
    return load_s2s_payload(pretrained_path(name))


def resolved(cfg: S2SConfig) -> S2SConfig:
    """The config that actually runs (a pretrained model brings its own task and shape)."""
    return effective_config(cfg, payload(cfg.pretrained) if cfg.pretrained != "none" else None)


def link_notes(cfg: S2SConfig, params: dict[str, str]) -> list[str]:
    """A link that opens a bundled model and also names a task or model setting: the checkpoint
    brings its own, so say which of the link's settings are not used (else they vanish
    without a word)."""
    if cfg.pretrained == "none":
        return []
    try:
        runs = resolved(cfg)
    except (ValueError, CheckpointError):
        return []  # the build says why
    unused = [f"{f.name}={params[f.name]}" for f in dataclasses.fields(cfg)
              if f.name in params and getattr(cfg, f.name) != getattr(runs, f.name)]
    if not unused:
        return []
    return [_("The bundled model {model} brings its own task and shape, so these settings of "
              "the link are not used: {settings}.").format(model=describe(runs),
                                                          settings=", ".join(unused))]


def warm() -> None:
    """Server start-up (``seqviz.ui.startup``): the default task and the bundled dates model
    (the home page's lecture link) built and loaded in the shared caches."""
    task_data(task_spec(S2SConfig()))
    if (pretrained_path("dates")).exists():
        task_data(spec_from_dict(TaskSpec, payload("dates")["task"]))


def build(cfg: S2SConfig, *, playing: bool = False) -> LiveS2S:
    """A fresh model on the task, or a bundled checkpoint with its training history, opened in
    an engine worker. The task is built here too (cached): impossible settings and damaged
    checkpoints raise here, before the worker is asked for anything."""
    if cfg.pretrained == "none":
        return LiveS2S.open(shared_engine(), cfg, task_data(task_spec(cfg)), playing=playing)
    data = payload(cfg.pretrained)
    return LiveS2S.open(shared_engine(), resolved(cfg),
                        task_data(spec_from_dict(TaskSpec, data["task"])),
                        checkpoint=str(pretrained_path(cfg.pretrained)),
                        meta=data.get("meta"), playing=playing)


def on_task_change(key: str) -> None:
    """A new task starts from its own sensible input lengths."""
    lo, hi = TASK_LENGTHS[st.session_state[widget_key(key, "task")]]
    st.session_state[widget_key(key, "min_len")] = lo
    st.session_state[widget_key(key, "max_len")] = hi


def resolve(key: str, cfg: S2SConfig, new: S2SConfig, playing: bool = False) -> S2SConfig:
    """Build, rebuild or update the session's run for ``new``; returns the config kept.

    Bad settings (an impossible length range, a damaged checkpoint) keep the running model and
    say why on the page. A rebuilt run replaces the old one, whose worker slot is freed.
    """
    ss = st.session_state
    exp: LiveS2S | None = ss.get(f"{key}.exp")
    try:
        target = resolved(new)
        live = {k: getattr(target, k) for k in live_fields(S2SConfig)}
        if exp is None or dataclasses.replace(exp.cfg, **live) != target:
            with st.spinner(_("Building the model…")):
                fresh = build(new, playing=playing)
            if exp is not None:
                st.toast(_("Model rebuilt: {model}").format(model=describe(fresh.cfg)))
                exp.close()
            ss[f"{key}.exp"] = fresh
        elif exp.cfg != target:
            exp.apply_live(target)
        return new
    except (ValueError, CheckpointError) as err:
        st.error(_("Cannot use these settings: {reason}").format(reason=err), icon="🚫")
        if exp is None:  # first build on a bad link: fall back to the defaults
            ss[f"{key}.exp"] = build(S2SConfig())
            return S2SConfig()
        return cfg


# ---- the live panel ------------------------------------------------------------------------------
HEATMAPS_KEPT = 24  # probe heatmaps kept per run for scrubbing the timeline


def _kept(key: str, name: str, tag: tuple, build):
    """``build()`` once per ``tag`` (and language and type profile), kept in the session: a
    chart whose data did not change with a new snapshot (scores between evaluations) is not
    built again."""
    slot, ss = f"{key}.{name}.kept", st.session_state
    tag = (tag, i18n.language(), style.profile().name)
    cached = ss.get(slot)
    if cached is None or cached[0] != tag:
        cached = ss[slot] = (tag, build())
    return cached[1]


def _figures(key: str, view: S2SView, snap: Snapshot) -> dict:
    """Everything drawn from one snapshot but the heatmap (which depends on the timeline)."""
    uniform = view.uniform if math.isfinite(view.uniform) else None
    last_eval = int(view.eval_steps[-1]) if len(view.eval_steps) else -1
    scores = _kept(key, "scores", (snap.run_id, snap.generation, len(view.eval_steps), last_eval),
                   lambda: {"sharpness": sharpness_figure(view.eval_steps, view.entropy, uniform),
                            "metrics": metrics_figure(view.eval_steps, view.exact, view.bleu)})
    return {"smooth": float(ema(view.loss)[-1]) if len(view.loss) else math.nan,
            "loss": _loss(key, view), **scores}


def _loss(key: str, view: S2SView) -> PreparedFigure:
    """The loss curve: built once per set of divergences, then refreshed for each snapshot
    (``refresh_loss``, tested equal to a build)."""
    return PreparedFigure(kept_spec(
        f"{key}.loss_spec", tuple(view.diverged_steps),
        lambda: loss_figure(view.steps, view.loss,
                            divergences=list(view.diverged_steps)).to_dict(),
        lambda old: refresh_loss(old, view.steps, view.loss)))


def _metrics(view: S2SView, snap: Snapshot, smooth: float) -> None:
    cols = st.columns(5)
    cols[0].metric(pgettext("metric", "Step"), f"{snap.step:,}")
    cols[1].metric(_("Training loss"), f"{smooth:.3f}" if math.isfinite(smooth) else "–",
                   help=_("Smoothed cross-entropy per output token (nats)."))
    if not len(view.eval_steps):
        return
    cols[2].metric(_("Exact match"), f"{100 * view.exact[-1]:.1f} %",
                   help=_("Held-out outputs exactly right, at step {step}.").format(
                       step=f"{view.eval_steps[-1]:,}"))
    chinese = view.cfg.task in CHINESE_OUTPUT
    cols[3].metric("BLEU", f"{view.bleu[-1]:.1f}",
                   help=_("sacrebleu corpus BLEU on Chinese characters, held out.") if chinese
                   else _("sacrebleu corpus BLEU, held out."))
    entropy = view.entropy[-1]
    sharp = "–" if math.isnan(entropy) else f"{entropy:.2f} / {view.uniform:.2f}"
    cols[4].metric(_("Row entropy"), sharp,
                   help=_("Mean entropy of the attention rows / that of uniform attention. "
                          "Lower = sharper."))


def _timeline(key: str, snap: Snapshot, steps: list[int], playing: bool) -> int:
    """The index of the probe snapshot to draw: the newest while playing, else the slider's.

    The server never sets the slider's value. A browser may send back the value a slider had a
    tick or two ago; a slider whose value the server moves takes that for the user's choice, and
    an echo that is no longer an option reads as the first one (the slider said step 7 while the
    heatmap showed step 0). So every timeline (run, build, kept steps) has a slider of its own,
    which starts at the newest step, or, while paused, at the step the user picked on the one
    before if that is still kept; the heatmap draws what the slider returns."""
    ss, slot = st.session_state, f"{key}.timeline_slider"
    if len(steps) < 2:
        ss[slot] = None
        return len(steps) - 1
    wk = f"{key}.timeline.{snap.run_id}.{snap.generation}.{len(steps)}.{steps[-1]}"
    prev = ss.get(slot)  # (widget key, newest step, start value) of the slider last shown
    if prev is not None and prev[0] == wk:
        start = prev[2]
    else:
        picked = ss.get(prev[0]) if prev is not None else None
        start = picked if (not playing and picked in steps and picked != prev[1]) else steps[-1]
    ss[slot] = (wk, steps[-1], start)
    value = st.select_slider(_("Replay the heatmap at training step"), steps, value=start, key=wk,
                             disabled=playing, format_func=lambda v: f"{v:,}",
                             help=_("Snapshots every few steps (set in the sidebar); pause to "
                                    "replay."))
    return steps.index(steps[-1] if playing else value)


def _heatmap(key: str, view: S2SView, snap: Snapshot, playing: bool) -> None:
    if view.cfg.attention == "none":
        st.info(_("This model has **no attention**: every output step sees only the encoder's "
                  "final vector, so there is no heatmap. Choose an attention type to see one."))
        return
    tl = view.timeline
    i = _timeline(key, snap, tl.steps.tolist(), playing)
    step = int(tl.steps[i])
    # a probe snapshot never changes: one figure per (run, build, step), whichever snapshot
    figs: OrderedDict[int, go.Figure] = _kept(key, "heatmaps", (snap.run_id, snap.generation),
                                              OrderedDict)
    if step not in figs:
        figs[step] = seal(attention_figure(
            tl.weights[i], view.src_tokens, view.rows,
            title=_("Attention on the probe input at step {step}").format(step=f"{step:,}"),
            y=_("reference output token")))
        while len(figs) > HEATMAPS_KEPT:
            figs.popitem(last=False)
    chart(figs[step], key=f"{key}.chart.heatmap")
    src, ref = view.probe
    output = tl.outputs[i]
    mark = "✅" if output == ref else "❌"
    st.markdown(_("Probe **{src}** → model output at step {step}: `{output}` {mark} (reference "
                  "`{ref}`)").format(src=src, step=f"{step:,}", output=output or "∅", mark=mark,
                                     ref=ref))


def _notices(view: S2SView | None, snap: Snapshot) -> None:
    run_notices(snap, view.divergence if view is not None else None)


def render(key: str, exp: LiveS2S, snap: Snapshot, playing: bool) -> None:
    ss = st.session_state
    ss[f"{key}.draws"] = ss.get(f"{key}.draws", 0) + 1  # 1: in the page's run, then ticks
    if ss.get(f"{key}.settling") and ss[f"{key}.draws"] > 1 and exp.settled():
        ss[f"{key}.settling"] = False  # the awaited snapshot is here: redraw and stop polling
        st.rerun(scope="app")
    view: S2SView | None = snap.payload
    _notices(view, snap)
    if view is None:
        return
    figs = once_per_snapshot(key, snap, lambda: _figures(key, view, snap))
    _metrics(view, snap, figs["smooth"])
    left, right = columns([3, 2])
    with left:
        _heatmap(key, view, snap, playing)
    chart(figs["sharpness"], key=f"{key}.chart.sharpness", where=right)
    left, right = columns(2)
    chart(figs["loss"], key=f"{key}.chart.loss", where=left)
    chart(figs["metrics"], key=f"{key}.chart.metrics", where=right)


def settings() -> dict:
    """The settings a follower of a shared run sees (``seqviz.ui.share``), as on this page."""
    def task(t: str) -> str:
        return _(TASK_TITLES[t]) if t in TASK_TITLES else t

    return {"pretrained": (_("Start from"), lambda v: "🆕 " + _("fresh model") if v == "none"
                           else "📦 " + task(v)),
            "task": (_("Task"), task),
            "alphabet": (_("Alphabet"), lambda v: {"digits": _("digits"),
                                                   "letters": _("letters")}.get(v, v)),
            "min_len": _("Shortest input"), "max_len": _("Longest input"),
            "attention": (_("Attention"), lambda v: _(ATTENTION_NAMES[v])
                          if v in ATTENTION_NAMES else v),
            "cell": _("Cell"), "bidirectional": _("Bidirectional encoder"),
            "num_layers": _("Layers"), "hidden_size": _("Hidden size H (per direction)"),
            "embed_size": _("Embedding size E"), "batch_size": _("Batch size B"),
            "optimizer": _("Optimiser"), "lr": _("Learning rate"),
            "clip": _("Gradient clipping"), "clip_threshold": _("Clip threshold"),
            "snapshot_every": _("Heatmap snapshot every k steps"), "seed": _("Seed")}


def live_panel(key: str, playing: bool) -> None:
    """The fragment: draws the run's latest snapshot (the engine's worker trains it).

    A paused page is not redrawn on its own, so it must not stop at a snapshot from before its
    last command: Pause waits (``STEP_WAIT``) for the snapshot that shows the paused step, but
    on a busy machine it can come later, and the page would then show the last playing tick
    (a heatmap of an older step than the step counter) for good. Until the run has answered
    every command, the panel keeps polling as if playing; a tick that finds it redraws the page
    (never the page's own run, whose one-time notices would be lost)."""
    ss = st.session_state
    exp: LiveS2S = ss[f"{key}.exp"]
    # (a run without a first snapshot yet is the player's to wait for)
    settling = not playing and exp.snapshot() is not None and not exp.settled()
    ss[f"{key}.settling"], ss[f"{key}.draws"] = settling, 0
    player.live_panel(key, playing or settling, render)
