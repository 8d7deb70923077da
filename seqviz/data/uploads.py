"""Uploaded texts kept by content hash, so a link to an experiment on uploaded text works for
anyone on the same server while the server still has the text.

A text's id is the first 16 hex digits of its SHA-256 (64 bits: not guessable, so a link shares
exactly the text it was made with and nothing else). The store is bounded (count and total
characters) and forgets the least recently used text first; a link whose text is gone gets a
clear notice on its page.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict

ID_LENGTH = 16
_ID = re.compile(rf"[0-9a-f]{{{ID_LENGTH}}}")


def text_id(text: str) -> str:
    """The id of a text (uploads may hold lone surrogates, hence surrogatepass)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:ID_LENGTH]


def valid_id(value: str) -> bool:
    return bool(_ID.fullmatch(value))


class TextStore:
    """A thread-safe LRU of texts by id, at most ``max_texts`` and ``max_chars`` in all."""

    def __init__(self, max_texts: int = 64, max_chars: int = 100_000_000):
        self.max_texts, self.max_chars = max_texts, max_chars
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def put(self, text: str) -> str:
        """Keep ``text``; returns its id."""
        key = text_id(text)
        with self._lock:
            if key in self._texts:
                self._texts.move_to_end(key)
                return key
            self._texts[key] = text
            self._chars += len(text)
            while self._texts and (len(self._texts) > self.max_texts
                                   or self._chars > self.max_chars) and len(self._texts) > 1:
                _old, dropped = self._texts.popitem(last=False)
                self._chars -= len(dropped)
        return key

    def get(self, key: str) -> str | None:
        with self._lock:
            text = self._texts.get(key)
            if text is not None:
                self._texts.move_to_end(key)
            return text

    def __len__(self) -> int:
        return len(self._texts)
