"""Beam search measured: one input at every width, and many held-out inputs at a few widths.

``width_sweep`` decodes one input with B = 1 .. 10 and says where the best output appears, so a
search error at a small width (and the width that fixes it) can be read off. ``tally`` decodes
held-out (input, reference) pairs at several widths under both conventions for finished
hypotheses (``seqviz.decoding.beam.FINISHED``): it counts correct outputs, search errors and
model errors under the chosen convention, and how often each convention finds the better final
(the higher length-normalised score, the objective both maximise).
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from seqviz.decoding.outcomes import COMPARISON, KINDS, Tally, WidthResult
from seqviz.decoding.problem import SearchProblem, classify

SAME = 1e-4  # scores closer than this (float32 sums over batches of different sizes) are equal
SWEEP_WIDTHS = tuple(range(1, 11))


def width_sweep(problem: SearchProblem, widths: Sequence[int], max_len: int, alpha: float,
                finished: str = "shrink", reference: list[int] | None = None
                ) -> list[WidthResult]:
    """The best output of a beam of each width (and its verdict, given a reference)."""
    ref_lp = problem.logp(reference) if reference else None
    out = []
    for width in widths:
        best = problem.best(width, max_len, alpha, finished).best
        kind = (classify(reference, list(best.tokens), ref_lp, best.logp, alpha).kind
                if reference else None)
        out.append(WidthResult(width, best.tokens, best.logp, best.score, kind))
    return out


def first_best(results: Sequence[WidthResult]) -> WidthResult:
    """The narrowest width whose output scores as well as the best any width found."""
    top = max(r.score for r in results)
    return next(r for r in results if r.score >= top - SAME)


def compare(keep_score: float, shrink_score: float) -> str:
    """Which convention's best final scores higher (``COMPARISON``)."""
    if keep_score > shrink_score + SAME:
        return "keep better"
    if shrink_score > keep_score + SAME:
        return "shrink better"
    return "same"


def tally(pairs: Iterable[tuple[SearchProblem, list[int]]], widths: Iterable[int], max_len: int,
          alpha: float, finished: str = "shrink",
          progress: Callable[[int], None] | None = None) -> Tally:
    """Decode every (problem, reference) pair at every width with both conventions."""
    widths = sorted(set(widths))
    out = Tally(widths, alpha, finished,
                outcomes={b: dict.fromkeys(KINDS, 0) for b in widths},
                conventions={b: dict.fromkeys(COMPARISON, 0) for b in widths})
    for i, (problem, ref) in enumerate(pairs):
        ref_lp = problem.logp(ref)
        for b in widths:
            best = {f: problem.best(b, max_len, alpha, f).best for f in ("shrink", "keep")}
            mine = best[finished]
            out.outcomes[b][classify(ref, list(mine.tokens), ref_lp, mine.logp, alpha).kind] += 1
            out.conventions[b][compare(best["keep"].score, best["shrink"].score)] += 1
        out.n = i + 1
        if progress is not None:
            progress(i + 1)
    return out
