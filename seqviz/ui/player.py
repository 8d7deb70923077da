"""Play / Pause / Step / Reset: buttons outside the live fragment, a flag in session state.

The live panel itself is an ``st.fragment(run_every=...)`` that each page defines; it ticks only
while the page's ``playing`` flag is set. Buttons use callbacks so the label and the fragment's
schedule are right on the same rerun.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import streamlit as st

TICK_SECONDS = 0.4  # fragment period while playing
TICK_BUDGET = 0.3  # seconds of training compute per tick (redrawing takes ~0.1 s more)


def is_playing(key: str) -> bool:
    return bool(st.session_state.get(f"{key}.playing", False))


def set_playing(key: str, value: bool) -> None:
    st.session_state[f"{key}.playing"] = bool(value)


def player_bar(key: str, on_step: Callable[[], None], on_reset: Callable[[], None]) -> bool:
    """Render the four buttons in one row; returns whether the page is playing."""
    playing = is_playing(key)
    cols = st.columns([1, 1, 1, 3])
    cols[0].button("⏸ Pause" if playing else "▶ Play", key=f"{key}.play", type="primary",
                   on_click=set_playing, args=(key, not playing), width="stretch")
    cols[1].button("⏭ Step", key=f"{key}.step", on_click=on_step, width="stretch",
                   help="One training step (pauses first).")
    cols[2].button("↺ Reset", key=f"{key}.reset", on_click=on_reset, width="stretch",
                   help="Rebuild the model from the seed: same seed, same starting weights.")
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


def live_panel(key: str, playing: bool, render: Callable[[str, Any, bool], None]) -> None:
    """The recipe's fragment: while playing, each tick trains ``st.session_state[key.exp]`` for
    ``TICK_BUDGET`` seconds, then ``render(key, exp, playing)`` redraws. A divergence pauses the
    page (a full rerun, so the Play button and the fragment's schedule update)."""

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


def step_and_reset(key: str, build: Callable[[], Any]) -> tuple[Callable[[], None], Callable[[], None]]:
    """Callbacks for the Step and Reset buttons: both pause first; Reset rebuilds from the seed."""

    def step() -> None:
        set_playing(key, False)
        st.session_state[f"{key}.exp"].step(1)

    def reset() -> None:
        set_playing(key, False)
        st.session_state[f"{key}.exp"] = build()

    return step, reset
