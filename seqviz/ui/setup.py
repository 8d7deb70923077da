"""The one setup call every page starts with: page config, language, presenter mode, readable
type, torch threads, and the training engine's workers (started with the server by
``seqviz.ui.startup``; without it, e.g. under AppTest, by the first page any visitor opens, the
home page included)."""

from __future__ import annotations

import sys
import threading

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from seqviz import i18n
from seqviz.config import clipped
from seqviz.engine.pool import shared_engine
from seqviz.figures import style
from seqviz.i18n import _
from seqviz.ui.chart import preload as preload_charts
from seqviz.ui.catalog import sidebar_nav

_TORCH_READY = threading.Event()
LANG, PRESENT = "lang", "present"  # session-state keys and URL parameters

# Larger base type so a projected page reads from the back row.
_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 18px; }
[data-testid="stMetricValue"] { font-size: 2.0rem; }
/* seqviz.ui.chart.preload: loads Plotly.js, shows nothing (no gap in the sidebar) */
.st-key-seqviz-chart-preload { display: none; }
/* metric labels and deltas wrap instead of ending in "…" */
[data-testid="stMetricLabel"] .stMarkdownEllipsis, [data-testid="stMetricDelta"] .stMarkdownEllipsis,
[data-testid="stMetricLabel"] .stMarkdownEllipsis p, [data-testid="stMetricDelta"] .stMarkdownEllipsis p
  { white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stMetricDelta"] { height: auto; }
/* seqviz.ui.layout.text_block: st.code's look without its syntax highlighter */
pre.seqviz-mono { font-family: "Source Code Pro", monospace; font-size: 0.85em; line-height: 1.6;
  background: #f0f2f6; color: #31333f; border-radius: 0.5rem; padding: 1rem; margin: 0;
  white-space: pre; overflow-x: auto; }
pre.seqviz-mono.wrap { white-space: pre-wrap; overflow-wrap: anywhere; }
/* a page link that is its page's main action (Follow: Fork), drawn in a container keyed
   "primary-link-…": a primary button's colours */
[class*="st-key-primary-link"] a { background: rgb(197, 57, 72); border-radius: 0.5rem;
  padding: 0.25rem 1rem; }
[class*="st-key-primary-link"] a:hover { background: rgb(170, 40, 55); }
[class*="st-key-primary-link"] a * { color: #fff !important; font-weight: 600; }
</style>
"""
# Presenter mode: everything larger, nothing cut at 1024 x 768 (buttons and metric labels wrap
# instead of ending in "…").
_PRESENT_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 22px; }
/* the top padding clears Streamlit's header (82px) with room to spare */
[data-testid="stMainBlockContainer"] { padding: 3.8rem 1.2rem 4rem; max-width: 100%; }
/* the bottom padding offsets the -1rem margin Streamlit gives a heading's markdown block:
   without it the row of key controls covers the title's lower half */
[data-testid="stMain"] h1 { font-size: 1.7rem !important; padding: 0 0 1rem !important; }
[data-testid="stMetricLabel"] p { font-size: 0.95rem; }
[data-testid="stMetricValue"] { font-size: 1.6rem; }
[data-testid="stMetricDelta"] { font-size: 0.85rem; }
[data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 0.6rem; }
button p { white-space: normal; }
</style>
"""


def _session_value(name: str):
    """A setting of the session running this script (None outside a Streamlit script run)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    try:
        return st.session_state.get(name)
    except Exception:  # noqa: BLE001 - no session (e.g. a bare import in a test)
        return None


i18n.set_resolver(lambda: _session_value(LANG))
style.set_profile_resolver(lambda: "present" if _session_value(PRESENT) else "normal")


def _browser_language() -> str:
    """The visitor's browser language when it is Chinese, else English."""
    try:
        locale = (st.context.locale or "").lower()
    except Exception:  # noqa: BLE001 - AppTest has no browser
        locale = ""
    return "zh" if locale.startswith("zh") else i18n.DEFAULT


def _flag(raw: str) -> bool | None:
    low = raw.strip().lower()
    return True if low in ("1", "true", "yes", "on") else False if low in (
        "0", "false", "no", "off") else None


def _read_display_settings() -> None:
    """Language and presenter mode: the URL wins (a shared link opens as it was shared), then
    this session's choice, then the browser's language."""
    ss, params = st.session_state, st.query_params
    notices = ss.setdefault("display.notices", [])
    raw = params.get(LANG)
    if raw is not None:
        if raw in i18n.LANGUAGES:
            ss[LANG] = raw
        else:
            notices.append(("lang", clipped(raw, 20)))
    if LANG not in ss:
        ss[LANG] = _browser_language()
    raw = params.get(PRESENT)
    if raw is not None:
        flag = _flag(raw)
        if flag is None:
            notices.append(("present", clipped(raw, 20)))
        else:
            ss[PRESENT] = flag
    ss.setdefault(PRESENT, False)
    ss["display.w.lang"] = ss[LANG]
    ss["display.w.present"] = ss[PRESENT]


RELABEL, _DRAWN_LANG = "display.relabel", "display.drawn_lang"


def relabel(wk: str) -> str:
    """For a radio, select box or select slider whose labels are translated; returns ``wk``.

    Streamlit identifies such a widget's value by its label, and the browser sends the label it
    holds with every later interaction. After a language switch it holds the old language's
    label, which no option matches: a radio or select box would then return the label itself
    (a traceback, or a wrong setting) and a select slider its default. On the run that switches
    language, the value is set again from the session, so the browser receives the new label."""
    ss = st.session_state
    if ss.get(RELABEL) and wk in ss:
        ss[wk] = ss[wk]
    return wk


def _on_language() -> None:
    st.session_state[LANG] = st.session_state["display.w.lang"]
    st.query_params[LANG] = st.session_state[LANG]  # the link says it before the rerun


def _on_present() -> None:
    _set_presenting(bool(st.session_state["display.w.present"]))


def _set_presenting(on: bool) -> None:
    st.session_state[PRESENT] = on
    if on:
        st.query_params[PRESENT] = "1"
    elif PRESENT in st.query_params:
        del st.query_params[PRESENT]


def display_params() -> dict[str, str]:
    """The URL parameters that say how the page is shown (not what it computes)."""
    ss = st.session_state
    out = {LANG: ss.get(LANG, i18n.DEFAULT)}
    if ss.get(PRESENT):
        out[PRESENT] = "1"
    return out


LINK = "link"  # marks the app's own links to a setup (see state.page_config); never kept


def link_params(params: dict[str, str]) -> dict[str, str]:
    """``st.page_link``'s query parameters for a link to a setup (a lecture step, a preset):
    the setup, the display settings, and the mark that makes ``page_config`` take it as a link
    the user opened even in a session that already has the page."""
    return {**params, **display_params(), LINK: "1"}


def presenting() -> bool:
    return bool(st.session_state.get(PRESENT, False))


def _display_controls() -> None:
    sb = st.sidebar
    sb.radio("Language · 语言", list(i18n.LANGUAGES), key="display.w.lang",
             format_func=i18n.LANGUAGES.get, horizontal=True, on_change=_on_language)
    sb.toggle(_("Presenter mode"), key="display.w.present", on_change=_on_present,
              help=_("Large type, one chart per row and the main controls above the charts, "
                     "for a projector. Adds present=1 to the link."))
    for what, raw in st.session_state.pop("display.notices", []):
        if what == "lang":
            st.warning(_("Unknown language {value!r} in the link: showing {name}.").format(
                value=raw, name=i18n.LANGUAGES[st.session_state[LANG]]), icon="⚠️")
        else:
            st.warning(_("Ignored present={value!r} in the link: use present=1 or present=0."
                         ).format(value=raw), icon="⚠️")


def limit_threads() -> None:
    """``torch.set_num_threads(1)`` and one BLAS thread, once per process, once torch is in.

    Many sessions share one server process; one thread each keeps a busy lecture hall fair.
    The home page imports no torch: the limit is set by the first page that has imported it
    (or by the server's start-up, which imports the pages' modules)."""
    torch = sys.modules.get("torch")
    if torch is not None and not _TORCH_READY.is_set():
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(1)
        threadpool_limits(1, user_api="blas")  # numpy's BLAS threads fight on a busy 2-core box
        _TORCH_READY.set()


def warm() -> None:
    """Server start-up (``seqviz.ui.startup``): what the first ``setup_page`` would import.
    ``st.set_page_config`` with an emoji icon loads Streamlit's emoji table (0.2-0.4 s)."""
    import streamlit.emojis  # noqa: F401


def setup_page(title: str, icon: str = "🔁") -> None:
    """Page config (wide), language and presenter mode, house CSS, one torch thread, the
    engine, the sidebar links.

    ``title`` is the English source string (marked with ``N_``); it is translated here, once
    the language is known.
    """
    _read_display_settings()
    ss = st.session_state
    ss[RELABEL] = ss.get(_DRAWN_LANG, ss[LANG]) != ss[LANG]  # a switch (the radio or a link)
    ss[_DRAWN_LANG] = ss[LANG]
    present = presenting()
    st.set_page_config(page_title=f"{_(title)} · seqviz", page_icon=icon, layout="wide",
                       initial_sidebar_state="collapsed" if present else "auto")
    shared_engine()
    limit_threads()
    st.markdown(_CSS + (_PRESENT_CSS if present else ""), unsafe_allow_html=True)
    preload_charts()
    sidebar_nav()
    _display_controls()
