"""Every plotly chart of a page is drawn by ``chart()``, so a session's first look can paint
its first chart sooner.

Why: Streamlit's browser code loads Plotly (a 4.7 MB chunk) only when a page's first chart
arrives, and then draws every chart that has arrived meanwhile in one go. On a page with six
charts the first one appears only when all six are drawn (0.5 s on this project's machine,
against 0.1 s for one). So a session's full runs draw only their first ``SHOWN`` charts and
put a placeholder of the same height where each other one goes, until a small probe (an
``st.components.v2`` element, hidden) has seen a chart painted while a placeholder waits: it
then asks for a rerun, which draws them all, and so does every later run of the session. A
page that draws no more than ``SHOWN`` charts is not rerun. If a placeholder waits
``FALLBACK_MS`` with no chart painted (its chart in a part of the page the browser does not
draw), the probe asks for the rerun all the same.

Session keys: ``charts.painted`` (the probe has answered), ``charts.deferring`` (this full
run draws a first look) and ``charts.drawn`` (charts drawn by this run)."""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

SHOWN = 1  # charts drawn in full on a first look
FALLBACK_MS = 3000  # the probe asks for the rerun after this long if no chart has been painted
PAINTED, DEFERRING, DRAWN = "charts.painted", "charts.deferring", "charts.drawn"
PROBE_KEY = "seqviz_first_look"  # class st-key-seqviz_first_look: hidden by setup's CSS

# The probe: once the page holds a placeholder, waits for a chart's SVG to be in the page, lets
# two frames go by (the one that paints it and the next), then sets its trigger, which reruns
# the script. A page that holds no placeholder (it drew all its charts) is not rerun.
_PROBE_JS = """
export default function ({ data, setTriggerValue }) {
  let done = false, timer = null;
  const fire = (why) => {
    if (done) return;
    done = true;
    document.documentElement.dataset.seqvizFirstLook = why;  // for tests: how it ended
    observer.disconnect();
    clearTimeout(timer);
    setTriggerValue("painted", why);
  };
  const check = () => {
    if (done || !document.querySelector(".seqviz-later")) return;
    if (document.querySelector('[data-testid="stPlotlyChart"] .main-svg')) {
      observer.disconnect();
      requestAnimationFrame(() => requestAnimationFrame(() => fire("chart")));
    } else if (timer === null) {
      timer = setTimeout(() => fire("timeout"), data.fallback_ms);
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, { childList: true, subtree: true });
  check();
  return () => { observer.disconnect(); clearTimeout(timer); };
}
"""
_probe = None


def begin(charts: bool = True) -> None:
    """Called at the top of every full run (``setup_page``). ``charts``: whether the page may
    draw charts (the home page draws none, so it never waits for one)."""
    global _probe
    ss = st.session_state
    ss[DRAWN] = 0
    ss[DEFERRING] = charts and not ss.get(PAINTED)
    if not ss[DEFERRING]:
        if charts:  # holds the probe's place: the elements after it keep their positions, so
            st.empty()  # the chart already painted is not drawn again when the probe goes
        return
    if _probe is None:
        _probe = st.components.v2.component("seqviz.first_look", js=_PROBE_JS)
    _probe(key=PROBE_KEY, data={"fallback_ms": FALLBACK_MS}, on_painted_change=_painted)


def _painted() -> None:
    st.session_state[PAINTED] = True


def _fragment_run() -> bool:
    ctx = get_script_run_ctx()
    return bool(ctx and ctx.fragment_ids_this_run)


def chart(where: Any, fig: Any, *, key: str, **kwargs: Any) -> Any:
    """``where.plotly_chart(fig, key=key, **kwargs)`` (``where``: ``st``, a column, a
    container), or on a first look past its first ``SHOWN`` charts a placeholder of the
    chart's height (returns None then, as no selection can have been made)."""
    ss = st.session_state
    if ss.get(DEFERRING) and not ss.get(PAINTED) and not _fragment_run():
        ss[DRAWN] = ss.get(DRAWN, 0) + 1
        if ss[DRAWN] > SHOWN:
            where.markdown(f'<div class="seqviz-later" style="height:{_height(fig)}px"></div>',
                           unsafe_allow_html=True)
            return None
    return where.plotly_chart(fig, key=key, **kwargs)


def _height(fig: Any) -> int:
    """The figure's height in pixels (plotly's default, 450, when it sets none)."""
    spec = getattr(fig, "_spec", None)  # seqviz.ui.live.PreparedFigure: a finished dict
    height = spec.get("layout", {}).get("height") if spec is not None else fig.layout.height
    return int(height or 450)
