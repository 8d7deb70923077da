"""Tabs whose open tab is a config field, of which a page draws only the open one.

``st.tabs(on_change=...)`` tells which tab is open, so a page can skip drawing the closed ones
(the page opens sooner; a live tick redraws one tab). The open tab is also a field of the page's
config (``tab=gates`` in the link): a lecture step's link opens the tab it talks about and a
share link reopens it. Streamlit identifies a tab by its label, which changes with the
language; the field holds the tab's id, so a language switch keeps the open tab.

Session keys, for a page ``key`` and a field ``name``: ``{key}.{name}`` is the tabs widget (the
open tab's label), ``{key}.w.{name}`` the config field's value (the tab's id), and
``{key}.{name}.drawn`` the (id, label) the last run drew.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import streamlit as st

from seqviz.i18n import _
from seqviz.ui.state import keep_widget_values, sync_url, widget_key


def config_tabs(key: str, name: str, labels: Mapping[str, str], where: Any = None,
                keep: Sequence[str] = ()) -> tuple[list, int]:
    """The tabs (``labels``: tab id -> English label, in order) and the open one's index; draw
    only ``tabs[index]``.

    ``keep``: the session keys of widgets drawn in one tab. A widget that a run does not draw
    loses its value at the run's end (Streamlit drops it): a typed word or a chosen unit would
    reset whenever the student looks at another tab. Writing each value back makes it the
    session's own (Streamlit's documented way to keep a widget's value across runs that do not
    draw it)."""
    ss, ids = st.session_state, list(labels)
    keep_widget_values(keep)
    shown = [_(labels[t]) for t in ids]
    want = ss.get(widget_key(key, name), ids[0])  # the config's tab: a link sets it
    clicked, drawn = ss.get(f"{key}.{name}"), ss.get(f"{key}.{name}.drawn")
    if clicked in shown and drawn is not None and clicked != drawn[1]:
        want = ids[shown.index(clicked)]  # a click (also written by ``_on_tab``)
    if want not in ids:
        want = ids[0]
    ss[f"{key}.{name}"] = shown[ids.index(want)]
    tabs = (where or st).tabs(shown, key=f"{key}.{name}", on_change=_on_tab,
                              args=(key, name, ids, shown))
    i = next((t for t in range(len(tabs)) if tabs[t].open), ids.index(want))
    if ss.get(widget_key(key, name)) != ids[i]:  # a tab opened other than by a click
        ss[widget_key(key, name)] = ids[i]
        sync_url(key)  # the page stored its config before its tabs: the URL names the tab now
    ss[f"{key}.{name}.drawn"] = (ids[i], shown[i])
    return tabs, i


def _on_tab(key: str, name: str, ids: list[str], shown: list[str]) -> None:
    """A tab click: the address bar names the tab at once (a rerun of a fragment, where a
    page's tabs may be, does not write the URL), so a link copied now reopens it."""
    ss = st.session_state
    if ss.get(f"{key}.{name}") in shown:
        ss[widget_key(key, name)] = ids[shown.index(ss[f"{key}.{name}"])]
        sync_url(key)
