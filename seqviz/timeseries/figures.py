"""Time-series figures (d2l 8.1, Fig. 8.1.2-8.1.5): the series with one-step predictions, the
k-step-ahead predictions over the validation span, the error against k, the error against tau
(the Markov assumption's limit), and both training curves.

Pure builders (arrays in, ``go.Figure`` out); no torch. Values are drawn in the series' own
units; errors are mean squared errors of the standardised series (1 = always predicting the
training mean).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import (BASELINE_COLOURS, PALETTE, check_same_length, font_size,
                                  log_props, profile, styled, with_waiting)
from seqviz.figures.training import no_steps_yet
from seqviz.i18n import _

SHOWN_SPAN = 240  # time steps of the validation span a k-step chart shows at first
K_COLOURS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#d62728")  # k = 1, 4, 16, 64
DATA = dict(color="#9a9a9a", width=1.5)


def _spans(train_end: int, end: int) -> dict:
    """Layout that shades the training span and names both spans at the top."""
    return dict(
        shapes=[dict(type="rect", x0=0, x1=train_end - 0.5, xref="x", y0=0, y1=1,
                     yref="y domain", fillcolor="#1f77b4", opacity=0.06, line=dict(width=0))],
        annotations=[dict(x=x, y=1, yref="paper", yanchor="bottom", text=text, showarrow=False,
                          font=dict(size=font_size(), color="#555"))
                     for x, text in ((train_end / 2, _("training")),
                                     ((train_end + end) / 2, _("validation")))])


def _vline(x: float, line: dict) -> dict:
    """A vertical line across the plot (``add_vline``'s shape)."""
    return dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="y domain", line=line)


def _line(x, y, name: str, **kwargs) -> dict:
    return dict(type="scatter", x=x, y=y, name=name, **kwargs)


def _finish(fig: go.Figure | dict, title: str, x: str, y: str, height: int = 440) -> go.Figure:
    return styled(fig, title=title, x=x, y=y, height=height)


# The builders write each figure as a dict, validated once by ``styled``: a figure built with
# ``add_trace`` and ``add_vline`` is validated at every call and again by ``styled`` (a k-step
# chart: 9 ms against 2), and the page draws five for every evaluation of a playing run and
# the loss for every snapshot.

def signal_figure(values, train_end: int, targets, predictions: Sequence[tuple[str, np.ndarray]]
                  ) -> go.Figure:
    """The observed series (grey) and each model's one-step predictions x̂_t at ``targets``."""
    x = np.asarray(values, dtype=float)
    t = np.asarray(targets)
    data = [_line(np.arange(len(x)), x, _("data"), mode="lines", line=DATA)]
    for i, (name, pred) in enumerate(predictions):
        check_same_length(targets=t, predictions=pred)
        data.append(_line(t, pred, name, mode="lines", line=dict(color=PALETTE[i], width=2)))
    return _finish({"data": data, "layout": _spans(train_end, len(x))},
                   _("One-step-ahead predictions: x̂ₜ from the true values before t"),
                   _("time t"), _("value xₜ"))


def kstep_figure(values, train_end: int, origins, forecasts, ks: Sequence[int], model: str
                 ) -> go.Figure:
    """The validation span and one model's k-step predictions x̂_{o+k} (fed back) for each k
    in ``ks``, each drawn at the time it predicts."""
    x = np.asarray(values, dtype=float)
    fc = np.asarray(forecasts, dtype=float)
    o = np.asarray(origins)
    if fc.ndim != 2 or fc.shape[0] != len(o) or fc.shape[1] < max(ks):
        raise ValueError(f"forecasts must be (origins {len(o)}, >= {max(ks)}), got {fc.shape}")
    lo = max(int(o[0]) + 1 - 20, 0)
    span = np.arange(lo, len(x))
    data = [_line(span, x[span], _("data"), mode="lines", line=DATA)]
    for i, k in enumerate(ks):
        data.append(_line(o + k, fc[:, k - 1], _("{k}-step").format(k=k), mode="lines",
                          line=dict(color=K_COLOURS[i % len(K_COLOURS)], width=2)))
    layout = dict(shapes=[_vline(train_end - 0.5, dict(color="#555", dash="dot", width=1))],
                  xaxis=dict(range=[lo, min(lo + SHOWN_SPAN, len(x) - 1)]))  # drag to pan
    return _finish({"data": data, "layout": layout},
                   _("{model}: k-step-ahead predictions, fed back").format(model=model),
                   _("time t (validation span)"), _("value xₜ"))


def horizon_figure(errors: Sequence[tuple[str, np.ndarray]], persistence=None,
                   noise_var: float | None = None) -> go.Figure:
    """Validation MSE of the k-step predictions against k (log axes), per model; the
    "repeat the last value" baseline and the observation noise's variance for reference."""
    data = []
    k = None
    for i, (name, err) in enumerate(errors):
        k = np.arange(1, len(err) + 1)
        data.append(_line(k, err, name, mode="lines+markers",
                          line=dict(color=PALETTE[i], width=3), marker=dict(size=5)))
    if persistence is not None:
        k = np.arange(1, len(persistence) + 1)
        data.append(_line(k, persistence, _("repeat xₒ"), mode="lines",
                          line=dict(color=BASELINE_COLOURS[0], width=2, dash="dash")))
    if noise_var is not None and noise_var > 0 and k is not None:
        data.append(_line([1, len(k)], [noise_var, noise_var], _("noise variance"),
                          mode="lines", line=dict(color=BASELINE_COLOURS[1], width=2,
                                                  dash="dot")))
    values = np.concatenate([np.asarray(e, dtype=float) for _n, e in errors]
                            + ([np.asarray(persistence, dtype=float)] if persistence is not None
                               else []) + ([np.array([noise_var])] if noise_var else []))
    layout = dict(xaxis=_log_k(len(k) if k is not None else 1), yaxis=log_props(values))
    return _finish({"data": data, "layout": layout},
                   _("Error against the horizon k (validation)"),
                   _("steps ahead k (log scale)"), _("mean squared error (log scale)"))


def _log_k(most: int) -> dict:
    """A log x axis with ticks at the powers of two up to ``most``."""
    t = [v for v in (1, 2, 4, 8, 16, 32, 64) if v <= max(most, 1)]
    return dict(type="log", tickvals=t, ticktext=[str(v) for v in t])


def tau_figure(taus, one_step, k_step, k: int, tau: int, mlp: tuple[float, float] | None = None
               ) -> go.Figure:
    """The linear autoregression's validation MSE against its window tau (log x), one step
    ahead and k steps ahead; the MLP's own errors at its tau as two points."""
    check_same_length(taus=taus, one_step=one_step, k_step=k_step)
    data = [_line(taus, one_step, _("linear AR, 1 step"), mode="lines+markers",
                  line=dict(color=PALETTE[2], width=3)),
            _line(taus, k_step, _("linear AR, {k} steps").format(k=k), mode="lines+markers",
                  line=dict(color=PALETTE[4], width=3, dash="dash"))]
    if mlp is not None:
        # two legend entries, filled and open as the AR's solid and dashed lines, rather than
        # labels by the points: a label beside a point lands on whichever line passes there
        for err, name, symbol in zip(
                mlp, (_("MLP at τ = {tau}, 1 step"), _("MLP at τ = {tau}, {k} steps")),
                ("diamond", "diamond-open")):
            data.append(_line([tau], [err], name.format(tau=tau, k=k), mode="markers",
                              marker=dict(color=PALETTE[0], size=14, symbol=symbol,
                                          line=dict(color=PALETTE[0], width=3))))
    vals = np.concatenate([np.asarray(one_step, float), np.asarray(k_step, float),
                           np.asarray(mlp if mlp else [], float)])
    layout = dict(shapes=[_vline(tau, dict(color=PALETTE[0], dash="dot", width=1))],
                  xaxis=_log_k(max(max(taus), tau)), yaxis=log_props(vals))
    title = _("The Markov assumption: error against the window τ")
    two_lines = len(title) > 40 and ": " in title  # drawn half width: one line would be cut
    fig = _finish({"data": data, "layout": layout},
                  title.replace(": ", ":<br>", 1) if two_lines else title,
                  _("past values τ (log scale)"), _("mean squared error (log scale)"))
    if two_lines:
        fig.layout.margin.t += profile().title + 8
    return fig


def losses_figure(steps, losses: Sequence[tuple[str, np.ndarray]], eval_steps,
                  val: Sequence[np.ndarray]) -> go.Figure:
    """Training MSE per step (thin) and one-step validation MSE at the evaluations (markers),
    per model, on a log axis."""
    data = []
    for i, ((name, loss), v) in enumerate(zip(losses, val)):
        check_same_length(steps=steps, loss=loss)
        check_same_length(eval_steps=eval_steps, val=v)
        data.append(_line(steps, loss, _("{model} training").format(model=name), mode="lines",
                          opacity=0.5, line=dict(color=PALETTE[i], width=1)))
        data.append(_line(eval_steps, v, _("{model} validation").format(model=name),
                          mode="lines+markers", line=dict(color=PALETTE[i], width=3),
                          marker=dict(size=7)))
    end = max(int(steps[-1]) if len(steps) else 0, int(eval_steps[-1]) if len(eval_steps) else 0)
    layout = with_waiting(dict(xaxis=dict(range=[0, max(end, 25)]), yaxis=log_props(
        np.concatenate([np.asarray(a, float) for _n, a in losses]
                       + [np.asarray(a, float) for a in val]))),
        None if len(steps) else no_steps_yet())
    return _finish({"data": data, "layout": layout},
                   _("Training and validation loss (one step ahead)"), _("training step"),
                   _("mean squared error (log scale)"))
