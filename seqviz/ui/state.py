"""Per-session page state: the config copy, URL sync and widget seeding.

Streamlit drops widget values when the user visits another page, and sidebar navigation clears
the query string, so each page keeps its config in a non-widget session-state entry, seeds its
widgets from it, and writes it back to the URL so the address bar is always a working link.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

import streamlit as st

from seqviz.config import from_query, to_query

C = TypeVar("C")


def page_config(cls: type[C], key: str) -> C:
    """The page's config: from the URL when it carries one, else the session copy.

    Sidebar navigation clears the query string, so an empty one means "keep what this session
    had". A non-empty one that differs from the session copy is a link the user opened (a preset
    on the home page, a pasted link): it wins, and the widgets are reset to it.
    """
    store = f"{key}.config"
    params = st.query_params.to_dict()
    current = st.session_state.get(store)
    if current is None or (params and params != to_query(current)):
        cfg, notices = from_query(cls, params)
        st.session_state[store] = cfg
        st.session_state[f"{key}.notices"] = notices
        if current is not None:
            for f in fields(cfg):
                st.session_state[widget_key(key, f.name)] = getattr(cfg, f.name)
    return st.session_state[store]


def show_notices(key: str) -> None:
    """Shows (once) the notices produced while parsing the URL."""
    for note in st.session_state.pop(f"{key}.notices", []):
        st.warning(note, icon="⚠️")


def store_config(key: str, cfg: Any) -> None:
    st.session_state[f"{key}.config"] = cfg
    publish(cfg)


def publish(cfg: Any) -> None:
    """Write the config to the URL (only when it differs, to avoid needless browser updates)."""
    wanted = to_query(cfg)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def widget_key(key: str, name: str) -> str:
    return f"{key}.w.{name}"


def seed_widgets(key: str, cfg: Any) -> None:
    """Give every config widget its value from the session copy when Streamlit has dropped it."""
    for f in fields(cfg):
        wk = widget_key(key, f.name)
        if wk not in st.session_state:
            st.session_state[wk] = getattr(cfg, f.name)


def widget_values(key: str, cfg: Any) -> dict[str, Any]:
    """The current widget value of every config field (the config's value if it has no widget)."""
    return {f.name: st.session_state.get(widget_key(key, f.name), getattr(cfg, f.name))
            for f in fields(cfg)}


def open_config(cls: type[C], key: str, *, seed: bool = True) -> C:
    """Every page's start: its config (URL or session copy), the URL notices, seeded widgets.

    A page that must adjust the config first (e.g. resolve a model name) passes ``seed=False``
    and calls ``seed_widgets`` itself.
    """
    cfg = page_config(cls, key)
    show_notices(key)
    if seed:
        seed_widgets(key, cfg)
    return cfg
