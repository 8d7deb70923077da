"""Training curves: loss, validation perplexity against n-gram baselines, gradient norms.

Pure builders: arrays and labels in, ``go.Figure`` out. Baselines are drawn as dashed
horizontal lines with their value in the legend, so "is the RNN better than a trigram yet?"
can be read off at a glance.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from seqviz.figures.style import BASELINE_COLOURS, PALETTE, check_same_length, log_axis, styled


def ema(values: Sequence[float], beta: float = 0.9) -> np.ndarray:
    """Bias-corrected exponential moving average, skipping non-finite values."""
    out, avg, weight = [], 0.0, 0.0
    for v in values:
        if math.isfinite(v):
            avg, weight = beta * avg + (1 - beta) * v, beta * weight + (1 - beta)
        out.append(avg / weight if weight > 0 else math.nan)
    return np.asarray(out, dtype=float)


def _baseline_lines(fig: go.Figure, baselines: Sequence[tuple[str, float]], x_end: float,
                    transform=lambda v: v) -> None:
    for i, (name, value) in enumerate(baselines):
        fig.add_trace(go.Scatter(
            x=[0, x_end], y=[transform(value)] * 2, mode="lines",
            name=f"{name}: {value:.2f}" if value < 1000 else f"{name}: {value:.0f}",
            line=dict(dash="dash", width=2, color=BASELINE_COLOURS[i % len(BASELINE_COLOURS)]),
            hovertemplate=f"{name}<extra></extra>"))


def _divergence_marks(fig: go.Figure, steps: Sequence[int]) -> None:
    for s in steps:
        fig.add_vline(x=s, line=dict(color="red", width=1, dash="dot"))
    if steps:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="divergence (restored)",
                                 line=dict(color="red", dash="dot")))


def loss_figure(steps: Sequence[int], losses: Sequence[float], *,
                baselines: Sequence[tuple[str, float]] = (), divergences: Sequence[int] = (),
                title: str = "Training loss") -> go.Figure:
    """Cross-entropy per step (raw and smoothed); baselines given as perplexities, drawn in nats."""
    check_same_length(steps=steps, losses=losses)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(steps), y=list(losses), mode="lines", name="loss per step",
                             line=dict(color=PALETTE[0], width=1), opacity=0.35))
    fig.add_trace(go.Scatter(x=list(steps), y=ema(losses), mode="lines", name="smoothed",
                             line=dict(color=PALETTE[0], width=3)))
    x_end = max(steps[-1] if len(steps) else 1, 1)
    _baseline_lines(fig, baselines, x_end, transform=math.log)
    _divergence_marks(fig, list(divergences))
    return styled(fig, title=title, x="training step", y="cross-entropy (nats / token)")


def perplexity_figure(steps: Sequence[int], perplexities: Sequence[float], *,
                      baselines: Sequence[tuple[str, float]] = (),
                      title: str = "Validation perplexity (lower is better)") -> go.Figure:
    """Validation perplexity over training on a log axis, with n-gram baselines."""
    check_same_length(steps=steps, perplexities=perplexities)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(steps), y=list(perplexities), mode="lines+markers",
                             name="RNN (validation)", line=dict(color=PALETTE[1], width=3),
                             marker=dict(size=8)))
    x_end = max(steps[-1] if len(steps) else 1, 1)
    _baseline_lines(fig, baselines, x_end)
    fig = styled(fig, title=title, x="training step", y="perplexity (log scale)")
    return log_axis(fig, list(perplexities) + [v for _, v in baselines])


def grad_norm_figure(steps: Sequence[int], before: Sequence[float], after: Sequence[float], *,
                     threshold: float | None = None,
                     title: str = "Gradient norm per step") -> go.Figure:
    """Global gradient L2 norm before and after clipping, log axis, threshold dashed."""
    check_same_length(steps=steps, before=before, after=after)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(steps), y=list(before), mode="lines", name="before clipping",
                             line=dict(color=PALETTE[3], width=5), opacity=0.45))
    fig.add_trace(go.Scatter(x=list(steps), y=list(after), mode="lines", name="after clipping",
                             line=dict(color=PALETTE[2], width=2)))
    if threshold is not None:
        x_end = max(steps[-1] if len(steps) else 1, 1)
        fig.add_trace(go.Scatter(x=[0, x_end], y=[threshold, threshold], mode="lines",
                                 name=f"threshold {threshold:g}",
                                 line=dict(color="black", dash="dash")))
    fig = styled(fig, title=title, x="training step", y="‖g‖ over all parameters (log)")
    return log_axis(fig, list(before) + list(after) + ([threshold] if threshold else []))
