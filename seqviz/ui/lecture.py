"""The lecture panel: a page's numbered lecture steps, each a link that sets the page up, what to
watch, a question to answer before running it, and the answer once the class has run it."""

from __future__ import annotations

from typing import Any, Sequence

import streamlit as st

from seqviz.i18n import _, ngettext
from seqviz.lecture import VIEW_ONLY, LectureStep, matches
from seqviz.ui.layout import lazy_expander
from seqviz.ui.setup import link_params, presenting


def lecture_panel(key: str, page: str, steps: Sequence[LectureStep], cfg: Any,
                  trained: int, pending: str | None = None, first: Any = None) -> None:
    """``cfg`` is the page's current config and ``trained`` how many steps it has trained: a
    step's answer shows once the page runs that step's setup and has trained long enough.
    ``pending`` (translated) replaces the "train n more steps" note under a step not run yet,
    for a page that shows trained models rather than training one. ``first``: the config a
    first visit opens with, if not the config's defaults (Embeddings in Chinese starts on the
    Chinese grammar)."""
    if not steps:
        return
    # The most specific step the page is set up for: a step that only picks the corpus matches
    # every later step's setup too, and would take their answers (Embeddings' steps 2-5).
    current = max((i for i, s in enumerate(steps) if matches(s, cfg)), default=None,
                  key=lambda i: (len(set(steps[i].params) - set(VIEW_ONLY)), -i))
    # A step's link opens the lecture on it; a step whose setup is what a first visit opens
    # with does not (the charts, not five steps of text, come first).
    linked = current is not None and not matches(
        steps[current], type(cfg)() if first is None else first)
    box, is_open = lazy_expander("🎓 " + _("Lecture: {n} steps").format(n=len(steps)),
                                 f"{key}.lecture.open", open_now=presenting() or linked)
    with box:
        for i, step in enumerate(steps if is_open else (), 1):
            st.markdown(f"**{i}. {_(step.title)}**" + (" ⬅" if current == i - 1 else ""))
            st.page_link(page, label=_("Set up step {i}").format(i=i), icon="▶",
                         query_params=link_params(step.params))
            st.markdown(_("**Watch:** {text}").format(text=_(step.watch)))
            st.markdown(_("**Predict first:** {text}").format(text=_(step.question)))
            shown = st.session_state.get(f"{key}.lecture.shown.{i}", False)
            ran = current == i - 1 and trained >= step.after_steps
            if ran or shown:
                st.success(_("**Answer:** {text}").format(text=_(step.answer)))
            else:
                left = max(step.after_steps - (trained if current == i - 1 else 0), 0)
                st.caption(pending if pending is not None else _(
                    "Set it up (the link above): the answer appears here.") if left == 0 else
                    ngettext(
                    "Set it up and train {n} more step, then pause: the answer appears here.",
                    "Set it up and train {n} more steps, then pause: the answer appears here.",
                    left).format(n=left))
                st.button(_("Show the answer now"), key=f"{key}.lecture.show.{i}",
                          on_click=_reveal, args=(key, i), type="tertiary")


def _reveal(key: str, i: int) -> None:
    st.session_state[f"{key}.lecture.shown.{i}"] = True
