"""The CTC lesson's alphabet: the blank (id 0) and the symbols (ids 1..K), and how they print.
No torch here: the figures use it."""

from __future__ import annotations

BLANK = 0
SYMBOLS = "abcdefghij"  # symbol k (1-based id) is SYMBOLS[k - 1]
BLANK_CHAR = "-"  # how a blank is typed and printed in paths ("aa-b" -> "ab")


def to_text(label) -> str:
    """Symbol ids -> "abba" (blank ids print as ``BLANK_CHAR``)."""
    return "".join(BLANK_CHAR if k == BLANK else SYMBOLS[k - 1] for k in label)
