"""Config widgets: each renders one config field under a stable key seeded from the config."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import streamlit as st

from seqviz.ui.state import widget_key


def _with_current(options: Sequence[Any], current: Any) -> list[Any]:
    """The options, plus the current value in sorted place if a link asked for another one."""
    opts = list(options)
    if current not in opts:
        opts = sorted(opts + [current]) if all(isinstance(o, (int, float)) for o in opts) \
            else opts + [current]
    return opts


def select(key: str, name: str, label: str, options: Sequence[Any], *, where=st.sidebar,
           fmt: Callable[[Any], str] = str, horizontal: bool = False, help: str | None = None):
    wk = widget_key(key, name)
    opts = _with_current(options, st.session_state.get(wk, options[0]))
    if horizontal:
        return where.radio(label, opts, key=wk, format_func=fmt, horizontal=True, help=help)
    return where.selectbox(label, opts, key=wk, format_func=fmt, help=help)


def ladder(key: str, name: str, label: str, options: Sequence[Any], *, where=st.sidebar,
           fmt: Callable[[Any], str] = lambda v: f"{v:g}", help: str | None = None):
    """A select_slider over a (log-spaced) ladder of values."""
    wk = widget_key(key, name)
    opts = _with_current(options, st.session_state.get(wk, options[0]))
    return where.select_slider(label, opts, key=wk, format_func=fmt, help=help)


def integer(key: str, name: str, label: str, lo: int, hi: int, *, where=st.sidebar,
            help: str | None = None):
    return where.number_input(label, min_value=lo, max_value=hi, step=1,
                              key=widget_key(key, name), help=help)
