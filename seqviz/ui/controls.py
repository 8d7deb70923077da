"""Config widgets: each renders one config field under a stable key seeded from the config."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence, TypeVar

import streamlit as st

from seqviz.data import CorpusError, decode_upload
from seqviz.ui.state import widget_key

C = TypeVar("C")


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


def text_upload(key: str, label: str, *, where=st.sidebar) -> None:
    """A .txt uploader. Each new file is decoded once; its text, or the reason it was refused,
    is kept in session state (``{key}.upload_text`` / ``{key}.upload_error``) across reruns."""
    ss = st.session_state
    upload = where.file_uploader(label, type=["txt"], key=f"{key}.upload")
    if upload is not None and ss.get(f"{key}.upload_name") != (upload.name, upload.size):
        ss[f"{key}.upload_name"] = (upload.name, upload.size)
        try:
            ss[f"{key}.upload_text"], ss[f"{key}.upload_error"] = \
                decode_upload(upload.getvalue()), None
        except CorpusError as err:
            ss[f"{key}.upload_text"], ss[f"{key}.upload_error"] = None, str(err)


def resolve_upload(key: str, old: C, new: C, default: str, who: str) -> tuple[C, str | None]:
    """The config to use while ``new.corpus == "upload"``, and the uploaded text (or None).

    A refused file shows its reason; with no usable text yet, ``who`` keeps training on the
    previous corpus (``default`` if that was the upload too), so the running model is not lost.
    """
    text = st.session_state.get(f"{key}.upload_text")
    if new.corpus != "upload":
        return new, text
    if st.session_state.get(f"{key}.upload_error"):
        st.sidebar.error(st.session_state[f"{key}.upload_error"])
    if not text:
        keep = old.corpus if old.corpus != "upload" else default
        st.info(f"Choose a .txt file in the sidebar to train on your own text. Meanwhile "
                f"{who} keeps training on **{keep}**.")
        new = dataclasses.replace(new, corpus=keep)
    return new, text
