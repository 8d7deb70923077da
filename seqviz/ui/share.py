"""Follow the lecturer: share a page's live run, follow it read-only, fork it.

A training page makes one call, ``share_panel(key, page, render)``, after its experiment exists:
the sidebar gets a "Share this run live" switch; on, it shows a code, a link and a QR code
(``segno``) for the projector. The link opens the Follow page (``follow_page``), which draws the
shared run's snapshots with the page's own ``render`` (in the follower's language and presenter
settings), shows the lecturer's settings and their changes, and offers Fork: a paused copy of
the run in the follower's own session, on the lesson's page. Followers cost the server drawing
only (``seqviz.engine.share``), at a pace that slows as more follow (``follow_period``).
"""

from __future__ import annotations

import dataclasses
import io
import math
import secrets
import time
from typing import Any, Callable
from urllib.parse import urlsplit

import streamlit as st

from seqviz.data.uploads import text_id
from seqviz.engine.live import LiveExperiment
from seqviz.engine.pool import RunError, shared_engine
from seqviz.engine.share import (BALANCER_COOKIE, ENDED, EXPIRED, SESSION_ENDED, STOPPED,
                                 UNKNOWN, WAITING, Followed, Share, ShareRegistry, balancer_prefix,
                                 example_code, parse_code, shared_registry)
from seqviz.i18n import _, ngettext, pgettext
from seqviz.ui.catalog import page_title
from seqviz.ui.controls import held
from seqviz.ui.data import upload_store
from seqviz.ui.player import display_period
from seqviz.ui.setup import display_params, presenting
from seqviz.ui.state import widget_key

FOLLOW_PAGE = "pages/99_Follow.py"
FOLLOW_PATH = "Follow"  # the page's URL path (Streamlit names it after the file)
PARAM = "follow"  # ?follow=CODE
FORK_PARAM = "fork"  # a shareable page opened by the Fork link: ?fork=CODE
# Followers' redraws share one server process: each costs ~15 ms of its CPU (three charts,
# bench_follow.py). Their period grows with their number so all of them together use at most
# FOLLOW_SHARE of a core, and the training workers keep theirs.
FOLLOW_DRAW_S = 0.015
FOLLOW_SHARE = 0.5
FOLLOW_MAX_S = 5.0
MAX_CHANGES = 8  # the lecturer's latest setting changes a follower sees

_RENDERERS: dict[str, tuple[str, Callable[..., None]]] = {}  # page -> (key, render)
# A setting as a follower sees it: its label, and how its value reads (None: ``setting_value``).
Setting = tuple[str, Callable[[Any], str] | None]
_SETTINGS: dict[str, Callable[[], dict[str, str | Setting]]] = {}  # page -> its settings


def registry() -> ShareRegistry:
    return shared_registry(shared_engine())


def follow_period(followers: int, floor: float | None = None) -> float:
    """Seconds between a follower's redraws when ``followers`` follow (at least ``floor``, by
    default a playing page's own period)."""
    floor = display_period() if floor is None else floor
    return min(FOLLOW_MAX_S, max(floor, followers * FOLLOW_DRAW_S / FOLLOW_SHARE))


def setting_labels() -> dict[str, str]:
    """What the settings are called on the pages (config field -> translated label); the
    default of ``share_panel``'s ``settings`` (the language model's)."""
    return {"corpus": _("Corpus"), "level": _("Tokens"), "cell": _("Architecture"),
            "hidden_size": _("Hidden size H"), "num_layers": _("Layers"),
            "embed_size": _("Embedding size E"), "seq_len": _("Sequence length T (BPTT)"),
            "batch_size": _("Batch size B"), "optimizer": _("Optimiser"),
            "lr": _("Learning rate"), "clip": _("Gradient clipping"),
            "clip_threshold": _("Clip threshold"), "temperature": _("Temperature"),
            "seed": _("Seed")}


def setting_value(name: str, value: Any) -> str:
    """A setting's value as the pages' controls show it, translated: "GRU", "Adam", "by norm",
    "characters", a corpus's name; numbers in short form (0.003, 1e-05)."""
    from seqviz.data import CORPUS_NAMES

    named: dict[str, dict[Any, str]] = {
        "cell": {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM", "ff": _("FFNN")},
        "optimizer": {"adam": "Adam", "sgd": "SGD"},
        "clip": {"none": _("off"), "norm": _("by norm"), "value": _("by value")},
        "level": {"char": _("characters"), "word": _("words")},
        "corpus": {"upload": _("your own .txt file"),
                   **{c: _(n) for c, n in CORPUS_NAMES.items()}},
    }
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name in named and value in named[name]:
        return named[name][value]
    return f"{value:g}" if isinstance(value, float) else str(value)


# ---- the lecturer's side ------------------------------------------------------------------------
def follow_url(code: str) -> str:
    """The link a follower opens: this server's Follow page with the code."""
    base = ""
    try:
        parts = urlsplit(st.context.url or "")
        if parts.scheme and parts.netloc:
            base = f"{parts.scheme}://{parts.netloc}"
    except Exception:  # no browser context (AppTest)
        pass
    return f"{base}/{FOLLOW_PATH}?{PARAM}={code}"


@st.cache_data(max_entries=64, show_spinner=False)
def qr_png(text: str, scale: int = 8) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


@st.dialog(" ", width="large")
def _large_qr(code: str, url: str) -> None:
    st.image(qr_png(url, 16), width=560)
    st.markdown(f"## `{code}`")
    st.caption(url)


def _remaining(share: Share) -> str:
    minutes = max(0, math.ceil((share.expires - time.time()) / 60))
    return _("Ends in {h} h {m} min unless you stop it sooner.").format(h=minutes // 60,
                                                                       m=minutes % 60)


def share_panel(key: str, page: str, render: Callable[..., None], *, fork: bool = True,
                settings: Callable[[], dict[str, str | Setting]] = setting_labels) -> None:
    """A training page's share switch (sidebar), and while on: the code, link, QR code and
    followers. Binds the share to the page's current run on every rerun (a rebuild or Reset
    makes a new run; followers follow it). Also says when this session's run is a fork.
    ``render(key, exp, snap, playing)`` is the page's live panel's drawing; a follower's ``exp``
    is read-only (data attributes only). ``fork``: the page's run can be copied
    (``fork_state`` / ``load_fork_state``). ``settings()``: the config fields a follower sees
    in "The lecturer's settings", each as its translated label, or (label, how its value reads)
    where ``setting_value`` does not know the field's values."""
    _RENDERERS[page] = (key, render)
    _SETTINGS[page] = settings
    ss = st.session_state
    forked = ss.pop(f"{key}.forked", None)
    if forked is not None:
        st.toast(_("This is your copy of the lecturer's run at step {step}, paused: change "
                   "anything and press Play.").format(step=f"{forked:,}"), icon="🍴")
    exp = ss.get(f"{key}.exp")
    if not isinstance(exp, LiveExperiment):
        return
    store, switch = f"{key}.share", f"{key}.share.on"
    share: Share | None = ss.get(store)
    if switch not in ss:  # widget values are dropped on another page: keep the share on
        ss[switch] = share is not None
    sb = st.sidebar
    sb.header(_("Share live"))
    on = sb.toggle(_("Share this run live"), value=bool(held(switch, False)), key=switch,
                   help=_("Students open the link or scan the QR code and watch this run train, "
                          "read-only, on their own screens; each can fork it to experiment."))
    reg = registry()
    if not on:
        if share is not None:
            reg.stop(share)
            del ss[store]
        return
    if share is None:
        share = ss[store] = reg.create(exp.handle, exp, page=page, title=page, forkable=fork,
                                       balancer_cookie=st.context.cookies.get(BALANCER_COOKIE))
    reg.bind(share, exp.handle, exp)
    if share.ended is not None:
        sb.warning(_("This share has ended ({why}). Switch sharing off and on for a new "
                     "code.").format(why=ended_reason(share.ended)), icon="⏹️")
        return
    url = follow_url(share.code)
    sb.markdown(_("Code: **{code}**").format(code=share.code))
    sb.image(qr_png(url), width=220)
    sb.code(url, language=None, wrap_lines=True)
    n = share.following(time.time())
    sb.caption(ngettext("{n} student is following.", "{n} students are following.", n).format(
        n=n) + " " + _remaining(share))
    if sb.button(_("Show the QR code large"), key=f"{key}.share.large"):
        _large_qr(share.code, url)


def ended_reason(reason: str | None) -> str:
    return {STOPPED: _("the lecturer stopped sharing"),
            SESSION_ENDED: _("the lecturer's session ended"),
            EXPIRED: _("the share expired")}.get(reason or "", _("it ended"))


# ---- the follower's side --------------------------------------------------------------------------
def _page_settings(page: str) -> dict[str, Setting]:
    found = _SETTINGS.get(page, setting_labels)()
    return {name: (s, None) if isinstance(s, str) else s for name, s in found.items()}


def _shown(name: str, value: Any, fmt: Callable[[Any], str] | None) -> str:
    return fmt(value) if fmt is not None else setting_value(name, value)


def _settings(cfg: Any, page: str) -> list[tuple[str, str]]:
    settings = _page_settings(page)
    return [(settings[f.name][0], _shown(f.name, getattr(cfg, f.name), settings[f.name][1]))
            for f in dataclasses.fields(cfg) if f.name in settings]


def _track_changes(snap: Any, page: str) -> None:
    """Remember the lecturer's setting changes this follower has seen (newest first): the
    step and the field, so each shows in the follower's language when drawn."""
    cfg = getattr(snap.payload, "cfg", None) if snap is not None else None
    if cfg is None or not dataclasses.is_dataclass(cfg):
        return
    ss = st.session_state
    old = ss.get("follow.cfg")
    if old is not None and type(old) is type(cfg) and old != cfg:
        settings = _page_settings(page)
        for f in dataclasses.fields(cfg):
            a, b = getattr(old, f.name), getattr(cfg, f.name)
            if a != b and f.name in settings:
                ss.setdefault("follow.changes", []).insert(0, (snap.step, f.name, a, b))
        del ss["follow.changes"][MAX_CHANGES:]
    ss["follow.cfg"] = cfg


def _settings_panel(snap: Any, page: str) -> None:
    cfg = getattr(snap.payload, "cfg", None) if snap is not None else None
    if cfg is None or not dataclasses.is_dataclass(cfg):
        return
    settings = _page_settings(page)
    with st.expander(_("The lecturer's settings"), expanded=not presenting()):
        st.markdown(" · ".join(f"{label} **{value}**" for label, value in _settings(cfg, page)))
        for step, name, a, b in st.session_state.get("follow.changes", []):
            if name not in settings:
                continue
            label, fmt = settings[name]
            st.caption(_("Step {step}: {setting} changed from {old} to {new}").format(
                step=f"{step:,}", setting=label, old=_shown(name, a, fmt),
                new=_shown(name, b, fmt)))


def _status(seen: Followed) -> None:
    snap = seen.snapshot
    if seen.status == ENDED:
        st.warning(_("The shared run has ended: {why}. You are looking at its last view.")
                   .format(why=ended_reason(seen.reason)), icon="⏹️")
    elif seen.status == WAITING:
        st.info(_("The lecturer is rebuilding the model… the charts come back in a moment."),
                icon="⏳")
    elif snap is not None and snap.playing:
        st.success(_("Live: the lecturer's run is training (read-only)."), icon="🔴")
    else:
        st.info(_("Live: the lecturer's run is paused (read-only)."), icon="⏸️")


def claim_fork(key: str) -> None:
    """A shareable page's start, after its header and before its widgets (a message that the
    fork failed then comes under the page's title): the Follow page's Fork link opened it with
    ``?fork=CODE``. The shared run is copied into this session, paused, as this page's
    experiment (or the page says why it could not be), and the parameter leaves the URL.

    Fork is a link, so the browser changes page itself: it stops the Follow page's timed
    redraws before it asks for this page. A server-side ``st.switch_page`` left a redraw
    that the browser sent meanwhile to run after the new page, with the Follow page's id,
    and the browser then cleared the new page (a blank page, seen on a busy machine)."""
    if FORK_PARAM not in st.query_params:
        return
    raw = st.query_params.get(FORK_PARAM, "")
    del st.query_params[FORK_PARAM]
    code = parse_code(raw)
    with st.spinner(_("Copying the lecturer's run…")):
        failed = _fork(code, key) if code is not None else "gone"
    if failed == "upload":
        st.error(_("The run trains on an uploaded file that this server no longer has, so it "
                   "cannot be copied. You can go on following it."), icon="⚠️")
    elif failed:
        st.error(_("The run could not be copied (the share may just have ended). Try again."),
                 icon="⚠️")
    if failed and code is not None:
        st.page_link(FOLLOW_PAGE, label=_("Back to the lecturer's run"), icon="👀",
                     query_params={PARAM: code, **display_params()})


def _fork(code: str, key: str) -> str | None:
    """Copy the shared run ``code`` into this session as page ``key``'s experiment, paused;
    None, or why not: "gone" (no such run, or not one of this page's), "upload"."""
    ss = st.session_state
    share = registry().get(code)
    if share is None or _RENDERERS.get(share.page, (None,))[0] != key:
        return "gone"
    try:
        handle, mine = registry().fork(code)
        snap = handle.wait(timeout=30)
    except (LookupError, RunError, TimeoutError, AttributeError):
        return "gone"
    if not _fork_upload(key, mine):
        mine.close()
        return "upload"
    old = ss.get(f"{key}.exp")
    ss[f"{key}.exp"], ss[f"{key}.config"], ss[f"{key}.playing"] = mine, mine.cfg, False
    for f in dataclasses.fields(mine.cfg):
        ss[widget_key(key, f.name)] = getattr(mine.cfg, f.name)
    ss.pop(f"{key}.written", None)
    ss[f"{key}.forked"] = snap.step
    if isinstance(old, LiveExperiment):
        old.close()
    return None


def _fork_upload(key: str, mine: LiveExperiment) -> bool:
    """A fork of a run on an uploaded text: the text into this session (which never saw the
    upload) and back into the server's store, so the fork's page trains on it and the fork's
    link reopens it on this server. The text comes with the run (its ``upload_text``), else
    from the store; False when the run names a text that neither has (the fork would lose it)."""
    wanted = getattr(mine.cfg, "upload", "")  # the text's id, on pages whose links name it
    text = mine.handle.kwargs.get("upload_text")
    if not isinstance(text, str) or (wanted and text_id(text) != wanted):
        text = upload_store().get(wanted) if wanted else None
    if text is None:
        return not wanted
    upload_store().put(text)
    ss = st.session_state
    ss[f"{key}.upload_text"], ss[f"{key}.upload_error"] = text, None
    ss.pop(f"{key}.upload_missing", None)
    return True


def _ask_code(bad: str | None) -> None:
    if bad:
        prefix = registry().replica or balancer_prefix(st.context.cookies.get(BALANCER_COOKIE))
        st.error(_("“{code}” is not a share code: a code looks like {example} (letters and "
                   "digits from the lecturer's screen).").format(
                       code=bad[:40], example=example_code(prefix)), icon="⚠️")
    with st.form("follow.form", border=False):
        typed = st.text_input(_("Code from the lecturer's screen"), max_chars=40)
        if st.form_submit_button(_("Follow"), type="primary"):
            st.query_params[PARAM] = typed.strip()[:40]
            st.rerun()


def follow_page() -> None:
    """The Follow page: ``?follow=CODE`` draws the shared run; no code, a box to type it."""
    ss = st.session_state
    raw = st.query_params.get(PARAM, "")
    code = parse_code(raw)
    if code is None:
        _ask_code(raw or None)
        return
    if ss.get("follow.code") != code:  # a new share: forget the last one's view
        for name in ("follow.cfg", "follow.changes", "follow.context", "follow.ended"):
            ss.pop(name, None)
        ss["follow.code"] = code
    follower = ss.setdefault("follow.id", secrets.token_hex(8))
    seen = registry().follow(code, follower)
    owner, here = (code.split("-")[0] if "-" in code else ""), registry().replica
    if seen.status == UNKNOWN and owner and here and owner != here:
        # typed here, or the load balancer did not route the link: a real page load lets it
        st.info(_("This run is on another server of the class."), icon="🔀")
        st.link_button(_("Open the lecturer's run"), follow_url(code), type="primary")
        return
    if seen.status == UNKNOWN or seen.page not in _RENDERERS:
        st.error(_("No shared run has the code {code} on this server: it may have ended long "
                   "ago or been mistyped.").format(code=code), icon="🔍")
        _ask_code(None)
        return
    key, render = _RENDERERS[seen.page]
    st.subheader(_("Following the lecturer: {page}").format(page=page_title(seen.page)))
    if seen.forkable:
        with st.container(key="primary-link-fork"):
            st.page_link(seen.page, label="🍴 " + pgettext("verb", "Fork"),
                         query_params={FORK_PARAM: code, **display_params()},
                         help=_("Copy the run as it is now (weights, optimiser, step, history, "
                                "settings) into your own session, paused. The lecturer's run "
                                "is not touched."))
    ended = seen.status == ENDED

    @st.fragment(run_every=None if ended else follow_period(_following(code)))
    def live() -> None:
        now = registry().follow(code, follower)
        if now.context is not None:
            ss["follow.context"] = now.context
        if now.status == ENDED and not ss.get("follow.ended"):
            ss["follow.ended"] = True
            st.rerun(scope="app")  # stop ticking, hide Fork
        _status(now)
        _track_changes(now.snapshot, seen.page)
        _settings_panel(now.snapshot, seen.page)
        context = ss.get("follow.context")
        if now.snapshot is not None and context is not None:
            try:
                render(f"follow.{key}", context, now.snapshot, now.snapshot.playing)
            except AttributeError:  # a chart that needs the run itself, not its snapshot
                st.info(_("Some of this page's charts are only shown to the lecturer."),
                        icon="ℹ️")

    live()


def _following(code: str) -> int:
    share = registry().get(code)
    return share.following(time.time()) if share is not None else 1
