"""How wide chart text is, estimated without a browser: per character (a CJK character is one
em wide, a Latin letter about half), for wrapping titles (``chart_text``) and sizing legends
under the plot (``style.styled``). A chart's width is set by the browser, so text is fitted to
the narrowest width a chart of these pages gets (``MIN_WIDTH``: two charts a row beside the
sidebar; one a row in presenter mode).

Pure: no plotly, no torch.
"""

from __future__ import annotations

import math
import re
from typing import Sequence

MIN_WIDTH = {"normal": 430, "present": 900}  # px: the narrowest chart of these pages per mode
TAG = re.compile(r"<[^>]+>")
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def _char_em(ch: str) -> float:
    if CJK.match(ch):
        return 1.0
    if ch == " ":
        return 0.3
    if ch.isupper() or ch in "‖—–·×≈≤≥±◆∏σ_":
        return 0.68
    if ch.isdigit():
        return 0.58
    if ch.isalpha():
        return 0.55
    return 0.4


def text_px(text: str, size: float) -> float:
    """Estimated width in px of one line of ``text`` (HTML tags ignored) at font ``size``."""
    return size * sum(_char_em(ch) for ch in TAG.sub("", text))


def legend_rows(names: Sequence[str], size: float, width: float) -> int:
    """How many rows a horizontal legend of ``names`` takes in ``width`` px: once its entries
    wrap, Plotly lines them up in columns as wide as the widest entry (symbol, text, gap)."""
    if not names:
        return 0
    column = 50 + max(text_px(n, size) for n in names)
    if column * len(names) <= width:
        return 1
    return math.ceil(len(names) / max(1, int(width // column)))
