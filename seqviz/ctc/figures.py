"""CTC figures: per-frame posteriors, the trellis with its forward variables and best paths, and
the label error rate over training (Graves et al. 2006, Fig. 1 and 3; Graves 2012, Fig. 7.3).

Pure builders (arrays and labels in, ``go.Figure`` out); no torch. Rows of the posterior heatmap
are the blank and the symbols; its columns frames. The trellis has one row per state of the
blank-augmented label (- a - b - ...) and one column per frame; a cell's colour is
log10 alpha_t(s) (grey where no complete alignment passes), and the most likely alignments are
drawn as lines through the cells they visit. Alpha shrinks geometrically along the frames, so
each column is coloured relative to its largest alpha (the hover gives alpha itself).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.ctc.symbols import BLANK_CHAR, to_text
from seqviz.figures.style import (PALETTE, check_same_length, deep_merged, font_size, profile,
                                  styled, styled_over_steps)
from seqviz.i18n import _

LOG10 = math.log(10.0)
MIN_STEPS = 25  # the step axes span at least this many steps (no -1..1 axis at step 0)
ALPHA_FLOOR = -8.0  # log10 alpha this far below the frame's largest is drawn at the floor
# A legend anchored to the figure's bottom edge: Plotly grows the margin to hold it, so it never
# climbs onto the x-axis title (a legend placed at a fraction of the plot does, at large fonts).
def _symbol_rows(symbols: int) -> list[str]:
    return [BLANK_CHAR] + [to_text([k]) for k in range(1, symbols + 1)]


def posterior_figure(log_probs, truth: Sequence[int] | None = None, *,
                     title: str | None = None) -> go.Figure:
    """Heatmap of y_t(k) (C rows: blank first, then the symbols; T columns). ``truth`` (T,)
    marks above each frame which symbol made it (. for silence); the model never saw it."""
    lp = np.asarray(log_probs, dtype=float)
    if lp.ndim != 2 or lp.shape[1] < 2:
        raise ValueError(f"log_probs must be (frames, blank + symbols), got shape {lp.shape}")
    T, C = lp.shape
    if truth is not None and len(truth) != T:
        raise ValueError(f"truth has {len(truth)} frames, log_probs has {T}")
    rows = _symbol_rows(C - 1)
    p = np.exp(lp).T  # (C, T)
    # written as a dict and validated once (``styled``): a redraw of a playing run
    data = [dict(
        type="heatmap", z=p, x=list(range(T)), y=list(range(C)), zmin=0.0, zmax=1.0,
        colorscale="Blues", xgap=1, ygap=1,
        customdata=np.array([[rows[c]] * T for c in range(C)], dtype=object),
        colorbar=dict(title=dict(text=_("probability"), side="right"), thickness=16),
        hovertemplate=_("frame {t}: p({sym}) = {p}").format(
            t="%{x}", sym="%{customdata}", p="<b>%{z:.3f}</b>") + "<extra></extra>")]
    if truth is not None:
        spoken = [to_text([int(k)]) if int(k) else "·" for k in truth]
        data.append(dict(
            type="scatter", x=list(range(T)), y=[-0.9] * T, mode="text", text=spoken,
            name=_("spoken symbol"),
            textfont=dict(size=font_size(), color=PALETTE[1], family="monospace"),
            hovertemplate=_("frame {t}: spoken {sym}").format(t="%{x}", sym="%{text}")
            + "<extra></extra>", showlegend=False))
    mono = dict(size=font_size() + 2, family="monospace", color="#111")
    after = dict(hovermode="closest", margin=dict(l=90, r=20, t=60, b=60),
                 yaxis=dict(tickmode="array", tickvals=list(range(-1, C)) if truth is not None
                            else list(range(C)),
                            ticktext=([_("spoken")] if truth is not None else []) + rows,
                            tickfont=mono, autorange="reversed", showgrid=False,
                            zeroline=False),
                 xaxis=dict(showgrid=False, zeroline=False))
    if profile().name == "present":  # the first chart: it must end above a 768 px screen's edge
        after["height"] = 200 + 22 * C
    return styled({"data": data, "layout": {}}, title=title or _("Per-frame output probabilities"),
                  x=_("frame"), y=_("output (- is the blank)"), height=180 + 34 * C,
                  overrides=after)


def on_alignments(frames: int, ext: Sequence[int]) -> np.ndarray:
    """(T, S') bool: the cells of the trellis that lie on at least one complete alignment
    (reachable from the first frame's states 0 / 1 and able to end in the last two states at the
    last frame), from the trellis rules alone: stay, move one down, or skip a blank between two
    different symbols."""
    S = len(ext)
    skip = [s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2] for s in range(S)]
    fwd = np.zeros((frames, S), dtype=bool)
    bwd = np.zeros((frames, S), dtype=bool)
    fwd[0, : min(2, S)] = True
    for t in range(1, frames):
        for s in range(S):
            fwd[t, s] = fwd[t - 1, s] or (s >= 1 and fwd[t - 1, s - 1]) or \
                (skip[s] and fwd[t - 1, s - 2])
    bwd[frames - 1, max(S - 2, 0):] = True
    for t in range(frames - 2, -1, -1):
        for s in range(S):
            bwd[t, s] = bwd[t + 1, s] or (s + 1 < S and bwd[t + 1, s + 1]) or \
                (s + 2 < S and skip[s + 2] and bwd[t + 1, s + 2])
    return fwd & bwd


def trellis_figure(log_alpha, ext: Sequence[int],
                   paths: Sequence[tuple[Sequence[int], float]] = (), *,
                   title: str | None = None) -> go.Figure:
    """The trellis: log10 alpha_t(s) for states s of the extended label ``ext`` (rows) and
    frames t (columns), with the ``paths`` (states (T,), log prob) drawn best first."""
    la = np.asarray(log_alpha, dtype=float)
    if la.ndim != 2 or la.shape[1] != len(ext):
        raise ValueError(f"log_alpha must be (frames, {len(ext)} states), got shape {la.shape}")
    T, S = la.shape
    # alpha shrinks geometrically with t (every frame multiplies in a probability below 1), so
    # each frame is coloured relative to its largest alpha: where the forward mass sits *now*
    shown = np.isfinite(la) & on_alignments(T, ext)  # grey: on no complete alignment
    top = np.where(shown, la, -np.inf).max(axis=1, keepdims=True)  # (T, 1)
    top = np.where(np.isfinite(top), top, 0.0)
    z = np.where(shown, np.maximum((la - top) / LOG10, ALPHA_FLOOR), np.nan).T
    raw = np.where(np.isfinite(la), la / LOG10, np.nan).T  # (S, T) log10 alpha itself
    rows = [f"{to_text([k])}" for k in ext]
    labels = [f"{s}: {r}" for s, r in enumerate(rows)]
    custom = np.empty((S, T, 2), dtype=object)
    for s in range(S):
        for t in range(T):
            custom[s, t] = (labels[s], "–" if np.isnan(raw[s, t]) else f"{raw[s, t]:.2f}")
    data = [dict(
        type="heatmap", z=z, x=list(range(T)), y=list(range(S)), colorscale="Viridis",
        zmin=ALPHA_FLOOR, zmax=0.0, xgap=1, ygap=1, hoverongaps=False, customdata=custom,
        colorbar=dict(title=dict(text=_("log₁₀ α − the frame's largest"), side="right"),
                      thickness=16),
        hovertemplate=_("frame {t}, state {state}: log₁₀ α = {v}").format(
            t="%{x}", state="%{customdata[0]}", v="<b>%{customdata[1]}</b>")
        + "<extra></extra>")]
    colours = ("#ff2d55", "#ff9f0a", "#00e5ff")
    for i, (states, logp) in enumerate(paths):
        check_same_length(frames=range(T), path=states)
        data.append(dict(
            type="scatter", x=list(range(T)), y=list(states), mode="lines+markers",
            line=dict(color=colours[i % 3], width=4 if i == 0 else 2,
                      dash="solid" if i == 0 else "dot"),
            marker=dict(size=7 if i == 0 else 5),
            name=_("alignment {i}: log p = {lp}").format(i=i + 1, lp=f"{logp:.2f}"),
            hovertemplate=_("alignment {i}").format(i=i + 1) + "<extra></extra>"))
    after = dict(hovermode="closest", plot_bgcolor="#d9d9d9",
                 margin=dict(l=90, r=20, t=60, b=40),
                 yaxis=dict(tickmode="array", tickvals=list(range(S)), ticktext=labels,
                            tickfont=dict(size=font_size(), family="monospace", color="#111"),
                            autorange="reversed", showgrid=False, zeroline=False),
                 xaxis=dict(showgrid=False, zeroline=False))
    return styled({"data": data, "layout": {}},
                  title=title or _("Trellis: forward variables α and the best alignments"),
                  x=_("frame"), y=_("state of the label with blanks"), height=200 + 30 * S,
                  overrides=after)


def ler_figure(steps: Sequence[int], greedy: Sequence[float], beam: Sequence[float],
               beam_width: int | None = None, *, utterances: int | None = None,
               title: str | None = None) -> go.Figure:
    """Held-out label error rate (given 0-1, drawn in %) of best path and prefix beam search,
    both on the same ``utterances`` held-out utterances."""
    check_same_length(steps=steps, greedy=greedy, beam=beam)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(steps), y=[100 * v for v in greedy], mode="lines+markers",
                             name=_("best path (greedy)"), line=dict(color=PALETTE[0], width=3)))
    name = _("prefix beam search, width {b}").format(b=beam_width) if beam_width \
        else _("prefix beam search")
    fig.add_trace(go.Scatter(x=list(steps), y=[100 * v for v in beam], mode="lines+markers",
                             name=name, line=dict(color=PALETTE[1], width=3, dash="dot")))
    default = _("Label error rate on {n} held-out utterances").format(n=utterances) \
        if utterances else _("Held-out label error rate")
    fig = styled_over_steps(fig, title=title or default, y=_("label error rate %"))
    top = max([100 * v for v in list(greedy) + list(beam)] + [100])
    end = max(list(steps) + [MIN_STEPS])
    fig.update_xaxes(range=[-0.02 * end, end * 1.02])
    if top > 100:  # an untrained model's insertions: say why a rate passes 100 %
        fig.add_hline(y=100, line=dict(color="#888", width=1, dash="dash"),
                      annotation_text=_("100 %: as many errors as label symbols<br>(inserted "
                                        "symbols count too)"),
                      annotation_position="top right", annotation_font_color="#555")
    return fig.update_yaxes(range=[-2, top + 2])


def held_out_loss_spec(spec: dict, steps: Sequence[int], losses: Sequence[float]) -> dict:
    """Add the held-out loss (markers at the evaluation steps) to a training-loss figure's dict
    (``to_dict()``, built or refreshed by ``seqviz.figures.training.refresh_loss``), and give
    the x axis at least ``MIN_STEPS`` steps (at step 0 the figure is this point alone)."""
    check_same_length(steps=steps, losses=losses)
    trace = dict(type="scatter", x=list(steps), y=list(losses), mode="lines+markers",
                 name=_("held-out loss"), marker=dict(size=8), line=dict(color=PALETTE[1], width=2))
    end = max(list(steps) + [MIN_STEPS])
    layout = deep_merged(spec["layout"], {"xaxis": {"range": [-0.02 * end, end * 1.02]},
                                          "showlegend": True, "yaxis": {"rangemode": "tozero"}})
    return {**spec, "data": [*spec["data"], trace], "layout": layout}
