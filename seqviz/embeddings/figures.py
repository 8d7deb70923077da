"""Embedding figures: word2vec loss, analogy accuracy, neighbour tables (the 2-D map is in
``mapfigures``).

Pure builders (arrays in, ``go.Figure`` or rows out); every text is translated (``_``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import (PALETTE, STEPS_SHOWN, check_same_length, thin_evenly,
                                  styled_over_steps, typed_array)
from seqviz.figures.training import ema, refreshed
from seqviz.i18n import _

def w2v_loss_figure(steps: Sequence[int], losses: Sequence[float], *, negatives: int | None = None,
                    smooth: Sequence[float] | None = None, title: str | None = None
                    ) -> go.Figure:
    """Loss per (word, context) pair: raw and smoothed (``smooth``, else an EMA of ``losses``);
    the uniform-guess level dashed."""
    check_same_length(steps=steps, losses=losses)
    if smooth is None:
        smooth = ema(losses) if len(losses) else np.array([])
    check_same_length(steps=steps, smooth=smooth)
    s, raw, sm = thin_evenly(steps, losses, smooth)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=s, y=raw, mode="lines", name=_("loss per step"),
                             line=dict(color=PALETTE[0], width=1), opacity=0.35))
    fig.add_trace(go.Scatter(x=s, y=sm, mode="lines", name=_("smoothed"),
                             line=dict(color=PALETTE[0], width=3)))
    if negatives is not None:
        level = (1 + negatives) * np.log(2)  # every score 0: σ = 1/2 for target and noise words
        end = max(int(s[-1]) if len(s) else 0, STEPS_SHOWN)
        fig.add_trace(go.Scatter(x=[0, end], y=[level, level], mode="lines",
                                 name=_("all scores 0: {level}").format(level=f"{level:.2f}"),
                                 line=dict(color="#7f7f7f", dash="dash", width=2),
                                 meta="to x_end"))
    title = title if title is not None else _("word2vec loss (negative sampling)")
    return styled_over_steps(fig, title=title, y=_("loss per pair (nats)"), height=380)


def analogy_accuracy_figure(steps: Sequence[int], series: dict[str, Sequence[float]],
                            title: str | None = None) -> go.Figure:
    """Accuracy in % over training steps, one line per relation (e.g. all / gender / plural;
    the names are already translated)."""
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        check_same_length(steps=steps, **{name: values})
        s, v = thin_evenly(steps, values)
        fig.add_trace(go.Scatter(x=s, y=100 * np.asarray(v, float), mode="lines", name=name,
                                 line=dict(color=PALETTE[(i + 1) % len(PALETTE)],
                                           width=4 if i == 0 else 2)))
    title = title if title is not None else _("Analogy accuracy (top-1, query words excluded)")
    fig = styled_over_steps(fig, title=title, y=_("correct (%)"), height=380)
    fig.update_yaxes(range=[-3, 103])
    return fig


def neighbour_rows(results: Sequence[tuple[str, float]], rank: bool = True) -> list[dict]:
    """Rows for a table: (rank,) word, cosine with three decimals; column names translated."""
    return [({_("rank"): i + 1} if rank else {}) | {_("word"): w, _("cosine"): round(float(s), 3)}
            for i, (w, s) in enumerate(results)]


def refresh_curves(spec: dict, steps: Sequence[int], *series: Sequence[float],
                   scale: float = 1.0) -> dict | None:
    """A figure dict built by ``w2v_loss_figure`` (series: losses, smoothed) or
    ``analogy_accuracy_figure`` (one series per line, ``scale=100``) with new data, equal to
    building it again (as sent to the browser) at a tenth of the cost: the lines' arrays, a
    loss figure's dashed level stretched to the last step, and the x range a figure built
    with no data fixes dropped once there are data (``seqviz.figures.training.refreshed``,
    as for the other training curves). ``None`` for no data (build it: an empty figure's
    axes are fixed by ``styled``)."""
    s, *values = thin_evenly(steps, *series)
    if not len(s):
        return None
    xs = typed_array(s)
    return refreshed(spec, {i: {"x": xs, "y": typed_array(scale * np.asarray(v, float))}
                            for i, v in enumerate(values)}, max(int(s[-1]), STEPS_SHOWN))
