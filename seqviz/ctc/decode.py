"""Decoding CTC outputs: best path (greedy), prefix beam search, brute force, label error rate.

Best path (Graves et al. 2006, sec. 3.2) takes the most likely symbol or blank at every frame
and collapses the path. It finds the most likely *path*, not the most likely *label*: many paths
collapse to one label, and a label whose probability is spread over many paths can beat the
label of the single best path. Prefix beam search (Graves 2012, sec. 7.5; Hannun et al. 2014,
"First-pass large vocabulary continuous speech recognition using bi-directional recurrent DNNs")
keeps the ``beam`` most likely label *prefixes*, each with two numbers: the probability of all
paths so far that collapse to it and end in a blank (p_b), and those that end in its last
symbol (p_nb). Extending with the same symbol as the prefix's last one needs a blank in between
(from p_b only); repeating it without a blank stays on the same prefix (p_nb). With an infinite
beam it is exact: ``tests/test_ctc.py`` checks it against ``brute_force_labels`` on tiny cases.

All functions take per-frame log-probabilities (T, C) with the blank at id 0 as numpy arrays.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from seqviz.ctc.ctc import collapse
from seqviz.ctc.symbols import BLANK, BLANK_CHAR, SYMBOLS, to_text
from seqviz.i18n import N_, Msg

MAX_PATH_CHARS = 200  # a typed path longer than this is refused before it is read

def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))

def greedy(log_probs) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(best path (T,), its collapsed label)."""
    path = tuple(int(k) for k in np.asarray(log_probs).argmax(axis=1))
    return path, collapse(path)

@dataclass(frozen=True)
class Hypothesis:
    label: tuple[int, ...]
    log_prob: float  # log (p_b + p_nb): all paths so far that collapse to the label

def prefix_beam_search(log_probs, beam: int = 4) -> list[Hypothesis]:
    """The ``beam`` most likely labels, best first (exact with ``beam`` >= every prefix)."""
    if beam < 1:
        raise ValueError(f"beam must be >= 1, got {beam}")
    lp = np.asarray(log_probs, dtype=np.float64)  # (T, C)
    ninf = -math.inf
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, ninf)}  # prefix: (b, nb)
    for t in range(lp.shape[0]):
        y = lp[t]
        nxt: dict[tuple[int, ...], list[float]] = {}

        def add(prefix, b=ninf, nb=ninf):
            slot = nxt.setdefault(prefix, [ninf, ninf])
            slot[0], slot[1] = _logaddexp(slot[0], b), _logaddexp(slot[1], nb)

        for prefix, (pb, pnb) in beams.items():
            total = _logaddexp(pb, pnb)
            add(prefix, b=total + y[BLANK])  # a blank: same prefix, now ends in blank
            last = prefix[-1] if prefix else None
            if last is not None:
                add(prefix, nb=pnb + y[last])  # repeat without a blank: merged
            for k in range(1, lp.shape[1]):
                if k == last:
                    add(prefix + (k,), nb=pb + y[k])  # a repeat needs the blank before it
                else:
                    add(prefix + (k,), nb=total + y[k])
        ranked = sorted(((p, v) for p, v in nxt.items() if _logaddexp(*v) > ninf),
                        key=lambda kv: -_logaddexp(*kv[1]))[:beam]
        beams = {p: (v[0], v[1]) for p, v in ranked}
    out = [Hypothesis(p, _logaddexp(b, nb)) for p, (b, nb) in beams.items()]
    return sorted(out, key=lambda h: -h.log_prob)

def brute_force_labels(log_probs) -> dict[tuple[int, ...], float]:
    """log p(label) for every label, by summing over all C^T paths (tiny cases only)."""
    lp = np.asarray(log_probs, dtype=np.float64)
    T, C = lp.shape
    if C ** T > 2_000_000:
        raise ValueError(f"{C}^{T} paths are too many to enumerate")
    out: dict[tuple[int, ...], float] = {}
    for path in itertools.product(range(C), repeat=T):
        score = float(sum(lp[t, k] for t, k in enumerate(path)))
        label = collapse(path)
        out[label] = _logaddexp(out.get(label, -math.inf), score)
    return out

def edit_distance(a: Sequence[int], b: Sequence[int]) -> int:
    """Levenshtein distance (substitutions, insertions, deletions all cost 1)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]

def label_error_rate(hyps: Sequence[Sequence[int]], refs: Sequence[Sequence[int]]) -> float:
    """Total edit distance over total reference length (Graves et al. 2006's LER)."""
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses for {len(refs)} references")
    total = sum(len(r) for r in refs)
    return sum(edit_distance(h, r) for h, r in zip(hyps, refs)) / max(total, 1)

class PathError(ValueError):
    """A typed path that cannot be read; ``msg`` is the message for the page (translatable)."""

    def __init__(self, msg: Msg):
        super().__init__(str(msg))
        self.msg = msg

def parse_path(text: str, symbols: int) -> tuple[int, ...]:
    """A typed path such as "aa-a--bb" -> ids (blank "-" = 0). Spaces are ignored."""
    if len(text) > MAX_PATH_CHARS:
        raise PathError(Msg(N_("The path is {n} characters long; at most {most} are read."),
                            n=len(text), most=MAX_PATH_CHARS))
    allowed = SYMBOLS[:symbols]
    cleaned = "".join(ch for ch in text if not ch.isspace())
    if not cleaned:
        raise PathError(Msg(N_("Type a path: one symbol or blank ({blank}) per frame."),
                            blank=BLANK_CHAR))
    bad = sorted({ch for ch in cleaned if ch != BLANK_CHAR and ch not in allowed})
    if bad:
        raise PathError(Msg(N_("{chars} cannot be on a path: use the symbols {symbols} and the "
                               "blank {blank}."), chars=" ".join(repr(c) for c in bad[:5]),
                            symbols=" ".join(allowed), blank=BLANK_CHAR))
    return tuple(BLANK if ch == BLANK_CHAR else SYMBOLS.index(ch) + 1 for ch in cleaned)

@dataclass(frozen=True)
class CollapseSteps:
    """The collapse rule B applied in its two steps, for the page to show."""

    path: str  # as typed (spaces removed)
    merged: str  # runs merged: "aa-a--bb" -> "a-a-b"
    label: str  # blanks dropped: "aab"

def collapse_steps(ids: Sequence[int]) -> CollapseSteps:
    merged = [k for i, k in enumerate(ids) if i == 0 or k != ids[i - 1]]
    return CollapseSteps(to_text(ids), to_text(merged), to_text(collapse(ids)))
