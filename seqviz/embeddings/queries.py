"""Queries on word vectors: cosine neighbours, analogies, analogy accuracy, trustworthiness.

Analogies use 3CosAdd (Mikolov, Yih and Zweig 2013; Levy and Goldberg 2014): for "a is to b as
? is to c", i.e. a - b + c, rank every word w by cos(w, â - b̂ + ĉ) with unit vectors â, b̂, ĉ.
The query words are excluded from the answers unless asked — otherwise a itself usually wins,
which is why raw vector arithmetic looks worse than the published accuracies. Accuracy is top-1
over a grammar's two relations (``seqviz.embeddings.grammars``: gender and plural in English,
gender and adult / young in Chinese).

Trustworthiness (Venna and Kaski 2001) measures how many of a point's neighbours in the 2-D map
are true neighbours in the original space; scikit-learn computes it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from sklearn.manifold import trustworthiness as _sk_trustworthiness

from seqviz.embeddings.grammars import TEACHING, Quad
from seqviz.i18n import _


class QueryError(ValueError):
    """A query the vectors cannot answer; ``str(err)`` is fit to show on a page."""


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (an all-zero row stays zero), float64 (N, D)."""
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"vectors must be 2-D (N, D), got shape {v.shape}")
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms > 0, norms, 1.0)


def lookup(words: Sequence[str], word: str, pos: dict[str, int] | None = None) -> int:
    """Index of ``word`` (or its lower-case form); QueryError naming close matches if absent."""
    w = word.strip()
    if not w:
        raise QueryError(_("Type a word."))
    pos = pos if pos is not None else {t: i for i, t in enumerate(words)}
    for cand in (w, w.lower()):
        if cand in pos:
            return pos[cand]
    close = difflib.get_close_matches(w, list(words), n=3, cutoff=0.7)
    hint = (" " + _("Did you mean {words}?").format(words=", ".join(repr(c) for c in close))
            if close else "")
    raise QueryError(_("{word!r} is not in the vocabulary ({n} words).").format(
        word=w, n=f"{len(words):,}") + hint)


@dataclass
class Index:
    """Unit vectors and their words, for repeated queries."""

    words: list[str]
    unit: np.ndarray = field(repr=False)  # (N, D) float64
    pos: dict = field(default_factory=dict, repr=False)  # word -> row

    def __post_init__(self):
        self.pos = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, vectors: np.ndarray, words: Sequence[str]) -> "Index":
        words = list(words)
        v = unit_rows(vectors)
        if len(words) != len(v):
            raise ValueError(f"{len(words)} words but {len(v)} vectors")
        return cls(words, v)

    def ids(self, query: Sequence[str]) -> list[int]:
        return [lookup(self.words, q, self.pos) for q in query]


def _top(scores: np.ndarray, words: list[str], k: int, exclude: Sequence[int]
         ) -> list[tuple[str, float]]:
    s = scores.astype(np.float64).copy()
    s[list(exclude)] = -np.inf
    k = max(0, min(int(k), int(np.isfinite(s).sum())))
    top = np.argsort(-s, kind="stable")[:k]  # stable: ties keep vocabulary (frequency) order
    return [(words[i], float(s[i])) for i in top]


def neighbours(index: Index, word: str, k: int = 10, include_self: bool = False
               ) -> list[tuple[str, float]]:
    """The k words with the highest cosine similarity to ``word``, with their scores."""
    i = lookup(index.words, word, index.pos)
    scores = index.unit @ index.unit[i]  # (N,)
    return _top(scores, index.words, k, [] if include_self else [i])


def analogy(index: Index, a: str, b: str, c: str, k: int = 5, include_query: bool = False
            ) -> list[tuple[str, float]]:
    """a - b + c (king - man + woman): top k by cosine with â - b̂ + ĉ.

    Raises QueryError for an unknown word or a word used twice (then the query reduces to a
    neighbour search and the "analogy" says nothing).
    """
    query = [a.strip(), b.strip(), c.strip()]
    ids = index.ids(query)
    if len(set(ids)) < 3:
        dup = index.words[next(i for i in ids if ids.count(i) > 1)]
        raise QueryError(_("{word!r} appears twice in the analogy; a − b + c needs three "
                           "different words (e.g. king − man + woman).").format(word=dup))
    u = index.unit
    target = u[ids[0]] - u[ids[1]] + u[ids[2]]  # (D,)
    norm = np.linalg.norm(target)
    scores = u @ (target / norm if norm > 0 else target)
    return _top(scores, index.words, k, [] if include_query else ids)


@dataclass(frozen=True)
class AnalogyScore:
    correct: int
    total: int  # analogies whose four words are all in the vocabulary
    skipped: int  # analogies with a word missing from the vocabulary
    by_relation: dict  # relation -> (correct, total)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else float("nan")

    def relation_accuracy(self, name: str) -> float:
        c, t = self.by_relation.get(name, (0, 0))
        return c / t if t else float("nan")


def relation_of(quad: Quad, corpus: str = "grammar") -> str:
    """The relation of a grammar analogy (a, b, c, d): "gender", "plural" (English), "young"
    (Chinese), or "other"."""
    return TEACHING[corpus].relation_of(quad)


def analogy_accuracy(index: Index, analogies: Sequence[Quad] | None = None,
                     relation: Callable[[Quad], str] | None = None) -> AnalogyScore:
    """Top-1 accuracy of a - b + c = d with the query words excluded, vectorised (Q, N).
    Default: the English grammar's analogies and relations."""
    if analogies is None:
        analogies = TEACHING["grammar"].analogies
    relation = relation or TEACHING["grammar"].relation_of
    pos = index.pos
    usable = [q for q in analogies if all(w in pos for w in q)]
    by: dict[str, list[int]] = {}
    correct = 0
    if usable:
        ids = np.array([[pos[w] for w in q] for q in usable])  # (Q, 4)
        u = index.unit
        target = u[ids[:, 0]] - u[ids[:, 1]] + u[ids[:, 2]]  # (Q, D)
        scores = target @ u.T  # (Q, N); the target's norm does not change the ranking
        rows = np.arange(len(usable))[:, None]
        scores[rows, ids[:, :3]] = -np.inf
        hit = scores.argmax(1) == ids[:, 3]  # (Q,)
        correct = int(hit.sum())
        for q, h in zip(usable, hit):
            tally = by.setdefault(relation(q), [0, 0])
            tally[0] += int(h)
            tally[1] += 1
    return AnalogyScore(correct, len(usable), len(analogies) - len(usable),
                        {k: tuple(v) for k, v in by.items()})


def trustworthiness(high: np.ndarray, low: np.ndarray, n_neighbors: int = 5,
                    metric: str = "euclidean") -> float:
    """scikit-learn's trustworthiness in [0, 1] (1: every map neighbour is a true neighbour)."""
    n = len(high)
    if len(low) != n:
        raise ValueError(f"{n} original points but {len(low)} projected points")
    k = min(int(n_neighbors), (n - 1) // 2)  # scikit-learn needs k < n / 2
    if k < 1:
        raise QueryError(_("Trustworthiness needs at least 3 points, got {n}.").format(n=n))
    return float(_sk_trustworthiness(high, low, n_neighbors=k, metric=metric))


def search_labels(labels: Sequence[str], query: str) -> tuple[np.ndarray, str | None]:
    """Points whose label matches ``query``: a regular expression, case-insensitive.

    Returns (mask (N,), notice or None). Text that is not a valid regex (``"c++"``) is searched
    literally, with a notice saying so.
    """
    q = query.strip()
    if not q:
        return np.zeros(len(labels), bool), None
    notice = None
    try:
        pattern = re.compile(q, re.IGNORECASE)
    except re.error as err:
        pattern = re.compile(re.escape(q), re.IGNORECASE)
        notice = _("{query!r} is not a valid regular expression ({error}); searched for the plain "
                   "text.").format(query=q, error=err)
    return np.array([bool(pattern.search(s)) for s in labels], bool), notice
