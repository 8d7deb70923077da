"""Where a map's text labels go, so that none overlaps another label or a point.

Plotly draws scatter text where it is told and never moves it, so nearby words (king and queen,
man and woman on a trained map) print on top of each other. ``place_labels`` decides, point by
point in priority order, whether a label fits and on which side of its point (above, below,
right, left, then the four diagonals): the first side whose box overlaps no label placed before
it, no other point's marker, and stays inside the plot. The rest are left to their hover text.

Sizes are estimated in pixels: the map has equal axis scales (one data unit is as many pixels
across as up), plotly's autorange leaves 5 % of the plot free on each side, and the page draws
the plot at least ``plot_px`` pixels wide and high, so data units per pixel are at most
``max(x span / (0.9 width − marker), y span / (0.9 height − marker))``; assuming the smallest
plot errs towards fewer labels, never overlapping ones. Text boxes are as Chromium draws plotly's
labels in Streamlit's Source Sans (measured: a line is 1.33 em high, a label sits 0.6 px above
its marker, 2.4 px into it below, 2.1 px beside it) and in Open Sans (the exported map.html),
whichever is larger; a wide character (CJK ideographs, full-width forms: east-asian width "W" or
"F") is 1 em, Latin letters by class (i and l 0.34 em, m and w 0.85, others 0.56–0.62). Two
labels keep ``LABEL_GAP_PX`` between them, for the estimates' error.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

POSITIONS = ("top center", "bottom center", "middle right", "middle left", "top right", "top left",
             "bottom right", "bottom left")
PLOT_PX = (680.0, 560.0)  # the smallest plot area the page draws the map in (w, h), pixels
LINE_EM = 1.35  # a line's box; its vertical place around the point: see ``_offsets``
GAP_PX = 2.1  # between a marker and a label beside it
LABEL_GAP_PX = 3.0  # kept free between two labels: the boxes above are estimates (a few px off)
MARKER_R = 4.5  # px: a point's marker, which no other label may cover
OBSTACLE_R = 10.0  # px: the other markers (the analogy's star)
MAX_TRIED = 400  # points tried at most (beyond, a map is too dense for more labels anyway)


_NARROW, _WIDE = frozenset("iljtfrI.,:;'!|() "), frozenset("mwMW@%")


@lru_cache(maxsize=20_000)
def text_em(text: str) -> float:
    """Width of ``text`` in em: 1 per wide (CJK) character, 0 per combining mark, Latin letters
    by class (a little wider than Source Sans draws them)."""
    width = 0.0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        if unicodedata.east_asian_width(ch) in "WF":
            width += 1.0
        elif ch in _NARROW:
            width += 0.34
        elif ch in _WIDE:
            width += 0.85
        else:
            width += 0.62 if ch.isupper() or ch.isdigit() or not ch.isascii() else 0.56
    return width


@dataclass(frozen=True)
class Placement:
    shown: np.ndarray  # (N,) bool: the point's label is drawn
    position: list[str]  # (N,) plotly ``textposition`` of each label (for hidden ones: unused)


def _offsets(w: np.ndarray, font: np.ndarray, r: np.ndarray) -> np.ndarray:
    """(N, 8 positions, 4) boxes of labels ``w`` px wide in ``font`` px type (N,) around markers
    of radius ``r`` (N,), relative to their points, px (y up): x0, x1, y0, y1."""
    h = LINE_EM * font
    side = r + GAP_PX
    up, down = r + 0.5, r - 2.5  # a box's lower edge above the point, upper edge below it
    mid0, mid1 = -0.6 * font, 0.75 * font  # a box beside its point
    return np.stack([
        np.stack([-w / 2, w / 2, up, up + h], 1),  # above
        np.stack([-w / 2, w / 2, -down - h, -down], 1),  # below
        np.stack([side, side + w, mid0, mid1], 1),  # right
        np.stack([-side - w, -side, mid0, mid1], 1),  # left
        np.stack([side, side + w, up, up + h], 1),  # above right
        np.stack([-side - w, -side, up, up + h], 1),  # above left
        np.stack([side, side + w, -down - h, -down], 1),  # below right
        np.stack([-side - w, -side, -down - h, -down], 1),  # below left
    ], 1)


def _clear_of_markers(boxes: np.ndarray, marks: np.ndarray, mr: np.ndarray, own: list[int]
                      ) -> np.ndarray:
    """(K, P) whether each candidate box of ``boxes`` (K, P, 4) covers no marker (M, 2) of
    radius ``mr`` (M,) but its own point's (``own`` (K,)); in chunks of bounded memory."""
    out = np.empty(boxes.shape[:2], bool)
    step = max(1, 2_000_000 // (boxes.shape[1] * max(len(marks), 1)))
    mx, my = marks[:, 0], marks[:, 1]
    for s in range(0, len(boxes), step):
        b = boxes[s:s + step, :, :, None]  # (k, P, 4, 1)
        hit = ((mx + mr > b[:, :, 0]) & (mx - mr < b[:, :, 1])
               & (my + mr > b[:, :, 2]) & (my - mr < b[:, :, 3]))  # (k, P, M)
        rows = np.arange(len(hit))
        hit[rows, :, np.asarray(own[s:s + step])] = False
        out[s:s + step] = ~hit.any(-1)
    return out


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether boxes ``a`` (..., 4) and ``b`` (..., 4) overlap (broadcast)."""
    return (a[..., 0] < b[..., 1]) & (b[..., 0] < a[..., 1]) & (a[..., 2] < b[..., 3]) \
        & (b[..., 2] < a[..., 3])


def _best_together(boxes: np.ndarray, inside: np.ndarray, clear: np.ndarray) -> list[int]:
    """Sides for a few labels that must all be shown (F <= 4; ``boxes`` (F, P, 4)): of every
    combination, one whose labels overlap each other least, then cover fewest markers, stay
    inside, and use the most preferred sides (lowest index)."""
    f, p = boxes.shape[:2]
    if f == 0:
        return []
    combos = np.array(list(itertools.product(range(p), repeat=f)))  # (C, F)
    cost = combos.sum(1).astype(float)
    for a in range(f):
        cost += 1e2 * ~inside[a, combos[:, a]] + 1e3 * ~clear[a, combos[:, a]]
        for b in range(a + 1, f):
            cost += 1e5 * _overlap(boxes[a, combos[:, a]], boxes[b, combos[:, b]])
    return combos[int(np.argmin(cost))].tolist()


def place_labels(xy: np.ndarray, texts: Sequence[str], *, font_px: float | Sequence[float],
                 marker_px: float | Sequence[float] = 9.0, max_text: int = 80,
                 order: Sequence[int] | None = None, plot_px: tuple[float, float] = PLOT_PX,
                 obstacles: np.ndarray | None = None, force: Sequence[int] = ()) -> Placement:
    """Greedy label placement (see the module docstring). ``texts`` (N,): "" for no label;
    ``font_px`` and ``marker_px`` one size or one per point; ``order``: the points to try, first
    first (default: row order, i.e. most frequent first); at most ``max_text`` labels besides the ``force``d
    ones (at most 4: the analogy's words), which are placed first, together, and always shown.
    ``obstacles`` (M, 2): more markers no label may cover (e.g. the analogy's star)."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    shown = np.zeros(n, bool)
    position = [POSITIONS[0]] * n
    if n == 0 or max_text <= 0:
        return Placement(shown, position)
    font = np.broadcast_to(np.asarray(font_px, dtype=float), (n,))
    marks = xy if obstacles is None or not len(obstacles) else \
        np.vstack([xy, np.asarray(obstacles, dtype=float).reshape(-1, 2)])
    lo, hi = marks.min(0), marks.max(0)
    span = np.maximum(hi - lo, 1e-12)
    r = np.broadcast_to(np.asarray(marker_px, dtype=float), (n,)) / 2
    # data units per pixel; the plot's edges are a marker's radius outside the extreme points
    edge = 2 * MARKER_R
    u = float(max(span[0] / max(0.9 * plot_px[0] - edge, 1.0),
                  span[1] / max(0.9 * plot_px[1] - edge, 1.0)))
    w = np.array([text_em(t) for t in texts]) * font  # (N,) px
    h = LINE_EM * font
    boxes = _offsets(w, font, r) * u  # (N, positions, 4) in data units
    boxes[:, :, :2] += xy[:, None, :1]
    boxes[:, :, 2:] += xy[:, None, 1:]
    # each box grown by half the gap on every side: two that do not overlap are the gap apart
    grown = boxes + np.array([-1.0, 1.0, -1.0, 1.0]) * (0.5 * LABEL_GAP_PX * u)
    # a label may reach half a line past the plot's edge (drawn with cliponaxis off)
    slack = ((r + 0.5 * h) * u)[:, None]
    inside = ((boxes[:, :, 0] >= lo[0] - slack) & (boxes[:, :, 1] <= hi[0] + slack)
              & (boxes[:, :, 2] >= lo[1] - slack) & (boxes[:, :, 3] <= hi[1] + slack))
    order = list(range(n) if order is None else order)
    tried = list(force) + [i for i in order[:MAX_TRIED] if texts[i]]
    radius = np.concatenate([np.maximum(r, MARKER_R), np.full(len(marks) - n, OBSTACLE_R)]) * u
    clear = _clear_of_markers(boxes[tried], marks, radius, tried)  # (tried, positions)
    placed = np.empty((len(tried), 4))
    count, limit = 0, len(force) + int(max_text)

    def free(box: np.ndarray) -> bool:
        p = placed[:count]
        return not ((p[:, 0] < box[1]) & (p[:, 1] > box[0]) & (p[:, 2] < box[3])
                    & (p[:, 3] > box[2])).any()

    nf = len(force)
    for i, k in zip(force, _best_together(grown[list(force)], inside[list(force)], clear[:nf])):
        placed[count] = grown[i, k]
        count += 1
        shown[i], position[i] = True, POSITIONS[k]
    ok = (inside[tried] & clear).tolist()
    for j, i in enumerate(tried[nf:], nf):
        if count >= limit:
            break
        if shown[i]:
            continue
        k = next((k for k in range(len(POSITIONS)) if ok[j][k] and free(grown[i, k])), None)
        if k is not None:
            placed[count] = grown[i, k]
            count += 1
            shown[i], position[i] = True, POSITIONS[k]
    return Placement(shown, position)
