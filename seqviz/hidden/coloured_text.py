"""Coloured text: each token's background shows one number (a unit's activation, a surprisal).

The picture of Karpathy, Johnson and Fei-Fei (2015, "Visualizing and understanding recurrent
networks"): a character-level text in which a "quote" or "indentation" cell lights up. The
builder returns an HTML string (for ``st.html`` or a notebook); every token is escaped, line
breaks are kept and marked with a faint ↵, spaces and indentation keep their width and colour,
and tokens the vocabulary lacks get a dashed box. Pure: lists and arrays in, a string out.
"""

from __future__ import annotations

import html
import math
import unicodedata
from typing import Sequence

import numpy as np

from seqviz.figures.style import check_same_length, profile
from seqviz.i18n import _

BLUE = (33, 102, 172)  # most negative (RdBu)
RED = (178, 24, 43)  # most positive (RdBu)
HOT = (215, 48, 31)  # most surprising (OrRd)
WHITE = (255, 255, 255)
NEWLINE_MARK = "↵"


def display_token(token: str) -> str:
    """A visible label for a token on a chart axis: ␣ for a space, ↵ for a line break, ⇥ for a
    tab, the control picture for other control characters."""
    out = []
    for ch in token:
        if ch == " ":
            out.append("␣")
        elif ch == "\n":
            out.append(NEWLINE_MARK)
        elif ch == "\t":
            out.append("⇥")
        elif unicodedata.category(ch) == "Cc":
            out.append(chr(0x2400 + ord(ch)) if ord(ch) < 32 else "�")
        else:
            out.append(ch)
    return "".join(out)


def token_width(text: str) -> int:
    """Display width in monospace cells: 2 for a wide (CJK) character, 1 for others."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_px() -> tuple[int, int]:
    """(text, legend) font sizes in px of the current type profile (larger on a projector)."""
    return (24, 20) if profile().name == "present" else (18, 15)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], w: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * w) for x, y in zip(a, b))


def colour_for(value: float, scale: float, diverging: bool = True) -> tuple[int, int, int] | None:
    """RGB for ``value``: blue-white-red centred at 0 over [-scale, scale] (diverging) or
    white-red over [0, scale]; None for NaN (drawn without a background)."""
    if value is None or not math.isfinite(value):
        return None
    w = max(-1.0, min(1.0, value / scale)) if scale > 0 else 0.0
    if diverging:
        return _mix(WHITE, RED if w >= 0 else BLUE, abs(w))
    return _mix(WHITE, HOT, max(w, 0.0))


def _ink(rgb: tuple[int, int, int] | None) -> str:
    """Black or white text, whichever reads better on the background."""
    if rgb is None:
        return "#000"
    lum = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    return "#000" if lum > 140 else "#fff"


def _visible(token: str) -> str:
    """The token as shown in running text: control characters pictured, breaks marked."""
    shown = []
    for ch in token:
        if ch == "\n":
            shown.append(f'<span style="opacity:0.45">{NEWLINE_MARK}</span>\n')
        elif ch in "\t ":
            shown.append(ch)
        else:
            shown.append(html.escape(display_token(ch)))
    return "".join(shown)


def _legend(scale: float, diverging: bool, label: str, fmt: str, any_unknown: bool) -> str:
    stops = np.linspace(-1, 1, 9) if diverging else np.linspace(0, 1, 6)
    cells = "".join(
        f'<span style="background:rgb{colour_for(s * scale, scale, diverging)};'
        f'color:{_ink(colour_for(s * scale, scale, diverging))};padding:1px 6px">'
        f"{html.escape(fmt.format(s * scale))}</span>" for s in stops)
    unk = (' &nbsp; <span style="outline:2px dashed #000;padding:0 4px">x</span> '
           + html.escape(_("not in the vocabulary (read as <unk>)"))) if any_unknown else ""
    return (f'<div style="font-family:sans-serif;font-size:{text_px()[1]}px;margin-top:8px">'
            f"{html.escape(label)}: {cells}{unk}</div>")


def spaced(prev: str, token: str) -> bool:
    """Whether the view puts a space between two word-level tokens: not around a line break,
    and not between two Chinese (CJK) tokens."""
    if prev == "\n" or token == "\n":
        return False
    return not (token_width(prev) == 2 * len(prev) and token_width(token) == 2 * len(token))


def coloured_text_html(tokens: Sequence[str], values: Sequence[float], *, level: str = "char",
                       unknown: Sequence[bool] | None = None, scale: float | None = None,
                       diverging: bool = True, label: str | None = None,
                       fmt: str = "{:+.2f}", span: tuple[int, int] | None = None,
                       notes: Sequence[str] | None = None, legend: bool = True) -> str:
    """HTML of ``tokens`` with each background coloured by ``values`` (one per token).

    ``scale``: the value drawn at full colour (default: the largest |value|). ``unknown``: mask
    of tokens read as ``<unk>`` (dashed box). ``span``: [start, end) tokens to underline, e.g.
    a selection. ``notes``: extra hover text per token. Word-level tokens are joined by
    spaces, except around line breaks (and between Chinese words, written without them).
    ``label`` names the value (translated by the caller; default "activation").
    """
    label = _("activation") if label is None else label
    n = check_same_length(tokens=tokens, values=values)
    vals = np.asarray(values, dtype=float)
    unk = np.zeros(n, dtype=bool) if unknown is None else np.asarray(unknown, dtype=bool)
    check_same_length(tokens=tokens, unknown=unk)
    if notes is not None:
        check_same_length(tokens=tokens, notes=notes)
    if scale is None:
        finite = np.abs(vals[np.isfinite(vals)])
        scale = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    parts = []
    for t, (token, value) in enumerate(zip(tokens, vals)):
        rgb = colour_for(float(value), scale, diverging)
        style = [f"color:{_ink(rgb)}"]
        if rgb is not None:
            style.append(f"background:rgb{rgb}")
        if unk[t]:
            style.append("outline:2px dashed #000;outline-offset:-2px")
        if span is not None and span[0] <= t < span[1]:
            style.append("border-bottom:3px solid #000")
        shown = "—" if not math.isfinite(value) else fmt.format(value)
        tip = f"#{t} {display_token(token)!r}: {label} {shown}"
        if unk[t]:
            tip += " " + _("(not in the vocabulary: read as <unk>)")
        if notes is not None:
            tip += "\n" + notes[t]
        if level == "word" and t > 0 and spaced(tokens[t - 1], token):
            parts.append(" ")
        parts.append(f'<span title="{html.escape(tip, quote=True)}" style="{";".join(style)}">'
                     f"{_visible(token)}</span>")
    family = "ui-monospace,Menlo,Consolas,monospace" if level == "char" else "sans-serif"
    body = (f'<div style="font-family:{family};font-size:{text_px()[0]}px;line-height:1.75;'
            f"white-space:pre-wrap;tab-size:4;overflow-wrap:anywhere;border:1px solid #ddd;"
            f'border-radius:6px;padding:10px 12px;background:#fff;color:#000">'
            f'{"".join(parts)}</div>')
    if legend:
        body += _legend(scale, diverging, label, fmt, bool(unk.any()))
    return f'<div class="seqviz-text">{body}</div>'
