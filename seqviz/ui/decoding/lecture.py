"""The beam-search lecture: every step as a link, and the step the page is showing as a short box
above the tree (its question, what to watch, the answer behind a click).

The page decodes bundled models and trains nothing, so a step's outcome is on the page the moment
its link is opened, and the step stays on while the class moves the slider it names. The answer therefore waits for the lecturer's click instead of for training
steps (the shared ``seqviz.ui.lecture`` panel waits for those): predict, reveal, compare.
"""

from __future__ import annotations

from typing import Any, Sequence

import streamlit as st

from seqviz.i18n import _
from seqviz.lecture import LectureStep, matches
from seqviz.ui.layout import lazy_expander
from seqviz.ui.setup import link_params


STICKY = ("source", "text", "reference")  # a step stays on while these keep its values
_LAST = "beam.lecture.last"


def current_step(steps: Sequence[LectureStep], cfg: Any) -> int | None:
    """The step whose setup the page shows; once a step has been opened, it stays the current
    one while the class changes what it says to change (B, α, the convention), i.e. until the
    model or the input differ from the step's."""
    exact = next((i for i, s in enumerate(steps) if matches(s, cfg)), None)
    last = st.session_state.get(_LAST)
    if exact is None and last is not None and last < len(steps):
        params = steps[last].params
        if all(str(getattr(cfg, k)) == params[k] for k in STICKY if k in params):
            exact = last
    st.session_state[_LAST] = exact
    return exact


def _link(page: str, steps: Sequence[LectureStep], i: int, label: str, where=st) -> None:
    where.page_link(page, label=label, icon="▶",
                    query_params=link_params(steps[i].params))


def lecture_panel(page: str, steps: Sequence[LectureStep], cfg: Any) -> None:
    """All steps in a (collapsed) expander, then the current step's box, if a step is shown."""
    current = current_step(steps, cfg)
    box, is_open = lazy_expander("🎓 " + _("Lecture: {n} steps").format(n=len(steps)),
                                 "beam.lecture.open")
    with box:
        for i, step in enumerate(steps if is_open else ()):
            st.markdown(f"**{i + 1}. {_(step.title)}**" + (" ⬅" if current == i else ""))
            _link(page, steps, i, _("Set up step {i}").format(i=i + 1))
            st.markdown(_("**Predict first**: {text}").format(text=_(step.question)))
    if current is not None:
        _step_box(page, steps, current)


def _step_box(page: str, steps: Sequence[LectureStep], i: int) -> None:
    step = steps[i]
    with st.container(border=True):
        st.markdown("🎓 " + _("**Step {i} of {n}: {title}**").format(
            i=i + 1, n=len(steps), title=_(step.title)))
        st.markdown(_("**Predict first**: {text}").format(text=_(step.question)))
        st.markdown(_("**Watch**: {text}").format(text=_(step.watch)))
        with st.expander(_("Answer (after the class has predicted)")):
            st.markdown(_(step.answer))
        if i + 1 < len(steps):
            _link(page, steps, i + 1, _("Next: step {i}").format(i=i + 2))
