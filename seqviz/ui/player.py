"""Play / Pause / Step / Reset: buttons outside the live fragment, a flag in session state.

The live panel itself is an ``st.fragment(run_every=...)``; it ticks only while the page's
``playing`` flag is set. Buttons use callbacks so the label and the fragment's schedule are
right on the same rerun.

A page whose experiment is a ``LiveExperiment`` trains in the engine's worker processes: the
buttons send commands, and each tick only draws the latest snapshot (``render(key, exp, snap,
playing)``), once per new snapshot. Older pages still train inside the tick
(``TICK_BUDGET`` seconds of it, then ``render(key, exp, playing)``).
"""

from __future__ import annotations

import time
from typing import Any, Callable

import streamlit as st

from seqviz.engine.live import LiveExperiment
from seqviz.engine.pool import shared_engine
from seqviz.i18n import _, ngettext
from seqviz.ui.live import notices_box
from seqviz.ui.setup import presenting

TICK_SECONDS = 0.4  # fragment period while playing, when the machine is not crowded
TICK_PER_RUN = 0.1  # ... plus this per playing run per core: a run sharing its core with nine
TICK_MAX = 1.5  # others makes ~1/10 the steps, so redrawing it as often would show nothing new
TICK_BUDGET = 0.3  # seconds of training compute per tick (pages that train in the tick)
FIRST_WAIT = 3.0  # seconds a page waits for a new run's first snapshot before polling for it


def is_playing(key: str) -> bool:
    return bool(st.session_state.get(f"{key}.playing", False))


def set_playing(key: str, value: bool) -> None:
    st.session_state[f"{key}.playing"] = bool(value)
    exp = st.session_state.get(f"{key}.exp")
    if isinstance(exp, LiveExperiment):
        exp.play() if value else exp.pause()


def sync_playing(key: str) -> bool:
    """The worker may pause a run by itself (a divergence, an error): follow it. A run paused
    because its page stopped polling plays on when the page polls again: the tab was only slow
    (a crowded server queues its reruns) or hidden, and its user never pressed Pause."""
    exp = st.session_state.get(f"{key}.exp")
    if isinstance(exp, LiveExperiment) and is_playing(key) and (exp.handle.idle_paused
                                                                 or not exp.handle.playing):
        # read again after ``playing``: the watchdog marks a run idle-paused before pausing it
        if exp.handle.idle_paused:
            exp.play()
        else:
            st.session_state[f"{key}.playing"] = False
    return is_playing(key)


def player_bar(key: str, on_step: Callable[[], None], on_reset: Callable[[], None]) -> bool:
    """Render the four buttons in one row; returns whether the page is playing."""
    playing = sync_playing(key)
    cols = st.columns([1, 1, 1, 3] if not presenting() else [1, 1, 1, 1])
    cols[0].button("⏸ " + _("Pause") if playing else "▶ " + _("Play"), key=f"{key}.play",
                   type="primary", on_click=set_playing, args=(key, not playing),
                   width="stretch")
    cols[1].button("⏭ " + _("Step"), key=f"{key}.step", on_click=on_step, width="stretch",
                   help=_("One training step (pauses first)."))
    cols[2].button("↺ " + _("Reset"), key=f"{key}.reset", on_click=on_reset, width="stretch",
                   help=_("Rebuild the model from the seed: same seed, same starting weights."))
    return is_playing(key)


def steps_per_second(key: str, step: int, window: float = 5.0) -> float:
    """Steps per second over the last ``window`` seconds of wall time (for a metric)."""
    marks = st.session_state.setdefault(f"{key}.rate_marks", [])
    now = time.time()
    marks.append((now, step))
    while len(marks) > 2 and now - marks[0][0] > window:
        marks.pop(0)
    (t0, s0), (t1, s1) = marks[0], marks[-1]
    return (s1 - s0) / (t1 - t0) if t1 > t0 and s1 >= s0 else 0.0


def live_panel(key: str, playing: bool, render: Callable[..., None]) -> None:
    """The page's live fragment. For a ``LiveExperiment``: each tick draws its latest snapshot.
    Otherwise: while playing, each tick trains ``st.session_state[key.exp]`` for
    ``TICK_BUDGET`` seconds, then ``render(key, exp, playing)`` redraws. A divergence pauses the
    page (a full rerun, so the Play button and the fragment's schedule update)."""
    if isinstance(st.session_state.get(f"{key}.exp"), LiveExperiment):
        _engine_panel(key, playing, render)
        return

    @st.fragment(run_every=TICK_SECONDS if playing else None)
    def panel() -> None:
        exp = st.session_state[f"{key}.exp"]
        now_playing = is_playing(key)
        if now_playing:
            stats = exp.trainer.train_for(TICK_BUDGET)
            if stats and stats[-1].diverged:
                set_playing(key, False)
                st.rerun(scope="app")
        render(key, exp, now_playing)

    panel()


def display_period() -> float:
    """Seconds between redraws of a playing page: short when few runs share the workers,
    longer when many do (drawing is server CPU that the training runs could have used)."""
    engine = shared_engine()
    per_core = engine.playing() / max(engine.size, 1)
    return min(TICK_MAX, max(TICK_SECONDS, TICK_PER_RUN * per_core))


def queue_notice(ahead: int | None) -> None:
    """Play pressed while the server trains as many runs as it can at full speed: say so, and
    how many sessions are ahead (the run starts by itself when its turn comes)."""
    if ahead is None:
        return
    st.info(ngettext("The server is training as many runs as it can at full speed. Yours "
                     "starts when a place is free: {n} session is ahead of you.",
                     "The server is training as many runs as it can at full speed. Yours "
                     "starts when a place is free: {n} sessions are ahead of you.",
                     ahead).format(n=ahead) if ahead > 0 else
            _("The server is training as many runs as it can at full speed. Yours is next "
              "and starts when a place is free."), icon="⏳")


def _engine_panel(key: str, playing: bool, render: Callable[..., None]) -> None:
    ss = st.session_state
    exp = ss[f"{key}.exp"]
    waiting = exp.snapshot() is None
    if waiting:  # a new run: its worker publishes the first snapshot within milliseconds
        try:
            exp.handle.wait(timeout=FIRST_WAIT)
            waiting = False
        except TimeoutError:  # the workers are still starting: poll until it is there
            pass

    stepping = exp.stepping()  # a Step slower than the click waits for (a large model)

    @st.fragment(run_every=display_period() if playing or waiting or stepping else None)
    def panel() -> None:
        exp = ss[f"{key}.exp"]
        snap = exp.snapshot()
        box = notices_box()  # the engine's own notices come and go: the charts keep their places
        with box:
            queue_notice(exp.handle.queue_position() if is_playing(key) else None)
        if snap is None:
            box.info(_("Starting the training worker… the charts appear in a moment."))
            return
        if waiting and not playing:
            st.rerun(scope="app")  # here at last: stop polling
        if stepping and not is_playing(key):
            if not exp.stepping():
                st.rerun(scope="app")  # the step is done: draw it, stop polling
            box.info(_("Training one step… a model this large takes a few seconds per step; "
                       "the charts update when it is done."), icon="⏳")
        if is_playing(key) and not sync_playing(key):
            st.rerun(scope="app")  # the worker paused the run: update the Play button
        render(key, exp, snap, is_playing(key))

    panel()


def step_and_reset(key: str, build: Callable[[], Any]) -> tuple[Callable[[], None], Callable[[], None]]:
    """Callbacks for the Step and Reset buttons: both pause first; Reset rebuilds from the seed."""

    def step() -> None:
        set_playing(key, False)
        st.session_state[f"{key}.exp"].step(1)

    def reset() -> None:
        set_playing(key, False)
        old = st.session_state.get(f"{key}.exp")
        st.session_state[f"{key}.exp"] = build()
        if isinstance(old, LiveExperiment):
            old.close()

    return step, reset
