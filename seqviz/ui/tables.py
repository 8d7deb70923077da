"""Small static tables drawn as markdown.

``st.table`` draws through Apache Arrow: the first table on a page makes the browser fetch and
compile ~0.9 MB of Arrow code while Plotly's is loading too, which delays the page's first chart
(about 0.1 s on the embeddings page). A table of a few dozen words and numbers needs none of it.
Cells are escaped, so a word from an uploaded corpus is shown as typed, never as markdown or
HTML.
"""

from __future__ import annotations

import html
import re
from typing import Any, Mapping, Sequence

import streamlit as st

_MARKUP = re.compile(r"([\\`*_\[\]{}#|~$])")  # markdown (and math) punctuation in a cell


def cell(value: Any) -> str:
    """One cell's text, safe inside a markdown table drawn with or without HTML allowed."""
    text = " ".join(str(value).split())  # a line break would end the row
    return _MARKUP.sub(r"\\\1", html.escape(text, quote=False))


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _draw(lines: list[list[str]], where: Any, allow_html: bool = False) -> None:
    where.markdown("\n".join("| " + " | ".join(row) + " |" for row in lines),
                   unsafe_allow_html=allow_html)


def markdown_grid(rows: Sequence[Sequence[str]], where: Any = st) -> None:
    """Rows of ready-made cells (each made with ``cell``, joined by ``<br>`` for two lines),
    the first row the header."""
    head, *body = rows
    _draw([list(head), ["---"] * len(head), *map(list, body)], where, allow_html=True)


def table(rows: Sequence[Mapping[str, Any]], where: Any = st, decimals: int = 3) -> None:
    """Rows of {column: value} (the first row's columns); a column of numbers is right-aligned,
    its floats shown with ``decimals`` decimals."""
    if not rows:
        return
    columns = list(rows[0])
    align = ["---:" if all(_numeric(r.get(c)) for r in rows) else "---" for c in columns]
    lines = [[cell(c) for c in columns], align]
    lines += [[cell(f"{v:.{decimals}f}" if isinstance(v, float) else v)
               for v in (r.get(c, "") for c in columns)] for r in rows]
    _draw(lines, where)
