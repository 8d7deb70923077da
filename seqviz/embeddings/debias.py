"""Hard debiasing (Bolukbasi, Chang, Zou, Saligrama and Kalai 2016): find a bias direction,
neutralise the words that should be neutral, equalise the pairs that should differ only by it.

On unit vectors w:

- **bias direction** g: the first principal component of the definitional pairs' centred
  vectors (for a pair (a, b) with mean μ: a − μ and b − μ, i.e. ±(a − b) / 2). These rows have
  mean zero, so PCA is an SVD of them (numpy); ``explained`` is each component's share of the
  variance (one component dominating means the pairs agree on one direction);
- **neutralise** a word w: w − (w·g) g, scaled back to unit length (its projection becomes 0);
- **equalise** a pair (a, b): ν = μ − (μ·g) g, then a, b = ν ± √(1 − |ν|²) · (the pair's side of
  g), so both are unit vectors, differ only along g, and sit symmetrically about the neutral
  subspace g^⊥.

``debias`` applies both to a vector table and reports the projections and analogy accuracy
before and after. The vectors are centred first (their mean subtracted, as in Mu and Viswanath
2018), else the direction all vectors share dominates every projection. ``definitional_pairs`` and ``gendered_words`` know the toy grammars' words
(he / she, king / queen … and 他 / 她, 国王 / 王后 …) and a few common English ones for other
texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from seqviz.data import grammar, grammar_zh
from seqviz.embeddings.queries import AnalogyScore, Index, analogy_accuracy, unit_rows

Pair = tuple[str, str]

PRONOUNS = {"grammar": (("he", "she"), ("his", "her")),
            "grammar_zh": (("他", "她"), ("他的", "她的"))}
COMMON_PAIRS = (("he", "she"), ("his", "her"), ("him", "her"), ("man", "woman"),
                ("men", "women"), ("king", "queen"), ("boy", "girl"), ("father", "mother"),
                ("son", "daughter"), ("brother", "sister"), ("husband", "wife"),
                ("mr", "mrs"), ("himself", "herself"), ("male", "female"))
SHOWN = 12  # neutral words drawn: the ones leaning most to either side


def candidate_pairs(corpus: str) -> list[Pair]:
    """The gendered pairs of a corpus: the toy grammar's pronouns and person pairs, or common
    English pairs for other texts (filtered to the vocabulary by ``definitional_pairs``)."""
    if corpus == "grammar":
        return [*PRONOUNS["grammar"], *grammar.GENDER_PAIRS]
    if corpus == "grammar_zh":
        return [*PRONOUNS["grammar_zh"], *grammar_zh.GENDER_PAIRS]
    return list(COMMON_PAIRS)


def definitional_pairs(corpus: str, words: Sequence[str]) -> list[Pair]:
    """The corpus's candidate pairs whose two words are both in ``words``."""
    have = set(words)
    return [p for p in candidate_pairs(corpus) if p[0] in have and p[1] in have]


def gendered_words(pairs: Sequence[Pair]) -> set[str]:
    """Words that are gendered by definition (kept out of neutralising)."""
    return {w for p in pairs for w in p}


@dataclass(frozen=True)
class BiasDirection:
    direction: np.ndarray  # (E,) unit vector, pointing to the pairs' first words on average
    explained: np.ndarray  # (min(2P, E),) share of variance of each principal component


def bias_direction(unit: np.ndarray, pairs_ids: Sequence[tuple[int, int]]) -> BiasDirection:
    """First principal component of the pairs' centred unit vectors (rows of ``unit``)."""
    if not len(pairs_ids):
        raise ValueError("the bias direction needs at least one definitional pair")
    ids = np.asarray(pairs_ids, dtype=np.int64)  # (P, 2)
    half = (unit[ids[:, 0]] - unit[ids[:, 1]]) / 2  # (P, E): a − μ; b − μ is its negative
    rows = np.concatenate([half, -half])  # (2P, E), mean zero
    _, s, vt = np.linalg.svd(rows, full_matrices=False)
    g = vt[0]
    if (half @ g).sum() < 0:  # sign: towards the first word of the pairs (he, king …)
        g = -g
    var = s ** 2
    return BiasDirection(g, var / var.sum() if var.sum() > 0 else var)


def neutralise(unit: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Rows minus their projection on g, back to unit length (a row that was ±g stays 0)."""
    out = unit - np.outer(unit @ g, g)
    return unit_rows(out)


def equalise(a: np.ndarray, b: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pair (a, b) made symmetric about g^⊥ with unit norm, keeping its side of g."""
    mu = (a + b) / 2
    nu = mu - (mu @ g) * g  # the shared, neutral part
    scale = np.sqrt(max(1.0 - float(nu @ nu), 0.0))
    side = np.sign((a - b) @ g) or 1.0
    return nu + side * scale * g, nu - side * scale * g


@dataclass(frozen=True)
class Debiased:
    words: list[str]
    raw: np.ndarray  # (V, E) the vectors as trained, unit length
    before: np.ndarray  # (V, E) centred (the mean vector subtracted), unit length
    after: np.ndarray  # (V, E) unit vectors, neutralised and equalised
    bias: BiasDirection
    pairs: list[Pair]
    neutral: np.ndarray  # (V,) bool: the words that were neutralised
    proj_before: np.ndarray  # (V,) w·g
    proj_after: np.ndarray  # (V,)

    def leaning(self, n: int = SHOWN) -> list[int]:
        """The ``n`` neutral words whose projection was largest in size, most male-leaning
        (positive) first."""
        ids = np.flatnonzero(self.neutral)
        top = ids[np.argsort(-np.abs(self.proj_before[ids]), kind="stable")[:n]]
        return sorted(top.tolist(), key=lambda i: -self.proj_before[i])


def debias(vectors: np.ndarray, words: Sequence[str], pairs: Sequence[Pair],
           protect: set[str] | None = None, center: bool = True) -> Debiased:
    """Hard debiasing of ``vectors`` (V, E) with the definitional ``pairs`` (in ``words``):
    every word outside ``protect`` (default: the pairs' words) is neutralised, every pair
    equalised."""
    words = list(words)
    pos = {w: i for i, w in enumerate(words)}
    pairs = [p for p in pairs if p[0] in pos and p[1] in pos and p[0] != p[1]]
    if not pairs:
        raise ValueError("none of the definitional pairs is in the vocabulary")
    v = np.asarray(vectors, dtype=np.float64)
    unit = unit_rows(v - v.mean(0) if center else v)
    ids = [(pos[a], pos[b]) for a, b in pairs]
    bias = bias_direction(unit, ids)
    g = bias.direction
    protect = gendered_words(pairs) if protect is None else protect
    neutral = np.array([w not in protect for w in words])
    after = unit.copy()
    after[neutral] = neutralise(unit[neutral], g)
    for i, j in ids:
        after[i], after[j] = equalise(after[i], after[j], g)
    return Debiased(words, unit_rows(v), unit, after, bias, pairs, neutral, unit @ g, after @ g)


def analogy_before_after(result: Debiased, analogies, relation) -> tuple[AnalogyScore,
                                                                          AnalogyScore]:
    """Analogy accuracy (3CosAdd, top-1) on the vectors as trained and after debiasing."""
    return (analogy_accuracy(Index.build(result.raw, result.words), analogies, relation),
            analogy_accuracy(Index.build(result.after, result.words), analogies, relation))
