"""Per-session page state: the config copy, URL sync and widget seeding.

Streamlit drops widget values when the user visits another page, and sidebar navigation clears
the query string, so each page keeps its config in a non-widget session-state entry, seeds its
widgets from it, and writes it back to the URL so the address bar is always a working link.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from dataclasses import fields
from typing import Any, Callable, Iterable, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from seqviz.config import check, from_query, rebuild_changes, to_query
from seqviz.data import CorpusError
from seqviz.i18n import _
from seqviz.ui.setup import LINK, display_params

C = TypeVar("C")


def page_config(cls: type[C], key: str,
                notes: Callable[[C, dict[str, str]], list[str]] | None = None) -> C:
    """The page's config: from the URL when it carries one, else the session copy.

    Sidebar navigation clears the query string, so an empty one means "keep what this session
    had". A non-empty one that differs from both the session copy and what this page last
    wrote to the URL (``sync_url`` writes it from a widget's callback, before the script has
    stored the new config) wins, and the widgets are reset to it, when it is a link the user
    opened: a new session's (a pasted link), one of the app's own links (a home-page preset, a
    lecture step: ``link_params`` marks them) or the browser's Back and Forward. Any other is
    an address the browser sent before the page's last change had reached it (a click on Play
    a moment after a slider moved): the session keeps its settings and writes them again.
    ``notes(cfg, params)`` adds the page's own notices about a link it opens (e.g. settings a
    bundled model overrides).
    """
    store = f"{key}.config"
    force_widgets(key)
    params = config_params()
    current = st.session_state.get(store)
    written = st.session_state.get(f"{key}.written")
    opened = _opened()
    if LINK in st.query_params:
        del st.query_params[LINK]
    differs = current is None or (bool(params) and params != to_query(current)
                                  and params != written)
    if differs and current is not None and not opened:
        publish(current, key)  # a stale address: the address bar shows the settings again
    elif differs:
        cfg, notices = from_query(cls, params)
        if notes is not None:
            notices = [*notices, *notes(cfg, params)]
        st.session_state[store] = cfg
        st.session_state[f"{key}.notices"] = notices
        if current is not None:
            # what the running experiment was built from: ``rebuild_or_apply`` compares the
            # link's settings with it (the stored config is the link's now)
            st.session_state[f"{key}.replaced"] = current
            for f in fields(cfg):
                st.session_state[widget_key(key, f.name)] = getattr(cfg, f.name)
            # against a playing page's ticks sent before the link
            force_widgets(key, cfg, {f.name: getattr(current, f.name) for f in fields(current)})
    return st.session_state[store]


def forced_key(key: str) -> str:
    return f"{key}.forced"


FORCED_HOLD_S = 5.0  # seconds a forced config is held against the browser's values


def force_widgets(key: str, cfg: Any = None, before: dict[str, Any] | None = None) -> None:
    """Hold the page's config widgets at ``cfg`` (a re-opened checkpoint's settings,
    ``seqviz.ui.export``, or a link's) from the next run on, against their values ``before``
    (field -> value; by default the widgets' values now), for ``FORCED_HOLD_S`` and until a
    run finds them unchanged.

    Called with no ``cfg`` at the start of every page run (``page_config``). Setting a
    widget's value once is not enough while a fragment ticks (a playing page, or Embeddings'
    map settling after the re-open): a tick's request carries the browser's widget values from
    before the change, and they overwrote it, so the page rebuilt the model it had before
    (walk and browser test, 2026-12-06). Only a widget back at its value from before is set
    again: one the user has moved elsewhere since keeps the user's value."""
    ss = st.session_state
    if cfg is not None:
        if before is None:
            before = {f.name: ss.get(widget_key(key, f.name)) for f in fields(cfg)}
        ss[forced_key(key)] = (cfg, before, time.monotonic())
        return
    held = ss.get(forced_key(key))
    if held is None:
        return
    cfg, before, since = held
    stale = {widget_key(key, f.name): getattr(cfg, f.name) for f in fields(cfg)
             if ss.get(widget_key(key, f.name)) == before.get(f.name) != getattr(cfg, f.name)}
    if not stale and time.monotonic() - since >= FORCED_HOLD_S:
        ss.pop(forced_key(key))  # the browser has had them long enough: the user's again
        return
    for k, v in stale.items():
        ss[k] = v


def show_notices(key: str) -> None:
    """Shows (once) the notices produced while parsing the URL."""
    for note in st.session_state.pop(f"{key}.notices", []):
        st.warning(note, icon="⚠️")


def store_config(key: str, cfg: Any) -> None:
    st.session_state[f"{key}.config"] = cfg
    publish(cfg, key)


DISPLAY_PARAMS = ("lang", "present")  # how a page is shown, not what it computes


def config_params() -> dict[str, str]:
    """The URL's query parameters without the display ones (language, presenter mode) and the
    link mark."""
    return {k: v for k, v in st.query_params.to_dict().items()
            if k not in DISPLAY_PARAMS and k != LINK}


def _opened() -> bool:
    """Whether this run's address is one the user opened in this session: one of the app's
    own links, or the browser's Back or Forward."""
    ctx = get_script_run_ctx()
    return LINK in st.query_params or bool(getattr(ctx, "is_history_navigation", False))


def publish(cfg: Any, key: str | None = None) -> None:
    """Write the config and the display settings to the URL (only when they differ, to avoid
    needless browser updates)."""
    if key is not None:
        st.session_state[f"{key}.written"] = to_query(cfg)
    wanted = {**to_query(cfg), **display_params()}
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def sync_url(key: str) -> None:
    """A config widget's ``on_change``: the address bar shows the new settings at once, before
    the rerun rebuilds anything, so a link copied right after a change is the new experiment.
    (The rerun then stores the config and publishes it again, corrected if it was refused.)"""
    cfg = st.session_state.get(f"{key}.config")
    if cfg is None:
        return
    new = dataclasses.replace(cfg, **widget_values(key, cfg))
    if not check(new):
        publish(new, key)


def widget_key(key: str, name: str) -> str:
    return f"{key}.w.{name}"


def seed_widgets(key: str, cfg: Any) -> None:
    """Give every config widget its value from the session copy when Streamlit has dropped it."""
    for f in fields(cfg):
        wk = widget_key(key, f.name)
        if wk not in st.session_state:
            st.session_state[wk] = getattr(cfg, f.name)


def keep_widget_values(widget_keys: Iterable[str]) -> None:
    """Write each widget's value back to session state: Streamlit drops the value of a widget
    that a run does not draw (a closed tab's or a collapsed group's), and a value written back
    is the session's own and survives (Streamlit's documented way to keep it)."""
    ss = st.session_state
    for wk in widget_keys:
        if wk in ss:
            ss[wk] = ss[wk]


def widget_values(key: str, cfg: Any) -> dict[str, Any]:
    """The current widget value of every config field (the config's value if it has no widget)."""
    return {f.name: st.session_state.get(widget_key(key, f.name), getattr(cfg, f.name))
            for f in fields(cfg)}


def open_config(cls: type[C], key: str, *, seed: bool = True,
                notes: Callable[[C, dict[str, str]], list[str]] | None = None) -> C:
    """Every page's start: its config (URL or session copy), the URL notices, seeded widgets.

    A page that must adjust the config first (e.g. resolve a model name) passes ``seed=False``
    and calls ``seed_widgets`` itself.
    """
    cfg = page_config(cls, key, notes)
    show_notices(key)
    if seed:
        seed_widgets(key, cfg)
    return cfg


def checked(cfg: C, new: C) -> C:
    """``new`` when every setting is valid; else an error on the page and the old ``cfg``."""
    problems = check(new)
    if problems:
        st.error(_("Invalid setting: {problems}").format(problems="; ".join(problems)))
        return cfg
    return new


def rebuild_or_apply(key: str, cfg: C, new: C, build: Callable[[C], Any], what: str, *,
                     fallback: Callable[[C], C] | None = None, busy: str | None = None,
                     labels: Callable[[], dict] | None = None) -> tuple[Any, C]:
    """The page's experiment (``session_state[key.exp]``) for ``new``; returns (it, config kept).

    A change to a rebuild field builds it again (a toast names the fields by their labels on
    the page: ``labels()``, config field -> translated label or (label, how its value reads),
    as the share panel's ``settings``); live fields go to
    ``apply_live`` of the running one. With ``fallback``, text that cannot be trained on
    (``CorpusError``) is reported: the first build retries with ``fallback(new)``, a later one
    keeps the running experiment and the old values of the fields that changed.
    """
    ss = st.session_state
    exp = ss.get(f"{key}.exp")
    # A link opened in this session (a lecture step, a home preset) replaced the stored config
    # before this run: the running experiment is still the one built from the config it
    # replaced, so that is what a change is measured against (else the new settings showed
    # beside the old model's charts).
    built_from = ss.pop(f"{key}.replaced", None)
    base = built_from if built_from is not None else cfg
    changed = rebuild_changes(base, new) if exp is not None else ["start"]
    if changed:
        try:
            with st.spinner(busy) if busy else contextlib.nullcontext():
                built = build(new)
        except CorpusError as err:
            if fallback is None:
                raise
            st.error(_("Cannot train on this text: {reason}").format(reason=err))
            if exp is None:
                new = fallback(new)
                built = build(new)
            else:
                new, built = dataclasses.replace(new, **{f: getattr(base, f) for f in changed}), None
        if built is not None:
            if exp is not None:
                named = labels() if labels is not None else {}
                shown = [(lambda n: n[0] if isinstance(n, tuple) else n)(named.get(f, f))
                         for f in changed]
                st.toast(_("{what} rebuilt because {fields} changed.").format(
                    what=what, fields=", ".join(shown)))
                close = getattr(exp, "close", None)  # an engine run: free its worker slot
                if close is not None:
                    close()
            exp = ss[f"{key}.exp"] = built
    if exp.cfg != new:
        exp.apply_live(new)
    store_config(key, new)
    return exp, new
