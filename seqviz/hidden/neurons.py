"""Finding interpretable units: select-and-match and unit orderings.

The neuron finder follows LSTMVis (Strobelt, Gehrmann, Pfister and Rush 2018, "LSTMVis: a tool
for visual analysis of hidden state dynamics in recurrent neural networks"): the user selects a
span of the probe text, the units whose activation is high on the span and low elsewhere are
ranked first, and the corpus is searched for other places where the same units are all "on"
together. Karpathy, Johnson and Fei-Fei (2015) found such units by eye (a quote cell, an
indentation cell, a line-length cell); ``seqviz.hidden.features`` gives those features so a
unit's correlation with them can be measured.

Shape letters: T probe tokens, N corpus tokens, H units, U selected units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqviz.hidden.coloured_text import spaced
from seqviz.hidden.features import string_mask

ORDERS = ("index", "variance", "relevance")


@dataclass
class UnitRanking:
    """Units ranked by how much higher they are on a span than elsewhere (best first)."""

    units: np.ndarray  # (H,) unit indices, best first
    scores: np.ndarray  # (H,) sign * (mean on span - mean elsewhere), in ``units`` order
    signs: np.ndarray  # (H,) +1: the unit is high on the span; -1: it is low there (flipped)
    on_mean: np.ndarray  # (H,) sign * mean on the span, in ``units`` order
    off_mean: np.ndarray  # (H,) sign * mean elsewhere, in ``units`` order
    span: tuple[int, int]  # [start, end) in token positions

    def threshold(self, n: int) -> np.ndarray:
        """(n,) per-unit "on" level for the top n units: halfway between on and off means."""
        return (self.on_mean[:n] + self.off_mean[:n]) / 2


def check_span(length: int, start: int, end: int) -> tuple[int, int]:
    """Validate a half-open token span [start, end) within a text of ``length`` tokens."""
    if not 0 <= start < end <= length:
        raise ValueError(f"span [{start}, {end}) must satisfy 0 <= start < end <= {length} "
                         f"(the text has {length} tokens)")
    return int(start), int(end)


def rank_units(states: np.ndarray, start: int, end: int, signed: bool = True) -> UnitRanking:
    """Rank the H units of ``states`` (T, H) for the span [start, end).

    score = mean activation on the span minus mean activation on the rest of the text. With
    ``signed`` a unit that is strongly *negative* on the span counts as well (tanh units are
    symmetric), and its sign is recorded so the matcher can flip it.
    """
    states = np.asarray(states, dtype=float)
    if states.ndim != 2:
        raise ValueError(f"states must be (T, H), got shape {states.shape}")
    start, end = check_span(len(states), start, end)
    inside = np.zeros(len(states), dtype=bool)
    inside[start:end] = True
    on = states[inside].mean(axis=0)  # (H,)
    off = states[~inside].mean(axis=0) if (~inside).any() else np.zeros(states.shape[1])
    diff = on - off  # (H,)
    signs = np.where(diff < 0, -1.0, 1.0) if signed else np.ones_like(diff)
    scores = diff * signs
    order = np.argsort(-scores, kind="stable")  # ties keep index order
    return UnitRanking(order, scores[order], signs[order], (on * signs)[order],
                       (off * signs)[order], (start, end))


def token_offsets(tokens: list[str], level: str) -> list[int]:
    """Character offset of each token in the text the views show (words joined by spaces,
    except around line breaks and between Chinese words, as ``coloured_text_html`` draws
    them)."""
    offsets, pos = [], 0
    for t, tok in enumerate(tokens):
        if level == "word" and t > 0 and spaced(tokens[t - 1], tok):
            pos += 1
        offsets.append(pos)
        pos += len(tok)
    return offsets


def find_span(tokens: list[str], substring: str, level: str) -> tuple[int, int] | None:
    """The tokens [start, end) covering the first occurrence of ``substring``, or None."""
    if not substring:
        return None
    offsets = token_offsets(tokens, level)
    text = "".join((" " if level == "word" and t > 0 and spaced(tokens[t - 1], tok) else "")
                   + tok for t, tok in enumerate(tokens))
    at = text.find(substring)
    if at < 0:
        return None
    ends = [o + len(tok) for o, tok in zip(offsets, tokens)]
    start = next(t for t, e in enumerate(ends) if e > at)
    end = next(t for t, o in enumerate(offsets) if o >= at + len(substring)) \
        if offsets[-1] >= at + len(substring) else len(tokens)
    return start, max(end, start + 1)


def default_span(tokens: list[str], max_length: int = 60) -> tuple[int, int]:
    """A first selection to try: the first closed quoted string of (character-level) text,
    3 to ``max_length`` tokens long, from its opening quote up to its closing quote (an
    apostrophe that never closes, or a triple quote's lone quotes, is skipped); else the first
    tenth of the text."""
    chars = all(len(t) == 1 or t == "<unk>" for t in tokens)
    inside = string_mask("".join(t if len(t) == 1 else "\0" for t in tokens)) \
        if chars else np.zeros(len(tokens), bool)
    for start, end in _runs(inside):
        if 3 <= end - start <= max_length and end < len(tokens):
            return start, end
    return 0, max(1, len(tokens) // 10)


def unit_order(states: np.ndarray, how: str, ranking: UnitRanking | None = None) -> np.ndarray:
    """Display order of the units of ``states`` (T, H): by index, by variance over the text
    (most varying first) or by relevance to a selected span (needs ``ranking``)."""
    if how not in ORDERS:
        raise ValueError(f"unit order must be one of {ORDERS}, got {how!r}")
    hidden = np.asarray(states).shape[1]
    if how == "index":
        return np.arange(hidden)
    if how == "variance":
        return np.argsort(-np.asarray(states).var(axis=0), kind="stable")
    if ranking is None:
        raise ValueError("ordering by relevance needs a selected span (a UnitRanking)")
    return np.asarray(ranking.units)


@dataclass(frozen=True)
class Match:
    """A run of corpus positions [start, end) where all the selected units are on."""

    start: int
    end: int
    margin: float  # mean over the run and the units of (activation - threshold)

    @property
    def length(self) -> int:
        return self.end - self.start


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True in a 1-D bool array, as [start, end) pairs."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))  # starts at even, ends at odd indices
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def find_matches(corpus: np.ndarray, ranking: UnitRanking, n_units: int = 3, top: int = 5,
                 min_length: int = 1) -> list[Match]:
    """Places in ``corpus`` (N, H) where the ranking's top ``n_units`` units are on together.

    A unit is on where sign * activation >= its threshold (halfway between its mean on and
    off the selected span). Matches are ranked like LSTMVis's: closest in length to the
    selection first, then by margin.
    """
    corpus = np.asarray(corpus, dtype=float)
    if corpus.ndim != 2 or corpus.shape[1] != len(ranking.units):
        raise ValueError(f"corpus states must be (N, {len(ranking.units)}), got {corpus.shape}")
    n = max(1, min(int(n_units), len(ranking.units)))
    units, signs = ranking.units[:n], ranking.signs[:n]
    above = corpus[:, units] * signs - ranking.threshold(n)  # (N, U) signed margin
    runs = [(s, e) for s, e in _runs((above >= 0).all(axis=1)) if e - s >= min_length]
    want = ranking.span[1] - ranking.span[0]
    found = [Match(s, e, float(above[s:e].mean())) for s, e in runs]
    found.sort(key=lambda m: (abs(m.length - want), -m.margin))
    return found[:top]
