"""The CTC page's run and live panel: metrics, the posterior heatmap, the trellis, decoding of
the chosen example, the label error rate and loss; and the interactive collapse rule."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import streamlit as st

from seqviz.ctc.config import CTCConfig
from seqviz.ctc.decode import PathError, collapse_steps, parse_path
from seqviz.ctc.experiment import BEAM_UTTERANCES, TEST_UTTERANCES
from seqviz.ctc.figures import held_out_loss_spec, ler_figure, posterior_figure, trellis_figure
from seqviz.ctc.live import CTCView, LiveCTC
from seqviz.ctc.symbols import BLANK_CHAR, to_text
from seqviz.engine.pool import shared_engine
from seqviz.engine.protocol import Snapshot
from seqviz.figures.training import ema, loss_figure, refresh_loss
from seqviz.i18n import _, pgettext
from seqviz.ui import player
from seqviz.ui.chart import chart
from seqviz.ui.controls import held
from seqviz.ui.layout import columns, text_block
from seqviz.ui.live import PreparedFigure, kept_spec, memo, run_notices
from seqviz.ui.tables import table


def build(cfg: CTCConfig, *, playing: bool = False) -> LiveCTC:
    return LiveCTC.open(shared_engine(), cfg, playing=playing)


def _pct(v: float) -> str:
    return f"{100 * v:.1f} %" if math.isfinite(v) else "–"


def _metrics(view: CTCView, snap: Snapshot) -> None:
    ev = view.evals[-1] if view.evals else None
    smooth = float(ema(view.loss)[-1]) if len(view.loss) else math.nan
    cols = st.columns(5)
    cols[0].metric(pgettext("metric", "Step"), f"{snap.step:,}")
    cols[1].metric(_("Steps / s"), f"{snap.steps_per_s:.1f}")
    cols[2].metric(_("CTC loss"), f"{smooth:.3f}" if math.isfinite(smooth) else "–",
                   help=_("Smoothed -log p(label | frames) per label symbol, in nats."))
    cols[3].metric(_("Label error rate"), _pct(ev.greedy) if ev else "–",
                   help=_("Best path, on {n} held-out utterances: the edit distance of the "
                          "output to the true label, over the total label length.").format(
                       n=TEST_UTTERANCES))
    cols[4].metric(_("Blank frames"), _pct(ev.blank_share) if ev else "–",
                   help=_("Share of held-out frames whose most likely output is the blank."))


def _notices(view: CTCView | None, snap: Snapshot) -> None:
    run_notices(snap, view.divergence if view is not None else None)


def _probe_figures(view: CTCView) -> dict[str, go.Figure]:
    """The probe utterance's posteriors and trellis (a fresh probe at most every 0.5 s)."""
    p = view.probe
    return {
        "post": posterior_figure(p.log_probs, p.truth, title=_(
            "Per-frame output probabilities: example {i}, label “{label}”").format(
            i=p.index, label=to_text(p.label))),
        "trellis": trellis_figure(p.log_alpha, p.ext, p.best_paths),
    }


def _ler_figure(view: CTCView) -> go.Figure:
    ev = view.evals
    return ler_figure([e.step for e in ev], [e.greedy_sub for e in ev], [e.beam for e in ev],
                      view.cfg.beam, utterances=BEAM_UTTERANCES)


def _loss(key: str, view: CTCView) -> PreparedFigure:
    """The training loss, built once per set of divergences and refreshed for each snapshot
    (``refresh_loss``), with the held-out loss at each evaluation added to the dict
    (``held_out_loss_spec``)."""
    ev = view.evals
    base = kept_spec(
        f"{key}.loss_spec", tuple(view.diverged_steps),
        lambda: loss_figure(view.steps, view.loss, divergences=list(view.diverged_steps),
                            title=_("CTC loss (per label symbol)")).update_yaxes(
            title_text=_("−log p(label) per symbol (nats)")).to_dict(),
        lambda old: refresh_loss(old, view.steps, view.loss))
    return PreparedFigure(held_out_loss_spec(base, [e.step for e in ev], [e.loss for e in ev]))


def _figures(key: str, snap: Snapshot, view: CTCView) -> dict[str, go.Figure]:
    """The four figures, each built again only when what it draws changed: the probe's two
    (~25 ms of Plotly) with a fresh probe, the label error rate with a new evaluation, the loss
    with new steps. A snapshot that changes none of it (a live slider moved on a paused run)
    keeps them all."""
    p, ev = view.probe, view.evals
    run = (snap.run_id, snap.generation)
    evals = (len(ev), ev[-1].step if ev else -1)
    figs = dict(memo(f"{key}.probe", run + (p.step, p.index, p.beam_width),
                     lambda: _probe_figures(view)))
    figs["ler"] = memo(f"{key}.ler", run + evals + (view.cfg.beam,), lambda: _ler_figure(view))
    figs["loss"] = memo(f"{key}.loss", run + evals + (
        len(view.steps), int(view.steps[-1]) if len(view.steps) else -1, view.diverged_steps),
        lambda: _loss(key, view))
    return figs


def _decoding(view: CTCView) -> None:
    p = view.probe
    st.subheader(_("Decoding example {i}").format(i=p.index))
    st.markdown(_("True label: **{label}** · {n} frames · {paths} alignments collapse to it · "
                  "p(label | frames) = {p}").format(
        label=to_text(p.label), n=len(p.frames), paths=f"{p.alignments:,}",
        p=f"{math.exp(p.log_p):.3g}" if math.isfinite(p.log_p) else "0"))
    st.markdown(_("**Best path** (the likeliest output at every frame):"))
    text_block(to_text(p.greedy_path), wrap=False)
    g = f"{math.exp(p.greedy_log_p):.3g}" if math.isfinite(p.greedy_log_p) else "0"
    st.markdown(_("collapses to **{label}** (p = {p}, summed over all its paths)").format(
        label=to_text(p.greedy_label) or "∅", p=g))
    rows = [{_("rank"): i + 1, _("label"): to_text(lab) or "∅",
             _("beam's score"): f"{math.exp(score):.3g}",
             _("p(label | frames)"): f"{math.exp(lp):.3g}",
             _("correct"): "✅" if tuple(lab) == tuple(p.label) else ""}
            for i, (lab, score, lp) in enumerate(p.beams)]
    st.markdown(_("**Prefix beam search**, width {b}:").format(b=p.beam_width))
    table(rows)  # markdown: st.dataframe made a first visit load ~1.5 MB of Arrow and grid code
    st.caption(_("The beam's score sums only the paths whose prefixes survived its pruning, so "
                 "it can fall short of p(label | frames), which sums every path (α, as in the "
                 "trellis); a wider beam closes the gap."))


def render(key: str, exp: LiveCTC, snap: Snapshot, playing: bool) -> None:
    view: CTCView | None = snap.payload
    _notices(view, snap)
    if view is None:
        return
    _metrics(view, snap)
    figs = _figures(key, snap, view)
    chart(figs["post"], key=f"{key}.chart.post")
    st.caption(_("Rows: the blank ({blank}) and each symbol; the red row above shows which "
                 "symbol was spoken at each frame (the model never sees it). Untrained, every "
                 "frame is a blur; trained, CTC's outputs become peaky: the blank almost "
                 "everywhere, a symbol in a spike or two per spoken symbol.").format(
        blank=BLANK_CHAR))
    chart(figs["trellis"], key=f"{key}.chart.trellis")
    st.caption(_("α(t, s) sums the probability of every path through the first t + 1 frames "
                 "that ends in state s. A path may stay in its state, move one down, or skip "
                 "the blank between two different symbols. p(label | frames) is α in the last "
                 "two states at the last frame. α shrinks with every frame, so each column is "
                 "coloured relative to its largest value; grey cells lie on no complete "
                 "alignment."))
    left, right = columns(2)
    with left:
        _decoding(view)
    chart(figs["ler"], key=f"{key}.chart.ler", where=right)
    chart(figs["loss"], key=f"{key}.chart.loss")


def collapse_section(key: str, symbols: int) -> None:
    """Type a path, see the collapse rule B applied in its two steps."""
    st.subheader(_("The collapse rule"))
    st.markdown(_("A path has one symbol or blank per frame. CTC turns it into a label in two "
                  "steps: merge repeated neighbours, then drop the blanks. Type a path with the "
                  "symbols {symbols} and {blank} for the blank.").format(
        symbols=" ".join(to_text([k]) for k in range(1, symbols + 1)), blank=BLANK_CHAR))
    text = st.text_input(_("Path"), value=held(f"{key}.path", ""), key=f"{key}.path", max_chars=200,
                         placeholder="aa-a--bb")
    if not text:
        return
    try:
        ids = parse_path(text, symbols)
    except PathError as err:
        st.error(str(err.msg), icon="⚠️")
        return
    steps = collapse_steps(ids)
    st.markdown(_("1\\. merge repeats: `{merged}` → 2\\. drop blanks: **{label}**").format(
        merged=steps.merged, label=steps.label or "∅"))


def trained_steps(key: str) -> int:
    exp = st.session_state.get(f"{key}.exp")
    snap = exp.snapshot() if isinstance(exp, LiveCTC) else None
    return snap.step if snap is not None else 0


def settings() -> dict:
    """The settings a follower of a shared run sees (``seqviz.ui.share``), as on this page."""
    return {"symbols": _("Symbols K"), "max_len": _("Longest label"),
            "max_frames": _("Most frames per symbol"), "noise": _("Noise"),
            "silence": _("Chance of a pause between symbols"),
            "hidden_size": _("Hidden size H (per direction)"), "num_layers": _("Layers"),
            "batch_size": _("Batch size B"), "lr": _("Learning rate"),
            "clip_threshold": _("Clip threshold"), "beam": _("Beam width"),
            "example": _("Example to draw"), "seed": _("Seed")}


def live_panel(key: str, playing: bool) -> None:
    player.live_panel(key, playing, render)
