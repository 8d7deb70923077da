"""The language-model page's live panel: metrics, curves, gradient norms and a fresh sample."""

from __future__ import annotations

import math
import time

import streamlit as st

from seqviz.config import LMConfig
from seqviz.figures.training import ema, grad_norm_figure, loss_figure, perplexity_figure
from seqviz.lm_experiment import LMExperiment
from seqviz.ui.data import baselines, corpus_text, text_data
from seqviz.ui import player
from seqviz.ui.player import steps_per_second
from seqviz.ui.state import widget_key

SAMPLE_EVERY = 3.0  # seconds between fresh samples while playing
SAMPLE_LENGTH = {"char": 300, "word": 60}


def build(cfg: LMConfig, upload_text: str | None) -> LMExperiment:
    """Data (cached) -> model and trainer (this session's own) -> first validation point."""
    text = upload_text if cfg.corpus == "upload" and upload_text else corpus_text(cfg.corpus)
    data = text_data(text, cfg.level)
    with st.spinner("Fitting the n-gram baselines (once per corpus)…"):
        lines = baselines(text, data)
    exp = LMExperiment.build(cfg, data)
    exp.baselines = lines
    exp.trainer.evaluate_now()
    return exp


def sample_controls(key: str) -> None:
    sb = st.sidebar
    sb.header("Sampling")
    sb.slider("Temperature (live)", 0.0, 2.0, step=0.05, key=widget_key(key, "temperature"),
              help="0 = greedy (always the most likely token); 1 = the model's own "
                   "distribution; above 1 = more random.")
    sb.text_input("Prompt", key=f"{key}.prompt", max_chars=200,
                  help="The sample continues this text. Tokens the vocabulary lacks become <unk>.")


def _sample(key: str, exp: LMExperiment, playing: bool) -> str:
    """A fresh sample every few seconds while playing, or when the inputs change."""
    ss = st.session_state
    prompt = ss.get(f"{key}.prompt", "")
    inputs = (id(exp), exp.trainer.steps, exp.cfg.temperature, prompt)
    last = ss.get(f"{key}.sample")
    stale = last is None or (last[0][:1] + last[0][2:]) != (inputs[:1] + inputs[2:])
    if stale or (last[0][1] != inputs[1] and (not playing or time.time() - last[1] > SAMPLE_EVERY)):
        text, unknown = exp.sample(prompt, SAMPLE_LENGTH[exp.data.level])
        last = (inputs, time.time(), text, unknown)
        ss[f"{key}.sample"] = last
    return last


def _metrics(exp: LMExperiment, hist, rate: float) -> None:
    best = min(exp.baselines, key=lambda b: b.perplexity) if exp.baselines else None
    val = exp.trainer.evals[-1][1] if exp.trainer.evals else math.nan
    smooth = ema([h.loss for h in hist])[-1] if hist else math.nan
    cols = st.columns(4)
    cols[0].metric("Step", f"{exp.trainer.steps:,}")
    cols[1].metric("Steps / s", f"{rate:.1f}")
    cols[2].metric("Training loss", f"{smooth:.3f}" if math.isfinite(smooth) else "–",
                   help="Smoothed cross-entropy in nats per token.")
    delta = None
    if best is not None and math.isfinite(val):
        delta = f"{val - best.perplexity:+.2f} vs {best.name}"
    cols[3].metric("Validation perplexity", f"{val:.2f}" if math.isfinite(val) else "–",
                   delta=delta, delta_color="inverse")


def _divergence_notice(exp: LMExperiment) -> None:
    if not exp.trainer.divergences:
        return
    d = exp.trainer.divergences[-1]
    st.error(f"**Training diverged at step {d.step}** ({d.reason}). The update was skipped and "
             f"the weights from step {d.restored_to} were restored, so nothing is lost. Lower the "
             f"learning rate or turn on clipping, then press Play again — or Reset.", icon="💥")


def render(key: str, exp: LMExperiment, playing: bool) -> None:
    trainer = exp.trainer
    with trainer.lock:  # copy under the lock: another thread may be appending
        hist, evals = list(trainer.history), list(trainer.evals)
        divergences = [d.step for d in trainer.divergences]
    _metrics(exp, hist, steps_per_second(key, trainer.steps))
    _divergence_notice(exp)
    lines = [(b.name, b.perplexity) for b in exp.baselines]
    ok = [h for h in hist if not h.diverged]
    left, right = st.columns(2)
    left.plotly_chart(loss_figure([h.step for h in ok], [h.loss for h in ok], baselines=lines,
                                  divergences=divergences), key=f"{key}.chart.loss")
    right.plotly_chart(perplexity_figure([s for s, _ in evals], [v for _, v in evals],
                                         baselines=lines), key=f"{key}.chart.ppl")
    left, right = st.columns(2)
    threshold = exp.cfg.clip_threshold if exp.cfg.clip == "norm" else None
    left.plotly_chart(grad_norm_figure([h.step for h in ok], [h.grad_norm for h in ok],
                                       [h.grad_norm_clipped for h in ok], threshold=threshold),
                      key=f"{key}.chart.grad")
    inputs, _, text, unknown = _sample(key, exp, playing)
    with right:
        st.subheader(f"Sample at step {inputs[1]:,} · temperature {exp.cfg.temperature:g}")
        if unknown:
            st.caption(f"{unknown} prompt token(s) are not in the vocabulary and were read as <unk>.")
        st.code((inputs[3] or "") + text, language=None, wrap_lines=True)


def live_panel(key: str, playing: bool) -> None:
    player.live_panel(key, playing, render)
