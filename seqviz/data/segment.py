"""Chinese word segmentation with jieba (Sun Junyi's dictionary + DAG/max-probability segmenter).

Word-level tokenisation of Chinese needs a segmenter: Chinese is written without spaces, and a
character is not a word (国王 "king" is two characters). ``segment`` cuts a run of ideographs into
words with one jieba ``Tokenizer`` per process, loaded on first use from the dictionary jieba
ships (no download; ~1 s and ~60 MB once per process).

The tokenizer also knows the built-in Chinese grammar (``seqviz.data.grammar_zh``): its words are
added, and the few dictionary words that would swallow two grammar words (王国里, 两只, 很小 …) are
removed, so the grammar's text segments into exactly the words the grammar chose (tested on the
whole corpus). New-word discovery (jieba's HMM) is off so segmentation is deterministic.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path

_lock = threading.Lock()
_tokenizer = None
GRAMMAR_FREQ = 50_000  # high enough that a grammar word beats any split of it


def _build():
    import jieba

    from seqviz.data.grammar_zh import GRAMMAR_WORDS

    jieba.setLogLevel(logging.WARNING)
    cache = Path(tempfile.gettempdir()) / "seqviz-jieba"
    cache.mkdir(exist_ok=True)
    tok = jieba.Tokenizer()
    tok.tmp_dir = str(cache)  # jieba caches its parsed dictionary here
    tok.initialize()
    words = sorted(w for w in GRAMMAR_WORDS if w != "。")
    for word in words:
        tok.add_word(word, freq=GRAMMAR_FREQ)
    for compound in _compounds(tok.FREQ, words):
        tok.del_word(compound)
    return tok


def _compounds(freq: dict[str, int], words: list[str]) -> set[str]:
    """Dictionary words that are two or more grammar words written together (王国里 = 王国 + 里,
    两匹马 = 两 + 匹 + 马). jieba's FREQ holds every prefix of every word (with count 0), so the
    search extends a concatenation only while it is still a prefix of some dictionary word."""
    found: set[str] = set()
    frontier = [w for w in words]
    while frontier:
        grown = []
        for head in frontier:
            for word in words:
                joined = head + word
                if joined in freq:
                    grown.append(joined)
                    if freq[joined] > 0:
                        found.add(joined)
        frontier = grown
    return found - set(words)


def tokenizer():
    """The process's jieba tokenizer (built once, thread-safe)."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            _tokenizer = _build()
        return _tokenizer


def segment(run: str) -> list[str]:
    """Words of a run of Chinese characters (no spaces, no punctuation inside)."""
    if len(run) <= 1:
        return [run] if run else []
    return list(tokenizer().cut(run, HMM=False))
