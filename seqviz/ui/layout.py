"""Layout that follows presenter mode: one chart per row, the controls that matter above the
charts instead of in the (collapsed) sidebar.

Pages ask for ``columns(2)`` instead of ``st.columns(2)`` and put their few key controls in
``control_area(main=True)``; everything else keeps its place in the sidebar.
"""

from __future__ import annotations

import html
import unicodedata
from typing import Any, Iterable

import streamlit as st

from seqviz.ui.setup import presenting

PRESENT_COLUMNS = 4  # key controls per row above the charts in presenter mode
# A select box shows its value in an <input>, which cannot wrap: how much text (``text_width``)
# a cell shows whole on a 1024-wide projector. A quarter of the row shows 17 letters; a control
# that needs more starts a row in which it is two cells of five wide (the others then one).
CELL_TEXT = 17
WIDE_ROW, WIDE_TEXT = [2, 1, 1, 1], (33, 13, 13, 13)


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
    control whose text the next cell cannot show starts a new row, a wide one (``WIDE_ROW``)
    if a quarter of the row cannot show it either."""
    if not (main and presenting()):
        return st.sidebar
    row = st.session_state.setdefault(_ROW, [0, [], ()])
    if row[0] >= len(row[1]) or text > row[2][row[0]]:  # none yet, the row is full, too narrow
        wide = text > CELL_TEXT
        row[:] = [0, list(st.columns(WIDE_ROW if wide else PRESENT_COLUMNS)),
                  WIDE_TEXT if wide else (CELL_TEXT,) * PRESENT_COLUMNS]
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
