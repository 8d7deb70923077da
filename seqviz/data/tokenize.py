"""Character- and word-level tokenisation, for any language.

Character level is exact: ``detokenize(tokenize(t, "char"), "char") == t`` for every string.
Word level splits text into words (letters, digits, ``_`` and inner apostrophes: ``don't``,
``max_chars``), numbers (``3.14``, ``1,000``), single punctuation marks or symbols, and a
``"\\n"`` token per line break, so word-level text keeps its lines. Chinese, written without
spaces, is segmented into words by jieba (``seqviz.data.segment``: a run of ideographs becomes
国王 / 在 / 宫殿 ...); Hiragana, Katakana and CJK punctuation give one token per character. Other
white space is dropped; ``detokenize`` rebuilds readable text (not byte-exact: spacing is
normalised).
"""

from __future__ import annotations

import re
import unicodedata

LEVELS = ("char", "word")

# Characters of scripts written without spaces: CJK punctuation, Hiragana, Katakana, CJK
# ideographs (with extensions A and B..F, compatibility forms) and full-width punctuation.
_CJK = (
    "\u3001-\u303f\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff00-\uffef\U00020000-\U0002fa1f"
)


def _mark_class() -> str:
    """Regex class body of all combining marks (Mn, Mc, Me) in the Basic Multilingual Plane."""
    ranges, start, prev = [], None, None
    for cp in range(0x10000):
        if unicodedata.category(chr(cp)).startswith("M"):
            if start is None or cp != prev + 1:
                if start is not None:
                    ranges.append((start, prev))
                start = cp
            prev = cp
    ranges.append((start, prev))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


# Combining marks (Devanagari vowel signs, accents, variation selectors) and emoji skin tones
# stay attached to the character before them.
_MARKS = _mark_class() + "\U0001f3fb-\U0001f3ff"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"  # ideographs
_TOKEN_RE = re.compile(
    rf"""
      \n                                        # a line break is a token
    | [{_HAN}]+                                 # a run of ideographs: segmented into words
    | [{_CJK}]                                  # one kana / CJK mark per token
    | \d+(?:[.,]\d+)*                           # numbers: 42, 3.14, 1,000
    | [^\W\d{_CJK}](?:[^\W{_CJK}]|[{_MARKS}])*  # words: letters, digits, _, marks ...
      (?:['’](?:[^\W{_CJK}]|[{_MARKS}])+)*      #   ... with inner apostrophes (don't)
    | [^\s][{_MARKS}]*(?:\u200d[^\s][{_MARKS}]*)*  # any other character (. , ( emoji+ZWJ)
    """,
    re.VERBOSE,
)
_CJK_RE = re.compile(rf"[{_CJK}]")
_HAN_RUN = re.compile(rf"[{_HAN}]+")
_NO_SPACE_BEFORE = frozenset(".,;:!?)]}%…")
_NO_SPACE_AFTER = frozenset("([{")


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"Unknown tokenisation level {level!r}; use one of {LEVELS}.")


def tokenize(text: str, level: str) -> list[str]:
    """Split ``text`` into tokens at ``level`` ``"char"`` or ``"word"``."""
    _check_level(level)
    if level == "char":
        return list(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for tok in _TOKEN_RE.findall(text):
        if len(tok) > 1 and _HAN_RUN.fullmatch(tok):
            from seqviz.data.segment import segment  # jieba loads only for Chinese text

            out.extend(segment(tok))
        else:
            out.append(tok)
    return out


def _is_cjk(token: str) -> bool:
    return bool(token) and all(_CJK_RE.match(ch) for ch in token)


def _needs_space(prev: str, tok: str) -> bool:
    """Whether a space separates two adjacent word-level tokens when joined."""
    if prev == "\n" or tok == "\n":
        return False
    if tok in _NO_SPACE_BEFORE or prev in _NO_SPACE_AFTER:
        return False
    return not (_is_cjk(prev) or _is_cjk(tok))


def detokenize(tokens: list[str], level: str) -> str:
    """Join tokens back into text: exact at char level, readable at word level."""
    _check_level(level)
    if level == "char":
        return "".join(tokens)
    parts: list[str] = []
    prev = None
    for tok in tokens:
        if prev is not None and _needs_space(prev, tok):
            parts.append(" ")
        parts.append(tok)
        prev = tok
    return "".join(parts)
