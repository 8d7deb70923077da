"""The attention page's parts: building (fresh or pretrained), the live panel with the probe
heatmap and its timeline, typed inputs, and the long-input study."""

from __future__ import annotations

import dataclasses
import math

import streamlit as st

from seqviz.checkpoint import CheckpointError, spec_from_dict
from seqviz.config import live_fields
from seqviz.figures.attention import (attention_figure, length_figure, metrics_figure,
                                      sharpness_figure)
from seqviz.figures.training import ema, loss_figure
from seqviz.s2s_checkpoint import effective_config, load_s2s_payload, pretrained_path
from seqviz.s2s_experiment import (TASK_LENGTHS, S2SConfig, S2SExperiment, Snapshot, describe,
                                   task_spec)
from seqviz.s2s_study import LongInputStudy, load_studies
from seqviz.s2s_tasks import S2SData, TaskSpec, build_task, tokenize
from seqviz.ui import player
from seqviz.ui.player import TICK_BUDGET, TICK_SECONDS
from seqviz.ui.state import widget_key

STUDY_STEPS = 1200  # training steps per model in a live long-input study
UNITS = {"char": "characters", "word": "words"}
EXAMPLES = {"dates": "Thursday, May 3rd 1979"}  # the default typed input (else a held-out one)


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


def build(cfg: S2SConfig) -> S2SExperiment:
    """A fresh model on the (cached) task, or a bundled checkpoint with its training history."""
    if cfg.pretrained == "none":
        return S2SExperiment.build(cfg, task_data(task_spec(cfg)))
    data = payload(cfg.pretrained)
    return S2SExperiment.from_checkpoint(data, cfg, task_data(spec_from_dict(TaskSpec,
                                                                             data["task"])))


def on_task_change(key: str) -> None:
    """A new task starts from its own sensible input lengths."""
    lo, hi = TASK_LENGTHS[st.session_state[widget_key(key, "task")]]
    st.session_state[widget_key(key, "min_len")] = lo
    st.session_state[widget_key(key, "max_len")] = hi


def resolve(key: str, cfg: S2SConfig, new: S2SConfig) -> S2SConfig:
    """Build, rebuild or update the session's experiment for ``new``; returns the config kept.

    Bad settings (an impossible length range, a damaged checkpoint) keep the running model and
    say why on the page.
    """
    ss = st.session_state
    exp: S2SExperiment | None = ss.get(f"{key}.exp")
    try:
        target = resolved(new)
        live = {k: getattr(target, k) for k in live_fields(S2SConfig)}
        if exp is None or dataclasses.replace(exp.cfg, **live) != target:
            with st.spinner("Building the model…"):
                fresh = build(new)
            if exp is not None:
                st.toast("Model rebuilt: " + describe(fresh.cfg))
            ss[f"{key}.exp"] = fresh
            ss.pop(f"{key}.timeline", None)
        elif exp.cfg != target:
            exp.apply_live(target)
        return new
    except (ValueError, CheckpointError) as err:
        st.error(f"Cannot use these settings: {err}", icon="🚫")
        if exp is None:  # first build on a bad link: fall back to the defaults
            ss[f"{key}.exp"] = build(S2SConfig())
            return S2SConfig()
        return cfg


# ---- the live panel ------------------------------------------------------------------------------
def _metrics(exp: S2SExperiment) -> None:
    with exp.trainer.lock:
        hist, last = list(exp.trainer.history), exp.evals[-1] if exp.evals else None
    smooth = ema([h.loss for h in hist])[-1] if hist else math.nan
    cols = st.columns(5)
    cols[0].metric("Step", f"{exp.trainer.steps:,}")
    cols[1].metric("Training loss", f"{smooth:.3f}" if math.isfinite(smooth) else "–",
                   help="Smoothed cross-entropy per output token (nats).")
    if last is not None:
        cols[2].metric("Exact match", f"{100 * last.exact:.1f} %",
                       help=f"Held-out outputs exactly right, at step {last.step}.")
        cols[3].metric("BLEU", f"{last.bleu:.1f}", help="sacrebleu corpus BLEU, held out.")
        sharp = "–" if math.isnan(last.entropy) else f"{last.entropy:.2f} / {last.uniform:.2f}"
        cols[4].metric("Row entropy", sharp,
                       help="Mean entropy of the attention rows / that of uniform attention. "
                            "Lower = sharper.")


def _timeline(key: str, exp: S2SExperiment, playing: bool) -> Snapshot:
    """The snapshot to draw: the latest while playing, else the one the slider picks."""
    snaps = list(exp.snapshots)
    now = exp.current_snapshot()
    if not snaps or snaps[-1].step != now.step:
        snaps.append(now)
    steps = [s.step for s in snaps]
    wk, ss = f"{key}.timeline", st.session_state
    # Follow the newest snapshot while playing, and after a pause or Step unless the user has
    # picked another step since (the browser sends back the slider's last shown value).
    # The first run after a pause always jumps to "now": the browser may send back a slider
    # value from a tick or two ago, which must not read as the user's choice.
    just_paused = ss.get(f"{key}.timeline_playing", False) and not playing
    ss[f"{key}.timeline_playing"] = playing
    if (playing or just_paused or ss.get(wk) not in steps
            or ss.get(wk) == ss.get(f"{key}.timeline_auto")):
        ss[wk] = ss[f"{key}.timeline_auto"] = steps[-1]
    if len(steps) > 1:
        st.select_slider("Replay the heatmap at training step", steps, key=wk,
                         disabled=playing, format_func=lambda s: f"{s:,}",
                         help="Snapshots every few steps (set in the sidebar); pause to replay.")
    return snaps[steps.index(st.session_state[wk])]


def _heatmap(key: str, exp: S2SExperiment, playing: bool) -> None:
    data, (src, ref) = exp.data, exp.probe
    if exp.cfg.attention == "none":
        st.info("This model has **no attention**: every output step sees only the encoder's "
                "final vector, so there is no heatmap. Choose an attention type to see one.")
        return
    snap = _timeline(key, exp, playing)
    rows = tokenize(ref, data.level) + ["</s>"]
    fig = attention_figure(snap.weights, tokenize(src, data.level), rows,
                           title=f"Attention on the probe input at step {snap.step:,}",
                           y="reference output token")
    st.plotly_chart(fig, key=f"{key}.chart.heatmap")
    mark = "✅" if snap.output == ref else "❌"
    st.markdown(f"Probe **{src}** → model output at step {snap.step:,}: `{snap.output or '∅'}` "
                f"{mark} (reference `{ref}`)")


def render(key: str, exp: S2SExperiment, playing: bool) -> None:
    _metrics(exp)
    if exp.trainer.divergences:
        d = exp.trainer.divergences[-1]
        st.error(f"**Training diverged at step {d.step}** ({d.reason}). The weights from step "
                 f"{d.restored_to} were restored. Lower the learning rate, then Play — or Reset.",
                 icon="💥")
    left, right = st.columns([3, 2])
    with left:
        _heatmap(key, exp, playing)
    with exp.trainer.lock:
        hist, evals = [h for h in exp.trainer.history if not h.diverged], list(exp.evals)
    steps = [e.step for e in evals]
    uniform = evals[-1].uniform if evals else None
    right.plotly_chart(sharpness_figure(steps, [e.entropy for e in evals], uniform),
                       key=f"{key}.chart.sharpness")
    left, right = st.columns(2)
    left.plotly_chart(loss_figure([h.step for h in hist], [h.loss for h in hist],
                                  divergences=[d.step for d in exp.trainer.divergences]),
                      key=f"{key}.chart.loss")
    right.plotly_chart(metrics_figure(steps, [e.exact for e in evals], [e.bleu for e in evals]),
                       key=f"{key}.chart.metrics")


def live_panel(key: str, playing: bool) -> None:
    """The fragment: while playing, each tick trains for a fixed compute budget, then redraws."""
    player.live_panel(key, playing, render)


# ---- typed input ---------------------------------------------------------------------------------
def input_section(key: str) -> None:
    exp: S2SExperiment = st.session_state[f"{key}.exp"]
    data = exp.data
    st.header("Try your own input")
    wk = f"{key}.input"
    if st.session_state.get(f"{key}.input_task") != data.spec:  # a new task: a fitting example
        st.session_state[wk] = EXAMPLES.get(data.spec.name) or data.test[-1][0]
        st.session_state[f"{key}.input_task"] = data.spec
    text = st.text_input(f"Input ({UNITS[data.level]} are the tokens)", key=wk, max_chars=200,
                         help="The model's greedy output and where it looked for each token.")
    if not text.strip():
        st.info("Type an input above to see the model's output and its attention.")
        return
    result = exp.run_input(text)
    left, right = st.columns([3, 2])
    with right:
        st.markdown(f"Output at step {exp.trainer.steps:,}:")
        st.code(result.output or "∅", language=None, wrap_lines=True)
        if result.out_tokens[-1:] != ["</s>"]:
            st.caption("Stopped at the length limit without emitting </s>.")
        if result.unknown:
            shown = ", ".join(f"'{t}'" for t in result.unknown[:12])
            st.warning(f"Not in this task's input vocabulary, read as <unk>: {shown}. The model "
                       f"has never seen them, so expect a poor answer.", icon="⚠️")
        spec, n = data.spec, len(result.src_tokens)
        if not spec.min_len <= n <= spec.max_len:
            st.caption(f"This input has {n} {UNITS[data.level]}; the model was trained on "
                       f"{spec.min_len}-{spec.max_len}.")
    if exp.cfg.attention != "none" and len(result.out_tokens):
        left.plotly_chart(attention_figure(result.weights, result.src_tokens, result.out_tokens,
                                           title="Attention for your input"),
                          key=f"{key}.chart.input")


# ---- the long-input problem ----------------------------------------------------------------------
def _study_chart(key: str, study: dict, where: str) -> None:
    unit = UNITS.get(study.get("level", "char"), "tokens")
    metric = st.radio("Score", ["exact match %", "BLEU"], horizontal=True,
                      key=f"{key}.study_metric.{where}")
    field = "exact" if metric.startswith("exact") else "bleu"
    series = {name: [100 * v if field == "exact" else v for v in m[field]]
              for name, m in study["models"].items()}
    st.plotly_chart(length_figure(study["lengths"], series, counts=study.get("counts"),
                                  metric=metric, unit=unit,
                                  title=f"{study['task']}: {metric} against input length"),
                    key=f"{key}.chart.length.{where}")
    counts = study.get("counts") or [0]
    st.caption(f"{study['description']}; both models trained {study['steps']:,} steps on the same "
               f"batches, then scored on fresh held-out inputs ({min(counts)} to {max(counts)} "
               f"per length; hover for the count). {_study_summary(study, unit)}")


def _study_summary(study: dict, unit: str) -> str:
    """One sentence read off the numbers: does the fixed vector fail on long inputs here?"""
    exact = {name: m["exact"] for name, m in study["models"].items()}
    base = exact.pop("no attention", None)
    if base is None or not exact or not base:
        return ""
    name, other = next(iter(exact.items()))
    lo, hi = study["lengths"][0], study["lengths"][-1]
    if min(base) >= 0.9:
        return (f"Here one vector is enough: without attention the model still gets at least "
                f"{100 * min(base):.0f} % right at every length (with {name}: at least "
                f"{100 * min(other):.0f} %).")
    return (f"Without attention exact match falls from {100 * base[0]:.0f} % at {lo} {unit} to "
            f"{100 * base[-1]:.0f} % at {hi}; with {name} it is {100 * other[-1]:.0f} % at {hi}.")


def long_input_section(key: str, playing: bool) -> None:
    ss = st.session_state
    exp: S2SExperiment = ss[f"{key}.exp"]
    st.header("The long-input problem")
    st.markdown("Without attention the decoder must squeeze the whole input into one vector; "
                "accuracy falls as inputs get longer. With attention it can look back.")
    shipped = [s for s in load_studies() if s["task"] == exp.cfg.task]
    if shipped:
        _study_chart(key, shipped[0], "shipped")
    else:
        st.info(f"No precomputed study for the {exp.cfg.task} task; run one below.")
    study: LongInputStudy | None = ss.get(f"{key}.study")
    label = f"Run the study live on this task and model ({STUDY_STEPS:,} steps per model)"
    if st.button(label, key=f"{key}.study_run", disabled=study is not None and not study.done):
        ss[f"{key}.study"] = study = LongInputStudy(exp.cfg, STUDY_STEPS, per_length=40,
                                                    data=exp.data)
    if study is not None:
        _study_fragment(key, playing)


def _study_fragment(key: str, playing: bool) -> None:
    study: LongInputStudy = st.session_state[f"{key}.study"]

    @st.fragment(run_every=None if study.done else TICK_SECONDS)
    def run() -> None:
        if not study.done:
            study.advance(TICK_BUDGET / 2 if playing else TICK_BUDGET)
            st.progress(study.progress, text=f"Training both models: {100 * study.progress:.0f} %")
            if study.done:
                st.rerun(scope="app")
            return
        _study_chart(key, study.result(), "live")

    run()
