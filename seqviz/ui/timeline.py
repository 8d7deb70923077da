"""The timeline: a live page's analysis at a past training step, or two steps compared.

One call per page, ``rw = timeline(key, exp, compare=True)``: a row with *Live* / *Past step*
/ *Compare two steps* and the step slider(s) over the steps whose weights the run keeps
(``seqviz.engine.rewind``); it returns a ``Rewind`` saying which step(s) to draw. The page
rebuilds its views from ``exp.weights_at(step)`` (or a lesson's model built from them);
training goes on, or stays paused, untouched.

The sliders' options are the kept steps as they were when the user chose a past view, frozen
until *Newer steps* is pressed: a slider whose options change under it while training runs
reads the browser's index of an older list as another step (see the attention page's replay).
A frozen step that the run has since thinned out is shown at the nearest kept step (the page
says which).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from seqviz.i18n import N_, _
from seqviz.ui.layout import columns
from seqviz.ui.setup import relabel

LIVE, PAST, COMPARE = "live", "past", "compare"
MODE_LABELS = {LIVE: N_("Live"), PAST: N_("Past step"), COMPARE: N_("Compare two steps")}


@dataclass(frozen=True)
class Rewind:
    mode: str = LIVE
    a: int | None = None  # the past step (PAST), or the first of the two (COMPARE)
    b: int | None = None  # the second step (COMPARE)

    @property
    def live(self) -> bool:
        return self.mode == LIVE


def _frozen(key: str, exp, kept: list[int]) -> tuple[int, list[int]]:
    """(version, steps): the kept steps as the sliders offer them (see the module's note)."""
    ss, slot = st.session_state, f"{key}.tl.steps"
    held = ss.get(slot)
    gen = exp.handle.generation
    if held is None or held[0] != gen or ss.pop(f"{key}.tl.refresh", False):
        held = ss[slot] = (gen, (held[2] + 1) if held is not None else 0, list(kept))
    return held[1], held[2]


def _slider(key: str, name: str, label: str, steps: list[int], version: int, default: int,
            help: str, where) -> int:
    """A select slider over ``steps``; a new list (version) keeps the step chosen on the last
    one when it is still offered."""
    ss = st.session_state
    wk = f"{key}.tl.{name}.{version}"
    last = ss.get(f"{key}.tl.{name}")
    if wk not in ss:
        ss[wk] = last if last in steps else default
    value = where.select_slider(label, steps, value=ss[wk], key=wk, format_func=lambda v: f"{v:,}",
                                help=help)  # the default too: seqviz.ui.controls.held
    ss[f"{key}.tl.{name}"] = value
    return int(value)


def _refresh(key: str) -> None:
    st.session_state[f"{key}.tl.refresh"] = True


def timeline(key: str, exp, *, compare: bool = False) -> Rewind:
    """The control (see the module's note); ``exp`` is a ``LiveExperiment`` (None: a model
    without a history, e.g. a bundled checkpoint: nothing is drawn, Live is returned)."""
    if exp is None:
        return Rewind()
    ss = st.session_state
    modes = [LIVE, PAST] + ([COMPARE] if compare else [])
    mk = f"{key}.tl.mode"
    if ss.get(mk) not in modes:
        ss[mk] = LIVE
    mode = st.radio(_("View the analysis at"), modes, index=modes.index(ss[mk]), key=relabel(mk),
                    horizontal=True,
                    format_func=lambda m: _(MODE_LABELS[m]),
                    help=_("Past step: the views are rebuilt from the weights the model had "
                           "then. Training goes on (or stays paused) meanwhile; Live returns "
                           "to the latest step."))
    if mode == LIVE:
        return Rewind()
    kept = exp.kept_steps()
    if len(kept) < 2:
        snap = exp.snapshot()
        if snap is not None and snap.step > 0 and not kept:
            st.info(_("This model is too large to keep past weights within the memory limit "
                      "of a session, so it has no timeline."))
        else:
            st.info(_("No past step is kept yet: press Play or Step, then come back."))
        return Rewind()
    version, steps = _frozen(key, exp, kept)
    help_text = _("The steps whose weights are kept: close together near the start and near "
                  "now, further apart in between, so memory stays bounded.")
    cols = columns([3, 3, 1] if mode == COMPARE else [6, 1])
    if mode == PAST:
        a = _slider(key, "a", _("Training step shown"), steps, version,
                    steps[-2] if len(steps) > 2 else steps[0], help_text, cols[0])
        b = None
    else:
        a = _slider(key, "ca", _("Step A"), steps, version, steps[len(steps) // 2], help_text,
                    cols[0])
        b = _slider(key, "cb", _("Step B"), steps, version, steps[-1], help_text, cols[1])
    cols[-1].button(_("Newer steps"), key=f"{key}.tl.newer", on_click=_refresh, args=(key,),
                    help=_("Add the steps kept since the slider was made (training may have "
                           "gone on)."), width="stretch")
    return Rewind(mode, a, b)


def shown_step_note(asked: int, shown: int, now: int) -> str:
    """One line under the views: which step they show (the nearest kept one to the step the
    slider asked for) and where training is."""
    if shown != asked:
        return _("Showing step {shown}, the kept step nearest to {asked}; training is at step "
                 "{now}.").format(shown=f"{shown:,}", asked=f"{asked:,}", now=f"{now:,}")
    return _("Showing the model as it was at step {shown}; training is at step {now}.").format(
        shown=f"{shown:,}", now=f"{now:,}")


def past_view(key: str, exp, method: str, *args):
    """The timeline (one past step) for a run that draws its past views in the worker
    (``seqviz.engine.rewind.ModuleHistory``, ``LiveExperiment.analysis_at``): None when Live
    (or nothing is kept yet), else ``(kept step, the run's method(step, *args))``, with a
    caption saying which step it is."""
    rw = timeline(key, exp)
    if rw.live:
        return None
    shown, view = exp.analysis_at(method, rw.a, *args)
    st.caption(shown_step_note(rw.a, int(shown), exp.steps))
    return int(shown), view
