"""The sequence-tasks page's run and live panel: built in the engine, then drawn from the run's
latest snapshot (figures built once per snapshot): accuracy and loss, training vs validation,
then the probe review's contributions and the state map, or per-tag accuracy and the confusion
matrix."""

from __future__ import annotations

import math

import streamlit as st

from seqviz.engine.pool import shared_engine
from seqviz.engine.protocol import Snapshot
from seqviz.figures.training import ema
from seqviz.i18n import _, pgettext
from seqviz.seqtasks.figures import (KIND_NAMES, accuracy_figure, class_name, confusion_figure,
                                     contributions_figure, eval_loss_figure, per_class_figure,
                                     states_figure)
from seqviz.seqtasks.live import LiveSeqTask, SeqTaskView
from seqviz.ui import player
from seqviz.ui.chart import chart
from seqviz.ui.layout import columns
from seqviz.ui.live import drawn_tag, memo, run_notices


def build(cfg, *, playing: bool = False) -> LiveSeqTask:
    return LiveSeqTask.open(shared_engine(), cfg, playing=playing)


def baseline_name(task: str) -> str:
    return _("bag of words (no order)") if task == "sentiment" \
        else _("most frequent tag per word (no context)")


# what no figure draws: the loss history (the metric above them) and the timings
NOT_DRAWN = ("steps", "loss", "divergence", "train_s", "analysis_s")


def _figures(view: SeqTaskView) -> dict:
    """The charts, all drawn from the held-out analysis (at most every second of play): built
    once per analysis (``drawn_tag``), not for every snapshot."""
    task = view.cfg.task
    figs = {"acc": accuracy_figure(view.eval_steps, view.train_acc, view.val_acc,
                                   baseline=view.baseline, baseline_name=baseline_name(task)),
            "loss": eval_loss_figure(view.eval_steps, view.train_loss, view.val_loss)}
    probe = view.probe
    if task == "sentiment":
        if probe is not None and probe.grad_x_input is not None:
            figs["probe"] = contributions_figure(
                probe.tokens, probe.grad_x_input, known=probe.known,
                title=_("Probe review: contribution of each word (gradient × input)"),
                y=_("↑ towards positive · ↓ towards negative"))
        if view.states is not None:
            figs["states"] = states_figure(view.states, view.state_labels, view.classes,
                                           text=view.state_text, variance=view.state_var)
    elif view.per_tag is not None:
        figs["per_tag"] = per_class_figure(view.classes, view.per_tag,
                                           baseline=view.baseline_per_tag,
                                           baseline_name=baseline_name(task))
        figs["confusion"] = confusion_figure(view.confusion, view.classes)
    return figs


def _metrics(view: SeqTaskView, snap: Snapshot, smooth: float) -> None:
    cols = st.columns(5)
    cols[0].metric(pgettext("metric", "Step"), f"{snap.step:,}")
    cols[1].metric(_("Training loss"), f"{smooth:.3f}" if math.isfinite(smooth) else "–",
                   help=_("Smoothed cross-entropy of the training batches (nats)."))
    if len(view.eval_steps):
        cols[2].metric(_("Training accuracy"), f"{100 * view.train_acc[-1]:.1f} %")
        cols[3].metric(_("Validation accuracy"), f"{100 * view.val_acc[-1]:.1f} %",
                       help=_("On {n} held-out examples, at step {step}.").format(
                           n=500, step=f"{view.eval_steps[-1]:,}"))
    cols[4].metric(_("Without memory"), f"{100 * view.baseline:.1f} %",
                   help=baseline_name(view.cfg.task))


def _notices(view: SeqTaskView | None, snap: Snapshot) -> None:
    run_notices(snap, view.divergence if view is not None else None)


def _sentiment(view: SeqTaskView, figs: dict) -> None:
    probe = view.probe
    if "probe" in figs:
        chart(figs["probe"], key="seq.chart.probe")
        st.caption(_("P(positive) = {p:.2f}. Blue bars push the decision towards positive, "
                     "red ones towards negative; type your own review below.").format(
                         p=probe.p_positive))
    if view.per_kind:
        cols = st.columns(len(KIND_NAMES))
        for col, (kind, name) in zip(cols, KIND_NAMES.items()):
            if kind in view.per_kind:
                col.metric(_(name), f"{100 * view.per_kind[kind]:.0f} %",
                           help=_("Held-out accuracy on reviews built this way."))
    if "states" in figs:
        chart(figs["states"], key="seq.chart.states")


def _tagging(view: SeqTaskView, figs: dict) -> None:
    probe = view.probe
    if probe is not None and probe.tags:
        st.markdown(_("Probe sentence, tagged: {tagged}").format(tagged="  ".join(
            f"`{t}`→**{class_name(view.classes[g])}**" for t, g in zip(probe.tokens,
                                                                     probe.tags))))
    left, right = columns(2)
    if "per_tag" in figs:
        chart(figs["per_tag"], key="seq.chart.per_tag", where=left)
        chart(figs["confusion"], key="seq.chart.confusion", where=right)


def render(key: str, exp: LiveSeqTask, snap: Snapshot, playing: bool) -> None:
    ss = st.session_state
    ss[f"{key}.draws"] = ss.get(f"{key}.draws", 0) + 1
    if ss.get(f"{key}.settling") and ss[f"{key}.draws"] > 1 and exp.settled():
        ss[f"{key}.settling"] = False
        st.rerun(scope="app")
    view: SeqTaskView | None = snap.payload
    _notices(view, snap)
    if view is None:
        return
    figs = memo(f"{key}.figs", drawn_tag(snap, view, NOT_DRAWN), lambda: _figures(view))
    _metrics(view, snap, float(ema(view.loss)[-1]) if len(view.loss) else math.nan)
    left, right = columns(2)
    chart(figs["acc"], key=f"{key}.chart.acc", where=left)
    chart(figs["loss"], key=f"{key}.chart.loss", where=right)
    if view.cfg.task == "sentiment":
        _sentiment(view, figs)
    else:
        _tagging(view, figs)


def settings() -> dict:
    """The settings a follower of a shared run sees (``seqviz.ui.share``), as on this page."""
    names = {"sentiment": _("sentiment"), "tagging": _("tagging")}
    return {"pretrained": (_("Start from"), lambda v: "🆕 " + _("fresh model") if v == "none"
                           else "📦 " + names.get(v, v)),
            "task": (_("Task"), lambda v: names.get(v, v)),
            "reviews": (_("Reviews in"), lambda v: {"en": "English", "zh": "中文"}.get(v, v)),
            "train_size": _("Training examples"), "cell": _("Cell"),
            "bidirectional": _("Bidirectional"), "num_layers": _("Layers"),
            "hidden_size": _("Hidden size H (per direction)"),
            "embed_size": _("Embedding size E"), "batch_size": _("Batch size B"),
            "lr": _("Learning rate"), "dropout": _("Dropout"),
            "weight_decay": (_("Weight decay, L2"), lambda v: _("off") if v == 0 else f"{v:g}"),
            "seed": _("Seed")}


def live_panel(key: str, playing: bool) -> None:
    """The fragment; a paused page keeps polling until the run has answered every command
    (see ``seqviz.ui.attention.panel.live_panel``)."""
    ss = st.session_state
    exp: LiveSeqTask = ss[f"{key}.exp"]
    settling = not playing and exp.snapshot() is not None and not exp.settled()
    ss[f"{key}.settling"], ss[f"{key}.draws"] = settling, 0
    player.live_panel(key, playing or settling, render)
