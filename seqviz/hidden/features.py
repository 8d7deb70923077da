"""Known features of a text, character by character, for naming what a unit tracks.

Karpathy, Johnson and Fei-Fei (2015, "Visualizing and understanding recurrent networks") found
interpretable cells in character-level LSTMs by eye: one that is on inside quotes, one that
counts the position in the line, one for the indentation. Here each feature is a function
``text -> (len(text),)`` array, the value *after reading* each character, so a unit's
activation at step t can be correlated with it (``unit_correlations``). The Chinese features
read the toy grammar's sentences (``seqviz.data.grammar_zh``): whose sentence it is (a woman or
a man) and which animal (young or adult), the context a character-level model must carry
across several characters to predict, e.g., 她 / 他 or 学着 / 喜欢.

Feature names are English source strings (``N_``), translated where a page shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from seqviz.data.grammar_zh import GENDER_PAIRS, YOUNG_PAIRS
from seqviz.i18n import N_


def string_mask(text: str, quotes: str = "'\"", comment: str | None = "#") -> np.ndarray:
    """(len(text),) True after reading a character that leaves us inside a quoted string.

    A small Python-flavoured scanner: each of ``quotes`` opens and closes strings (a triple
    quote toggles three times, so it ends up inside), a backslash escapes the next character,
    and ``comment`` outside a string starts a comment that runs to the end of the line. For
    prose use ``quotes='"', comment=None`` (apostrophes are not quotes there).
    """
    out = np.zeros(len(text), dtype=bool)
    quote, escaped, in_comment = None, False, False
    for t, ch in enumerate(text):
        if in_comment:
            in_comment = ch != "\n"
        elif quote is not None:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in quotes:
            quote = ch
        elif comment is not None and ch == comment:
            in_comment = True
        out[t] = quote is not None
    return out


def bracket_mask(text: str, pairs: str = "()[]{}") -> np.ndarray:
    """(len(text),) True after reading a character that leaves us inside brackets of
    ``pairs`` (opening, closing, ...; nesting counted; a closing bracket without an opening one
    is ignored, and a blank line closes everything, so one stray bracket in a docstring cannot
    last for pages)."""
    opening, closing = set(pairs[0::2]), set(pairs[1::2])
    out = np.zeros(len(text), dtype=bool)
    depth = 0
    for t, ch in enumerate(text):
        if ch in opening:
            depth += 1
        elif ch in closing:
            depth = max(depth - 1, 0)
        elif ch == "\n" and t and text[t - 1] == "\n":
            depth = 0
        out[t] = depth > 0
    return out


def indent_depth(text: str) -> np.ndarray:
    """(len(text),) leading spaces of the line each character belongs to."""
    out = np.zeros(len(text))
    pos = 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(" "))
        out[pos : pos + len(line) + 1] = depth  # the line and its newline
        pos += len(line) + 1
    return out[: len(text)]


def line_position(text: str) -> np.ndarray:
    """(len(text),) characters since the last line break (0 at a line's first character)."""
    out = np.zeros(len(text))
    col = 0
    for t, ch in enumerate(text):
        out[t] = col
        col = 0 if ch == "\n" else col + 1
    return out


def _sign_by_words(text: str, plus: set[str], minus: set[str]) -> np.ndarray:
    """(len(text),) +1 once a word of ``plus`` has been read in the current line, -1 once a word
    of ``minus`` has (the latest one wins), else 0. Words are found by jieba's segmentation
    (``seqviz.data.tokenize``), so 小狗 is one word and 小镇 is not 小 + 镇."""
    from seqviz.data import tokenize

    out = np.zeros(len(text))
    pos = 0
    for line in text.split("\n"):
        value, at = 0.0, 0
        for word in tokenize(line, "word"):
            found = line.find(word, at)
            if found < 0:  # tokenize normalised something: skip the word
                continue
            end = found + len(word)  # the word is known once its last character is read
            out[pos + at: pos + end - 1] = value
            value = 1.0 if word in plus else -1.0 if word in minus else value
            at = end - 1
        out[pos + at: pos + len(line) + 1] = value  # to the end of the line and its break
        pos += len(line) + 1
    return out[: len(text)]


_FEMALE = {f for _m, f in GENDER_PAIRS} | {"她", "她的"}
_MALE = {m for m, _f in GENDER_PAIRS} | {"他", "他的"}
_YOUNG = {y for _a, y in YOUNG_PAIRS} | {"刚出生的"}
_ADULT = {a for a, _y in YOUNG_PAIRS} | {"成年的"}


def sentence_gender(text: str) -> np.ndarray:
    """(len(text),) +1 in a sentence about a woman or girl (王后, 她 ...) once it is said, -1
    for a man or boy (国王, 他 ...), 0 before and in sentences about animals."""
    return _sign_by_words(text, _FEMALE, _MALE)


def animal_age(text: str) -> np.ndarray:
    """(len(text),) +1 in a sentence about a young animal (小狗, 刚出生的 ...) once it is said,
    -1 for an adult one (狗, 成年的 ...), 0 before and in sentences about people."""
    return _sign_by_words(text, _YOUNG, _ADULT)


@dataclass(frozen=True)
class Feature:
    """A text feature: ``fn(text) -> (len(text),)``; ``per_line``: the value at a character
    depends on its own line only (else on everything before it, e.g. an open string)."""

    fn: Callable[[str], np.ndarray]
    per_line: bool = False


FEATURES: dict[str, Feature] = {  # English names, translated where shown
    N_("inside a string"): Feature(string_mask),
    N_("inside double quotes"): Feature(lambda text: string_mask(text, quotes='"', comment=None)),
    N_("inside parentheses"): Feature(lambda text: bracket_mask(text, "()")),
    N_("indentation"): Feature(indent_depth, per_line=True),
    N_("position in the line"): Feature(line_position, per_line=True),
    N_("position in the sentence"): Feature(line_position, per_line=True),  # grammar_zh: a line
    N_("a woman (+) or a man (−)"): Feature(sentence_gender, per_line=True),
    N_("a young (+) or an adult (−) animal"): Feature(animal_age, per_line=True),
}


def unit_correlations(states: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """(H,) Pearson correlation of each unit of ``states`` (N, H) with ``feature`` (N,);
    0 for a constant unit or feature."""
    x = np.asarray(states, dtype=float)
    y = np.asarray(feature, dtype=float)
    if len(x) != len(y):
        raise ValueError(f"states have {len(x)} steps but the feature has {len(y)}")
    xc, yc = x - x.mean(axis=0), y - y.mean()
    denom = np.sqrt((xc**2).sum(axis=0) * (yc**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc * yc[:, None]).sum(axis=0) / denom
    return np.nan_to_num(r)
