"""Play / Pause / Step / Reset: buttons outside the live fragment, a flag in session state.

The live panel itself is an ``st.fragment(run_every=...)`` that each page defines; it ticks only
while the page's ``playing`` flag is set. Buttons use callbacks so the label and the fragment's
schedule are right on the same rerun.
"""

from __future__ import annotations

from typing import Callable

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
