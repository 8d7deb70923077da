"""Lecture scripts: 3-5 numbered steps per page that set the page up, say what to watch, and ask
the class to predict the outcome before running it (peer instruction: predict, run, compare).

A step's ``params`` are the page's URL parameters (``seqviz.config.to_query`` names), so a step is
also a shareable link. Strings are English source strings marked with ``N_``; the UI translates
them where they are shown (``seqviz.ui.lecture``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from seqviz.config import to_query


@dataclass(frozen=True)
class LectureStep:
    title: str  # e.g. N_("A plain RNN on Python source")
    params: Mapping[str, str]  # URL parameters the step's link sets
    watch: str  # one sentence: what to look at while it runs
    question: str  # "predict first"
    answer: str  # shown once the class has run it
    after_steps: int = 100  # training steps with this setup before the answer is shown
    extra: Mapping[str, Any] = field(default_factory=dict)  # page-specific (e.g. a probe text)


VIEW_ONLY = ("tab",)  # a step's link opens this part of the page; it sets nothing up


def matches(step: LectureStep, cfg: Any) -> bool:
    """Whether the page's config is the one the step sets up (every parameter it names but the
    open tab: a student who looks at another tab is still on the step, and its answer stays)."""
    query = to_query(cfg)
    return all(query.get(k) == str(v) for k, v in step.params.items() if k not in VIEW_ONLY)


def check_steps(steps: list[LectureStep], cfg_type: type) -> list[str]:
    """Problems with a page's lecture (for tests): unknown parameters, values the config would
    refuse, too few or too many steps."""
    from seqviz.config import from_query

    out = []
    if not 3 <= len(steps) <= 6:
        out.append(f"{len(steps)} steps; a lecture has 3 to 6")
    names = {f for f in cfg_type.__dataclass_fields__}
    for i, step in enumerate(steps, 1):
        unknown = set(step.params) - names
        if unknown:
            out.append(f"step {i}: unknown parameters {sorted(unknown)}")
        _cfg, notices = from_query(cfg_type, dict(step.params))
        out += [f"step {i}: {n}" for n in notices]
        for text in (step.title, step.watch, step.question, step.answer):
            if not text.strip():
                out.append(f"step {i}: empty text")
    return out
