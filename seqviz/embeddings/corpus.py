"""Why a text cannot train word2vec, in the page's language.

``seqviz.models.word2vec.build_w2v_corpus`` refuses a text with fewer than two words seen
``min_count`` times, or with no sentence of two such words; its message is the shared core's
(English). ``corpus_problem`` says the same for the page, translated, from the same counts.
Chinese text is cut into words by jieba (``seqviz.data.tokenize``), so the counts are of words,
not characters.
"""

from __future__ import annotations

from collections import Counter

from seqviz.i18n import _, ngettext
from seqviz.models.word2vec import sentences


def corpus_problem(text: str, min_count: int) -> str:
    """A complete, translated sentence on why ``text`` gives no word2vec corpus."""
    sents = sentences(text)
    counts = Counter(w for s in sents for w in s)
    least = max(1, int(min_count))
    kept = {w for w, c in counts.items() if c >= least}
    seen = ", ".join(repr(w) for w, _c in counts.most_common(3)) or _("none")
    if len(kept) < 2:
        return ngettext(
            "word2vec needs at least 2 distinct words seen {least}+ times; this text has {kept} "
            "({n} distinct word in all: {seen}). Use a longer text or a lower minimum count.",
            "word2vec needs at least 2 distinct words seen {least}+ times; this text has {kept} "
            "({n} distinct words in all: {seen}). Use a longer text or a lower minimum count.",
            len(counts)).format(least=least, kept=len(kept), n=len(counts), seen=seen)
    return _("No sentence of this text has two known words next to each other, so there are no "
             "(word, context) pairs to learn from. Use a longer text.")
