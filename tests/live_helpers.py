"""Live runs for page tests: the LM page's run, opened on this process's engine."""

from __future__ import annotations

from seqviz.engine.pool import shared_engine
from seqviz.lm.config import LMConfig
from seqviz.lm.live import LiveLM, text_data_for


def live_lm(cfg: LMConfig, steps: int = 0, timeout: float = 120.0) -> LiveLM:
    """What the LM page keeps in ``st.session_state["lm.exp"]``, trained ``steps`` steps."""
    live = LiveLM.open(shared_engine(), cfg, text_data_for(cfg, None), [])  # the worker's data
    live.handle.wait(timeout=timeout)
    if steps:
        live.handle.wait_acked(live.handle.step(steps), timeout=timeout)
    return live
