"""Layout that follows presenter mode: one chart per row, the controls that matter above the
charts instead of in the (collapsed) sidebar.

Pages ask for ``columns(2)`` instead of ``st.columns(2)`` and put their few key controls in
``control_area(main=True)``; everything else keeps its place in the sidebar.
"""

from __future__ import annotations

import html
import math
import unicodedata
from typing import Any, Iterable

import streamlit as st

from seqviz.ui.setup import presenting

PRESENT_COLUMNS = 4  # key controls per row above the charts in presenter mode
# A select box shows its value in an <input>, which cannot wrap: how much text (``text_width``)
# a cell shows whole on a 1024-wide projector, for a cell of a fifth, a quarter and two fifths
# of the row. A control that needs more than a quarter starts a row whose first cell is as
# wide as it needs; the other three share the rest.
CELL_FRACTIONS, CELL_TEXTS = (0.2, 0.25, 0.4), (13, 17, 33)
CELL_TEXT = CELL_TEXTS[1]


def _interpolate(x: float, xs: tuple[float, ...], ys: tuple[float, ...]) -> float:
    """Piecewise linear through (xs, ys), extended along the end segments."""
    i = 1 if x <= xs[1] else len(xs) - 1 if x > xs[-2] else next(
        j for j in range(1, len(xs)) if x <= xs[j])
    (x0, x1), (y0, y1) = xs[i - 1:i + 1], ys[i - 1:i + 1]
    return y0 + (x - x0) * (y1 - y0) / (x1 - x0)


def row_for(text: int) -> tuple[list[float], tuple[int, ...]]:
    """The cells of a row of key controls that a control showing ``text`` starts: their
    weights and the text each shows whole. Quarters, or a first cell just wide enough."""
    if text <= CELL_TEXT:
        return [1.0] * PRESENT_COLUMNS, (CELL_TEXT,) * PRESENT_COLUMNS
    first = min(0.7, math.ceil(1000 * _interpolate(text, CELL_TEXTS, CELL_FRACTIONS)) / 1000)
    rest = math.floor(1000 * (1 - first) / (PRESENT_COLUMNS - 1)) / 1000
    shows = [int(_interpolate(w, CELL_FRACTIONS, CELL_TEXTS) + 1e-9) for w in (first, rest)]
    return [first] + [rest] * (PRESENT_COLUMNS - 1), (shows[0],) + (shows[1],) * 3


def columns(spec: int | list[float], **kwargs) -> list[Any]:
    """``st.columns(spec)`` normally; stacked full-width containers in presenter mode."""
    n = spec if isinstance(spec, int) else len(spec)
    if presenting():
        return [st.container() for _ in range(n)]
    return list(st.columns(spec, **kwargs))


def control_area(main: bool = False, text: int = 0) -> Any:
    """Where a control goes: the sidebar, or, for a control that matters (``main``) in presenter
    mode, the next cell of a row of controls above the charts (created where it is first
    asked for, i.e. under the page title). ``text``: the widest text the control shows on one
    line (a select box's option labels, ``text_width``; 0 for a control whose text wraps). A
    control whose text the next cell cannot show starts a new row (``row_for``), whose first
    cell is wider than a quarter if a quarter cannot show it either."""
    if not (main and presenting()):
        return st.sidebar
    row = st.session_state.setdefault(_ROW, [0, [], ()])
    if row[0] >= len(row[1]) or text > row[2][row[0]]:  # none yet, the row is full, too narrow
        weights, shows = row_for(text)
        row[:] = [0, list(st.columns(weights)), shows]
    cell = row[1][row[0]]
    row[0] += 1
    return cell


def text_width(text: str) -> int:
    """Roughly how wide ``text`` is drawn, in Latin letters: a CJK character or an emoji
    counts two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def widest(labels: Iterable[str]) -> int:
    """The ``text_width`` of the widest of ``labels`` (0 for none): a select box's ``text`` for
    ``control_area``."""
    return max((text_width(t) for t in labels), default=0)


def text_block(text: str, wrap: bool = True, where: Any = st) -> None:
    """Plain text in a monospace box: a model's sample or output, a run of tokens, a path.

    Not ``st.code``: that makes the front end fetch and evaluate its 1.5 MB syntax highlighter
    before the page shows anything below its title, about 0.3 s of the page's first chart
    (README, "First chart"), for text that has no syntax to highlight. House CSS
    (``pre.seqviz-mono``) gives it ``st.code``'s look. ``where``: a container or column.
    (The share panel's link keeps ``st.code`` for its copy button; it appears only once a
    lecturer shares.)"""
    cls = "seqviz-mono wrap" if wrap else "seqviz-mono"
    where.html(f'<pre class="{cls}">{html.escape(text)}</pre>')


_ROW = "layout.controls"  # this run's row of key controls: [next cell, cells, text each shows]


def page_header(title: str, caption: str | None = None) -> None:
    """The page's title and one-line caption (both already translated; the caption is left out
    in presenter mode, where the first chart must fit on a 1024 x 768 screen); starts the run's
    row of key controls for presenter mode."""
    st.session_state[_ROW] = [0, [], ()]
    st.title(title)
    if caption and not presenting():  # on a projector the lecturer says it
        st.caption(caption)


def lazy_expander(label: str, key: str, *, open_now: bool = False, where: Any = None
                  ) -> tuple[Any, bool]:
    """A collapsed expander whose contents are drawn only while it is open: ``(box, is_open)``.
    Opening or closing it reruns the page (Streamlit's ``on_change="rerun"``), so a closed
    lecture, export or reference panel costs the page's first chart nothing: the browser gets
    no hidden elements to lay out while Plotly is loading.

    ``open_now`` opens it when it turns true (presenter mode, a lecture step's link, a message
    to show), once: a reader who then closes it keeps it closed. Its state is
    ``st.session_state[key]`` (a test opens it by setting that to True). ``where``: the
    container it goes in (the sidebar, say); the page's main area by default."""
    ss, asked = st.session_state, f"{key}.asked"
    if open_now and not ss.get(asked):
        ss[key] = True
    ss[asked] = open_now
    box = (st if where is None else where).expander(label, key=key, on_change="rerun")
    return box, bool(box.open)
