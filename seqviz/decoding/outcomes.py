"""What a search's outcome is called: verdicts against a reference, which convention won, and the
result records the study produces. Pure data (no torch), so the figures can import it.

Error analysis follows the classic test (e.g. Ng's "Structuring ML projects"): given the
reference y* and the search output y_hat, if the model scores y* higher than y_hat, the search
failed to find a better output ("search error"); otherwise the model itself prefers the wrong
output ("model error").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from seqviz.i18n import N_

KINDS = ("correct", "search error", "model error")
KIND_NAMES = {"correct": N_("correct"), "search error": N_("search error"),
              "model error": N_("model error")}  # translated where shown
EXPLANATIONS = {
    "correct": N_("The search found the reference."),
    "search error": N_("The model scores the reference higher than what the search returned: "
                       "the search missed it. A wider beam may help."),
    "model error": N_("The model scores its own output at least as high as the reference: the "
                      "model is wrong, and no search can fix that."),
}
COMPARISON = ("keep better", "same", "shrink better")
COMPARISON_NAMES = {"keep better": N_("refilled beam finds the better final"),
                    "same": N_("same final score"),
                    "shrink better": N_("shrinking beam finds the better final")}


@dataclass(frozen=True)
class WidthResult:
    width: int
    tokens: tuple[int, ...]  # the best final (normalised score), end token included
    logp: float
    score: float
    kind: str | None  # verdict against the reference (``KINDS``), None without one


@dataclass
class Tally:
    widths: list[int]
    alpha: float
    finished: str  # the convention the outcomes are counted under
    n: int = 0
    outcomes: dict[int, dict[str, int]] = field(default_factory=dict)  # width -> KINDS counts
    conventions: dict[int, dict[str, int]] = field(default_factory=dict)  # width -> COMPARISON
