"""Corpus BLEU (Papineni et al. 2002) through sacrebleu (Post 2018), and exact match.

BLEU is computed by sacrebleu itself, never re-implemented, so numbers match the reference
tool. Character-level tasks (dates, reversal) are scored with sacrebleu's ``char`` tokenizer,
i.e. character n-grams; word-level tasks with its standard ``13a`` tokenizer; Chinese outputs
(writing Chinese numerals) with its ``zh`` tokenizer, which makes every Chinese character a
token (and splits the rest like ``13a``), so n-grams are character n-grams there too.
"""

from __future__ import annotations

from typing import Sequence

from sacrebleu.metrics import BLEU

TOKENIZERS = {"char": "char", "word": "13a", "zh": "zh"}


def _check(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    if len(hypotheses) != len(references):
        raise ValueError(f"hypotheses and references must pair up: {len(hypotheses)} "
                         f"hypotheses, {len(references)} references")


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str], level: str = "word"
                ) -> float:
    """sacrebleu corpus BLEU (0-100) of one reference per hypothesis; 0.0 for no pairs."""
    _check(hypotheses, references)
    if level not in TOKENIZERS:
        raise ValueError(f"level must be one of {', '.join(TOKENIZERS)}, got {level!r}")
    if not hypotheses:
        return 0.0
    metric = BLEU(tokenize=TOKENIZERS[level])
    return float(metric.corpus_score(list(hypotheses), [list(references)]).score)


def exact_match(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Fraction (0-1) of hypotheses identical to their reference; 0.0 for no pairs."""
    _check(hypotheses, references)
    if not hypotheses:
        return 0.0
    return sum(h == r for h, r in zip(hypotheses, references)) / len(hypotheses)
