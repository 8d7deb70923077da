"""The language-model page's live panel: metrics, curves, gradient norms and a fresh sample."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import streamlit as st

from seqviz.data import TextData
from seqviz.engine.pool import shared_engine
from seqviz.engine.protocol import Snapshot
from seqviz.figures.training import (ema, grad_norm_figure, loss_figure, perplexity_figure,
                                     refresh_grad_norm, refresh_loss, refresh_perplexity)
from seqviz.i18n import _, ngettext, pgettext
from seqviz.lm.config import LMConfig
from seqviz.lm.experiment import Baseline, baseline_orders, fit_baselines, model_name
from seqviz.lm.live import LiveLM, LMView
from seqviz.ui import player
from seqviz.ui.chart import chart
from seqviz.ui.controls import held
from seqviz.ui.data import corpus_text, text_data, text_digest
from seqviz.ui.layout import columns, control_area, text_block
from seqviz.ui.live import PreparedFigure, kept, once_per_snapshot, run_notices
from seqviz.ui.state import sync_url, widget_key

KEY = "lm"


@st.cache_resource(max_entries=16, show_spinner=False)
def _baselines(digest: str, level: str, orders: tuple[int, ...], _data: TextData
               ) -> list[Baseline]:
    return fit_baselines(_data, orders)


def baselines(text: str, data: TextData, order: int | None = None) -> list[Baseline]:
    """Kneser-Ney baselines of a text, fitted once per process and shared by every session;
    ``order`` adds the n-gram of a feed-forward LM's n."""
    return _baselines(text_digest(text), data.level, baseline_orders(data.level, order), data)


def warm() -> None:
    """Server start-up (``seqviz.ui.startup``): the default corpus, tokenised, and its n-gram
    baselines in the shared caches, so a first visit does not fit them (0.3-0.9 s)."""
    cfg = LMConfig()
    text = corpus_text(cfg.corpus)
    baselines(text, text_data(text, cfg.level))


def build(cfg: LMConfig, upload_text: str | None, *, playing: bool = False) -> LiveLM:
    """Data and baselines here (cached, shared); the model and its trainer in an engine worker.

    Bad text raises ``CorpusError`` here, before the worker is asked to build anything."""
    text = upload_text if cfg.corpus == "upload" and upload_text else corpus_text(cfg.corpus)
    data = text_data(text, cfg.level)
    with st.spinner(_("Fitting the n-gram baselines (once per corpus)…")):
        lines = baselines(text, data, cfg.order)
    return LiveLM.open(shared_engine(), cfg, data, lines, playing=playing,
                       upload_text=upload_text if cfg.corpus == "upload" else None,
                       prompt=st.session_state.get(f"{KEY}.prompt", ""))


def _on_prompt() -> None:
    exp = st.session_state.get(f"{KEY}.exp")
    if isinstance(exp, LiveLM):
        exp.set_prompt(st.session_state.get(f"{KEY}.prompt", ""))


def sample_controls(key: str) -> None:
    st.sidebar.header(_("Sampling"))
    control_area(main=True).slider(
        _("Temperature (live)"), 0.0, 2.0, value=held(widget_key(key, "temperature"), 1.0),
        step=0.05, key=widget_key(key, "temperature"),
        on_change=sync_url, args=(key,),
        help=_("0 = greedy (always the most likely token); 1 = the model's own distribution; "
               "above 1 = more random."))
    st.sidebar.text_input(
        _("Prompt"), value=held(f"{key}.prompt", ""), key=f"{key}.prompt", max_chars=200,
        on_change=_on_prompt,
        help=_("The sample continues this text. Tokens the vocabulary lacks become <unk>."))


def _compared(exp: LiveLM, cfg: LMConfig) -> Baseline | None:
    """The n-gram the metric compares with: the feed-forward LM's own order, else the best."""
    same = [b for b in exp.baselines if b.order == cfg.order]
    return same[0] if same else min(exp.baselines, key=lambda b: b.perplexity, default=None)


def _metrics(exp: LiveLM, view: LMView, snap: Snapshot) -> None:
    best = _compared(exp, view.cfg)
    val = float(view.eval_values[-1]) if len(view.eval_values) else math.nan
    smooth = float(ema(view.loss)[-1]) if len(view.loss) else math.nan
    cols = st.columns(4)
    cols[0].metric(pgettext("metric", "Step"), f"{snap.step:,}")
    cols[1].metric(_("Steps / s"), f"{snap.steps_per_s:.1f}")
    cols[2].metric(_("Training loss"), f"{smooth:.3f}" if math.isfinite(smooth) else "–",
                   help=_("Smoothed cross-entropy in nats per token."))
    delta = None
    if best is not None and math.isfinite(val):
        delta = _("{diff} vs the {n}-gram").format(diff=f"{val - best.perplexity:+.2f}",
                                                   n=best.order)
    cols[3].metric(_("Validation perplexity"), f"{val:.2f}" if math.isfinite(val) else "–",
                   delta=delta, delta_color="inverse")


def _notices(view: LMView, snap: Snapshot) -> None:
    run_notices(snap, view.divergence if view is not None else None,
                advice=_("Lower the learning rate or turn on clipping, then press Play again — "
                         "or Reset."))


def _figures(exp: LiveLM, view: LMView, cache: dict) -> dict[str, go.Figure]:
    """The three curves. Built once per set of extras (baselines, divergences, threshold);
    every later snapshot refreshes the built figures' arrays (``refresh_*``, tested equal to a
    build: 4 ms instead of 26 ms a redraw). ``cache`` is the page's own."""
    lines = [(b.name, b.perplexity) for b in exp.baselines]
    cfg = view.cfg
    threshold = cfg.clip_threshold if cfg.clip == "norm" else None
    same = [i for i, b in enumerate(exp.baselines) if b.order == cfg.order]
    extras = (tuple(lines), tuple(view.diverged_steps), threshold, cfg.cell, cfg.order)
    specs = {
        "loss": kept(cache.setdefault("loss", {}), extras,
                     lambda: loss_figure(view.steps, view.loss, baselines=lines,
                                         divergences=list(view.diverged_steps)).to_dict(),
                     lambda old: refresh_loss(old, view.steps, view.loss)),
        "ppl": kept(cache.setdefault("ppl", {}), extras,
                    lambda: perplexity_figure(view.eval_steps, view.eval_values, baselines=lines,
                                              model=model_name(cfg),
                                              highlight=same[0] if same else None).to_dict(),
                    lambda old: refresh_perplexity(old, view.eval_steps, view.eval_values)),
        "grad": kept(cache.setdefault("grad", {}), extras,
                     lambda: grad_norm_figure(view.steps, view.grad_norm, view.grad_norm_clipped,
                                              threshold=threshold).to_dict(),
                     lambda old: refresh_grad_norm(old, view.steps, view.grad_norm,
                                                   view.grad_norm_clipped)),
    }
    return {name: PreparedFigure(spec) for name, spec in specs.items()}


def feed_forward_caption(window: int) -> str:
    """What the feed-forward LM is, under the metrics while it trains."""
    return _("Feed-forward LM (Bengio et al. 2003): the next token is estimated not from counts "
             "but by a neural network over the previous n−1 = {w} tokens (embeddings, "
             "concatenated → tanh layer → softmax). Similar tokens get similar inputs, so "
             "smoothing happens by itself — but it still sees only n−1 tokens. The thick "
             "dash-dotted line is the n-gram of the same n.").format(w=window)


def vocabulary_notice(data: TextData) -> None:
    """Say when rare tokens were folded into <unk> (the vocabulary is capped, so a text of
    30,000 distinct characters cannot make a 30,000-way softmax)."""
    if data.dropped_types:
        st.info(_("The text has {n} more distinct tokens than the vocabulary keeps ({kept}, "
                  "the most frequent). The rarest read as <unk>: {share} of the training "
                  "tokens.").format(n=f"{data.dropped_types:,}", kept=f"{len(data.vocab):,}",
                                    share=f"{data.dropped_share:.2%}"), icon="ℹ️")


def render(key: str, exp: LiveLM, snap: Snapshot, playing: bool) -> None:
    view: LMView | None = snap.payload
    _notices(view, snap)
    if view is None:
        return
    _metrics(exp, view, snap)
    if view.cfg.feed_forward:
        st.caption(feed_forward_caption(view.cfg.window))
    cache = st.session_state.setdefault(f"{key}.curves", {})
    figs = once_per_snapshot(key, snap, lambda: _figures(exp, view, cache))
    left, right = columns(2)
    chart(figs["loss"], key=f"{key}.chart.loss", where=left)
    chart(figs["ppl"], key=f"{key}.chart.ppl", where=right)
    left, right = columns(2)
    chart(figs["grad"], key=f"{key}.chart.grad", where=left)
    sample = view.sample
    with right:
        if sample is None:
            return
        st.subheader(_("Sample at step {step} · temperature {t}").format(
            step=f"{sample.step:,}", t=f"{sample.temperature:g}"))
        if sample.unknown:
            st.caption(ngettext("{n} prompt token is not in the vocabulary and was read as "
                                "<unk>.", "{n} prompt tokens are not in the vocabulary and were "
                                "read as <unk>.", sample.unknown).format(n=sample.unknown))
        text_block(sample.prompt + sample.text)


def trained_steps(key: str) -> int:
    """Steps the page's model has trained (0 before its first snapshot), counting a step that
    diverged: its update is undone (and the one before it), but the run got that far, and a
    lecture step about the divergence has its answer then."""
    exp = st.session_state.get(f"{key}.exp")
    snap = exp.snapshot() if isinstance(exp, LiveLM) else None
    if snap is None:
        return 0
    view: LMView | None = snap.payload
    diverged = view.divergence if view is not None else None
    return max(snap.step, diverged.step if diverged is not None else 0)


def live_panel(key: str, playing: bool) -> None:
    player.live_panel(key, playing, render)
