"""The time-series page's run and live panel: metrics, the series with one-step predictions,
the k-step-ahead predictions of both models, the error against k and against tau, the loss."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from seqviz.engine.pool import shared_engine
from seqviz.engine.protocol import Snapshot
from seqviz.i18n import _, pgettext
from seqviz.timeseries.config import SHOWN_K, TimeSeriesConfig
from seqviz.timeseries.experiment import MARKOV_K
from seqviz.timeseries.figures import (horizon_figure, kstep_figure, losses_figure,
                                       signal_figure, tau_figure)
from seqviz.timeseries.live import LiveTimeSeries, TimeSeriesView
from seqviz.ui import player
from seqviz.ui.chart import chart
from seqviz.ui.layout import columns
from seqviz.ui.live import memo, once_per_snapshot, run_notices
from seqviz.ui.timeseries.data import signal_name


def build(cfg: TimeSeriesConfig, values: np.ndarray | None = None, *,
          playing: bool = False) -> LiveTimeSeries:
    return LiveTimeSeries.open(shared_engine(), cfg, values, playing=playing)


def names(cfg: TimeSeriesConfig) -> tuple[str, str]:
    """The two models' names on the charts: "MLP, τ = 16" and the cell ("GRU")."""
    return _("MLP, τ = {tau}").format(tau=cfg.tau), cfg.cell.upper()


def _pair(a: float, b: float) -> str:
    return f"{a:.2f} / {b:.2f}" if math.isfinite(a) and math.isfinite(b) else "–"


def _metrics(view: TimeSeriesView, snap: Snapshot) -> None:
    ev = view.evals[-1]
    rnn = names(view.cfg)[1]
    k = SHOWN_K[-1]
    cols = st.columns(4)
    cols[0].metric(pgettext("metric", "Step"), f"{snap.step:,}")
    cols[1].metric(_("Steps / s"), f"{snap.steps_per_s:.1f}")
    cols[2].metric(_("1-step error: MLP / {rnn}").format(rnn=rnn), _pair(*ev.val),
                   help=_("Mean squared error of the one-step-ahead predictions on the "
                          "validation span (standardised units: 1 = predicting the mean)."))
    cols[3].metric(_("{k}-step error: MLP / {rnn}").format(k=k, rnn=rnn),
                   _pair(float(ev.by_k[0][k - 1]), float(ev.by_k[1][k - 1])),
                   help=_("The same error {k} steps ahead, every prediction fed back as "
                          "input.").format(k=k))


def _evaluation_figures(view: TimeSeriesView) -> dict[str, go.Figure]:
    """The five charts drawn from the latest evaluation (every few dozen steps)."""
    s, p, cfg = view.series, view.predictions, view.cfg
    raw = s.x * s.std + s.mean
    mlp, rnn = names(cfg)
    unscale = [v * s.std + s.mean for v in p.one_step]
    last = view.evals[-1]
    return {
        "signal": signal_figure(raw, s.train_end, p.targets, list(zip((mlp, rnn), unscale))),
        "k_mlp": kstep_figure(raw, s.train_end, s.origins, p.forecasts[0] * s.std + s.mean,
                              SHOWN_K, mlp),
        "k_rnn": kstep_figure(raw, s.train_end, s.origins, p.forecasts[1] * s.std + s.mean,
                              SHOWN_K, rnn),
        "horizon": horizon_figure([(mlp, last.by_k[0]), (rnn, last.by_k[1])],
                                  view.persistence, s.noise_var),
        "tau": tau_figure(view.markov.taus, view.markov.one_step, view.markov.k_step,
                          MARKOV_K, cfg.tau,
                          (last.val[0], float(last.by_k[0][MARKOV_K - 1]))),
    }


def _loss_figure(view: TimeSeriesView) -> go.Figure:
    """Both models' training loss (every step) and validation error (every evaluation)."""
    ev = view.evals
    return losses_figure(view.steps, [(n, l) for n, l in zip(names(view.cfg), view.loss)],
                         [e.step for e in ev], [np.array([e.val[i] for e in ev]) for i in (0, 1)])


def _figures(key: str, snap: Snapshot, view: TimeSeriesView) -> dict[str, go.Figure]:
    """The six charts: the five of the latest evaluation built once per evaluation (the run
    publishes several snapshots between two: building them costs ~35 ms), the loss once per
    snapshot."""
    tag = (snap.run_id, snap.generation, view.predictions.step, len(view.evals),
           view.evals[-1].step, view.cfg)
    figs = dict(memo(f"{key}.evaluation", tag, lambda: _evaluation_figures(view)))
    figs["loss"] = once_per_snapshot(key, snap, lambda: _loss_figure(view), "loss")
    return figs


def render(key: str, exp: LiveTimeSeries, snap: Snapshot, playing: bool) -> None:
    view: TimeSeriesView | None = snap.payload
    run_notices(snap, view.divergence if view is not None else None)
    if view is None:
        return
    _metrics(view, snap)
    figs = _figures(key, snap, view)
    mlp, rnn = names(view.cfg)
    st.caption(_("Predictions as of step {step} (the models are evaluated every few dozen "
                 "steps).").format(step=view.predictions.step))
    chart(figs["signal"], key=f"{key}.chart.signal")
    st.caption(_("Grey: the data; the shaded part trains both models, the rest validates "
                 "them. Each prediction x̂ₜ sees only true values before t: the MLP the last τ "
                 "of them (the Markov assumption), the {rnn} all of them through its hidden "
                 "state hₜ (a latent-variable model). One step ahead, both look good.").format(
        rnn=rnn))
    left, right = columns(2)
    chart(figs["k_mlp"], key=f"{key}.chart.k_mlp", where=left)
    chart(figs["k_rnn"], key=f"{key}.chart.k_rnn", where=right)
    st.caption(_("k-step-ahead prediction: from each time o in the validation span, predict "
                 "x̂ₒ₊₁, then feed it back as if it were observed to predict x̂ₒ₊₂, and so on; "
                 "each curve draws x̂ₒ₊ₖ at time o + k. Every step adds its own error to the "
                 "errors it was fed, so the far predictions drift or flatten out."))
    left, right = columns(2)
    chart(figs["horizon"], key=f"{key}.chart.horizon", where=left)
    with left:
        st.caption(_("The validation error at each horizon k. Errors pile up as predictions "
                     "are fed back. Dashed: repeating the last observed value; dotted: the "
                     "noise's variance, the least error any model can reach one step ahead."))
    chart(figs["tau"], key=f"{key}.chart.tau", where=right)
    with right:
        st.caption(_("A linear autoregression fitted by least squares for each window τ "
                     "(τ past values; each fit takes milliseconds), and the MLP at its τ. Too "
                     "short a window is the Markov assumption's limit: the past beyond τ is "
                     "lost, most of all {k} steps ahead. On a random walk without noise τ = 1 "
                     "is already enough.").format(k=MARKOV_K))
    chart(figs["loss"], key=f"{key}.chart.loss")
    st.caption(_("Thin: training loss per step; thick: one-step validation error at each "
                 "evaluation. Both in standardised units (1 = predicting the training mean)."))


def trained_steps(key: str) -> int:
    exp = st.session_state.get(f"{key}.exp")
    snap = exp.snapshot() if isinstance(exp, LiveTimeSeries) else None
    return snap.step if snap is not None else 0


def settings() -> dict:
    """The settings a follower of a shared run sees (``seqviz.ui.share``), as on this page."""
    return {"signal": (_("Signal"), signal_name), "column": (_("Column"), lambda v: v or "–"),
            "length": _("Length T"), "noise": _("Noise σ"),
            "train_share": (_("Training share (the rest validates)"),
                            lambda v: f"{100 * v:.0f} %"),
            "tau": _("Past values τ (MLP)"), "cell": _("Recurrent cell"),
            "hidden_size": _("Hidden size H (both models)"),
            "seq_len": _("RNN window (training and warm-up)"), "batch_size": _("Batch size B"),
            "lr": _("Learning rate"), "seed": _("Seed")}


def live_panel(key: str, playing: bool) -> None:
    player.live_panel(key, playing, render)
