"""Chart text that fits: titles and notes wrapped to the chart's width, tick labels a person
can read.

Plotly does not wrap a title. A chart's width is set by the browser, so text is wrapped for the
narrowest width a chart of these pages gets (``text_width.MIN_WIDTH``: two charts a row beside
the sidebar; one a row in presenter mode), with widths estimated per character
(``text_width.text_px``). Legends go under the axis title in ``style.styled``.

Pure: plotly only, no torch.
"""

from __future__ import annotations

import math
import re
from typing import Sequence

import plotly.graph_objects as go

from seqviz.figures.style import deep_merged, profile
from seqviz.figures.text_width import MIN_WIDTH, text_px

NO_BREAK_BEFORE = set("，。、；：！？）》」』”’%)]}.,;:!?")
NO_BREAK_AFTER = set("（《「『“‘([{")


def _tokens(line: str) -> list[str]:
    """Pieces a line may break between: a Latin word with its trailing space, one CJK
    character, or an HTML tag (kept whole, zero width)."""
    return re.findall(r"<[^>]+>|[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|"
                      r"[^\s<\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+\s*|\s+",
                      line)


def wrap(text: str, size: float, width: float | None = None) -> str:
    """``text`` with ``<br>`` inserted so no line is wider than ``width`` px (default: the
    narrowest chart of the current profile, less the margins); existing ``<br>`` are kept."""
    width = width if width is not None else MIN_WIDTH[profile().name] - 30
    out = []
    for line in text.split("<br>"):
        rows, row, used = [], "", 0.0
        for tok in _tokens(line):
            w = text_px(tok.rstrip(), size)
            breakable = row.strip() and tok[0] not in NO_BREAK_BEFORE and \
                row.rstrip()[-1:] not in NO_BREAK_AFTER
            if breakable and used + w > width:
                rows.append(row.rstrip())
                row, used = "", 0.0
                tok = tok.lstrip()
            row += tok
            used += text_px(tok, size)
        rows.append(row.rstrip())
        out.append("<br>".join(rows))
    return "<br>".join(out)


def lines(text: str) -> int:
    return text.count("<br>") + 1 if text else 0


def title_layout(fig: go.Figure, title: str, notes: Sequence[str] = (),
                 width: float | None = None, height: float | None = None) -> dict:
    """Layout for the figure's title and its notes (a subtitle, one line or more each, in the
    size of the ticks), both wrapped; the top margin grows with their lines, and the figure
    with it (from ``height``, default its own), so the plot keeps its height. Plotly places the
    *first* line of a title at ``y`` (a title anchored at its top loses its first lines above
    the figure), so ``y`` is that line's middle, in px from the top of the finished figure.
    ``width``: as for ``wrap``."""
    return _title_layout(fig.layout.height, fig.layout.margin.t, title, notes, width, height)


def _title_layout(fig_height: float | None, margin_t: float | None, title: str,
                  notes: Sequence[str], width: float | None, height: float | None) -> dict:
    p = profile()
    width = _text_width(width)
    head = wrap(title, p.title, width)
    sub = "<br>".join(wrap(n, p.font, width) for n in notes if n)
    notes_px = 8 + lines(sub) * p.font * 1.35 if sub else 0
    # below the text: a gap, and half a tick label (the top tick is centred on the plot's edge)
    top = math.ceil(PAD + lines(head) * p.title * 1.3 + notes_px + 14 + 0.6 * p.font)
    height = (height or fig_height or 440) + max(0, top - (margin_t or 0))
    title_spec = dict(text=head, font=dict(size=p.title), x=0, xanchor="left",
                      yref="container", y=1 - (PAD + 0.65 * p.title) / height, yanchor="middle")
    if sub:
        title_spec["subtitle"] = dict(text=sub, font=dict(size=p.font))
    return dict(title=title_spec, margin=dict(t=top), height=height)


PAD = 10  # px above a title


def _text_width(width: float | None) -> float:
    """The px a title or note may take: the chart's (default: the narrowest of the profile)
    less its margins."""
    return (width if width is not None else MIN_WIDTH[profile().name]) - 30


def retitled(layout: dict, title: str, width: float | None = None) -> dict | None:
    """A finished figure dict's layout (``finish``) with a new title, when the new title wraps
    to as many lines as the old one: then nothing else of ``title_layout`` changes. ``None``
    when it does not (the caller builds the figure again)."""
    head = wrap(title, profile().title, _text_width(width))
    old = layout.get("title", {})
    if lines(head) != lines(old.get("text", "")):
        return None
    return {**layout, "title": {**old, "text": head}}


def finish(fig: go.Figure, title: str, notes: Sequence[str] = (), *,
           width: float | None = None) -> go.Figure:
    """The last touch on a ``styled`` figure: its title and notes wrapped and placed for the
    figure's final height. ``width``: the narrowest the chart gets, if not ``MIN_WIDTH``."""
    return fig.update_layout(**title_layout(fig, title, notes, width))


def finish_spec(spec: dict, title: str, notes: Sequence[str] = (), *,
                width: float | None = None) -> dict:
    """``finish`` for a figure still a dict (``style.styled_spec``), to be validated once."""
    layout = spec["layout"]
    text = _title_layout(layout.get("height"), layout.get("margin", {}).get("t"), title, notes,
                         width, None)
    return {**spec, "layout": deep_merged(layout, text)}


def plain_ticks(fig: go.Figure, values: Sequence[float], axis: str = "y", *,
                include: Sequence[float] = (), least: float = 0.1) -> go.Figure:
    """A linear axis that spans at least ``least`` around its values (and ``include``), so
    values equal to nine digits (a spectral radius held at 1) do not zoom the axis into ticks
    that read 0.999999995; ticks with at most three significant digits."""
    finite = [float(v) for v in [*values, *include] if v is not None and math.isfinite(v)]
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    if not finite:
        return update(tickformat=".3~g")
    lo, hi = min(finite), max(finite)
    pad = max(least / 2 - (hi - lo) / 2, 0.06 * (hi - lo))
    return update(range=[lo - pad, hi + pad], tickformat=".3~g", autorange=False)
