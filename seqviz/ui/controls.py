"""Config widgets: each renders one config field under a stable key seeded from the config.

Each is also given the field's current value as its default (``value=`` / ``index=``). The
value it shows comes from the session, as before; the default is what the browser falls back
on for a widget it draws for the first time on a run that does not send the value again. That
happens when a user acts before the browser has drawn the whole page (a busy machine): the
browser asks for a rerun without the widgets it has not drawn yet, and draws them from the
rerun's elements. With Streamlit's default default (the first option, the minimum) a
lecturer's page could fall to every slider's minimum after a click on "Share this run live".
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence, TypeVar

import streamlit as st

from seqviz.data import CORPUS_NAMES, CorpusError, decode_upload
from seqviz.data.uploads import text_id
from seqviz.limits import MAX_TEXT_BYTES, MB
from seqviz.i18n import _, language
from seqviz.ui.data import upload_store
from seqviz.ui.layout import control_area, widest
from seqviz.ui.setup import relabel
from seqviz.ui.state import sync_url, widget_key

C = TypeVar("C")


def _with_current(options: Sequence[Any], current: Any) -> list[Any]:
    """The options, plus the current value in sorted place if a link asked for another one."""
    opts = list(options)
    if current not in opts:
        opts = sorted(opts + [current]) if all(isinstance(o, (int, float)) for o in opts) \
            else opts + [current]
    return opts


def select(key: str, name: str, label: str, options: Sequence[Any], *, where=None,
           fmt: Callable[[Any], str] = str, horizontal: bool = False, help: str | None = None,
           main: bool = False):
    """A radio (``horizontal``) or select box. Labels come translated; ``main`` marks one of the
    page's few key controls (above the charts in presenter mode)."""
    wk = relabel(widget_key(key, name))
    current = held(wk, options[0])
    opts = _with_current(options, current)
    if where is None:  # a select box's value cannot wrap: it needs a cell wide enough
        where = control_area(main, widest(map(fmt, opts)) if main and not horizontal else 0)
    if horizontal:
        return where.radio(label, opts, index=opts.index(current), key=wk, format_func=fmt,
                           horizontal=True, help=help, on_change=sync_url, args=(key,))
    return where.selectbox(label, opts, index=opts.index(current), key=wk, format_func=fmt,
                           help=help, on_change=sync_url, args=(key,))


def ladder(key: str, name: str, label: str, options: Sequence[Any], *, where=None,
           fmt: Callable[[Any], str] = lambda v: f"{v:g}", help: str | None = None,
           main: bool = False):
    """A select_slider over a (log-spaced) ladder of values."""
    where = where if where is not None else control_area(main)
    wk = relabel(widget_key(key, name))
    current = held(wk, options[0])
    return where.select_slider(label, _with_current(options, current), value=current, key=wk,
                               format_func=fmt, help=help, on_change=sync_url, args=(key,))


def integer(key: str, name: str, label: str, lo: int, hi: int, *, where=None,
            help: str | None = None, main: bool = False):
    where = where if where is not None else control_area(main)
    wk = widget_key(key, name)
    return where.number_input(label, min_value=lo, max_value=hi, value=held(wk, lo, lo, hi), step=1,
                              key=wk,
                              help=help, on_change=sync_url, args=(key,))


def held(wk: str, fallback: Any, lo: int | None = None, hi: int | None = None) -> Any:
    """The value the session holds for widget ``wk`` (``fallback`` if none): a widget made
    directly (not by the helpers above) passes it as its default, for the reason the module's
    docstring gives. With ``lo`` and ``hi``, an integer within them (a number box's default
    must be in its range)."""
    value = st.session_state.get(wk, fallback)
    return value if lo is None or hi is None else min(max(int(value), lo), hi)


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (quotes, backslashes and line breaks escaped)."""
    return '"' + "".join(c if c.isalnum() or c in " •.,()-+/:" else f"\\{ord(c):x} "
                         for c in text) + '"'


def file_upload(where, label: str, *, key: str, types: Sequence[str], max_mb: int, **kwargs):
    """``where.file_uploader`` (every seqviz uploader goes through this), in the page's
    language: Streamlit draws an uploader's button ("Upload") and its limits ("5MB per file •
    TXT") in English whatever the page's language, and ``st.file_uploader`` takes no text for
    them. In any other language the uploader is styled by its key (Streamlit gives its
    container the class ``st-key-`` + the key, non-alphanumerics as "-"): the English text is
    hidden and the translation shown in its place."""
    upload = where.file_uploader(label, type=list(types), key=key, max_upload_size=max_mb,
                                 **kwargs)
    if language() != "en":
        _translated_dropzone(key, max_mb, types, where)
    return upload


# The dropzone's "Upload" button. Its other buttons (a chosen file's ✕, "+" to add one) are
# icons: the translated text was drawn after them too ("✕上传", "+ 上传").
BROWSE = 'button[data-testid="stBaseButton-secondary"]'


def _translated_dropzone(key: str, max_mb: int, types: Sequence[str], where) -> None:
    cls = "st-key-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in key)
    limits = _("{mb} MB per file").format(mb=max_mb)
    if types:
        limits += " • " + ", ".join(t.upper() for t in types)
    zone = f'.{cls} [data-testid="stFileUploaderDropzone"]'
    button = _css_string(_("Upload"))
    where.html(
        f"<style>{zone} [data-testid=\"stFileUploaderDropzoneInstructions\"] * "
        "{ display: none; } "
        f"{zone} [data-testid=\"stFileUploaderDropzoneInstructions\"]::after "
        f"{{ content: {_css_string(limits)}; font-size: 0.875rem; opacity: 0.6; }} "
        f"{zone} {BROWSE} [data-testid=\"stMarkdownContainer\"] {{ display: none; }} "
        f"{zone} {BROWSE}::after {{ content: {button}; }}</style>")


def corpus_label(name: str) -> str:
    """A corpus as the corpus menus name it, translated ("Toy grammar (English)"; "your own
    .txt file" for an upload); a name they do not know, as it is."""
    if name == "upload":
        return _("your own .txt file")
    return _(CORPUS_NAMES[name]) if name in CORPUS_NAMES else name


def text_upload(key: str, label: str, *, where=st.sidebar, types: Sequence[str] = ("txt",),
                decode: Callable[[bytes], str] = decode_upload,
                max_bytes: int = MAX_TEXT_BYTES) -> None:
    """A .txt uploader (or ``types``, read by ``decode``, which raises ``CorpusError`` with the
    reason). Each new file is decoded once; its text, or the reason it was refused, is kept in
    session state (``{key}.upload_text`` / ``{key}.upload_error``) across reruns, and the text
    in the server's store by content id, so a link to it works on this server."""
    ss = st.session_state
    upload = file_upload(where, label, key=f"{key}.upload", types=types,
                         max_mb=max(max_bytes // MB, 1))
    if upload is not None and ss.get(f"{key}.upload_name") != (upload.name, upload.size):
        ss[f"{key}.upload_name"] = (upload.name, upload.size)
        try:
            text = decode(upload.getvalue())
        except CorpusError as err:
            ss[f"{key}.upload_text"], ss[f"{key}.upload_error"] = None, str(err)
        else:
            upload_store().put(text)
            ss[f"{key}.upload_text"], ss[f"{key}.upload_error"] = text, None


def resolve_upload(key: str, old: C, new: C, default: str, who: str, *, field: str = "corpus",
                   prompt: str | None = None,
                   label: Callable[[str], str] = corpus_label) -> tuple[C, str | None]:
    """The config to use while ``new.corpus == "upload"`` (or the config's ``field``), and the
    uploaded text (or None). ``prompt`` (translated, with ``{who}`` and ``{keep}``) replaces the
    "choose a .txt file" notice; ``label`` names the corpus kept meanwhile (by default as the
    corpus menus do).

    The config's ``upload`` field is the text's content id, so the link names the text: a link
    opened in another session finds it in the server's store, or says plainly that the server
    no longer has it. A refused file shows its reason; with no usable text yet, ``who`` keeps
    training on the previous corpus (``default`` if that was the upload too), so the running
    model is not lost.
    """
    ss = st.session_state
    text = ss.get(f"{key}.upload_text")
    if getattr(new, field) != "upload":
        ss.pop(f"{key}.upload_missing", None)
        return _with_upload(new, ""), text
    wanted = getattr(new, "upload", "")
    if wanted and (text is None or text_id(text) != wanted):  # a link to an uploaded text
        found = upload_store().get(wanted)
        if found is not None:
            text = ss[f"{key}.upload_text"] = found
        else:
            ss[f"{key}.upload_missing"] = wanted
    missing = ss.get(f"{key}.upload_missing")
    if missing and not text:  # said on every rerun until a file is chosen (or another corpus)
        st.warning(_("This link trains on an uploaded text (id {id}) that this server no "
                     "longer has: it keeps recent uploads only while it runs. Upload the "
                     "file again to continue.").format(id=missing), icon="⚠️")
    if ss.get(f"{key}.upload_error"):
        st.sidebar.error(ss[f"{key}.upload_error"])
    if not text:
        keep = getattr(old, field) if getattr(old, field) != "upload" else default
        st.info((prompt or _("Choose a .txt file in the sidebar to train on your own text. "
                             "Meanwhile {who} keeps training on **{keep}**.")).format(
            who=who, keep=label(keep)))
        return _with_upload(dataclasses.replace(new, **{field: keep}), ""), None
    return _with_upload(new, text_id(text)), text


def _with_upload(cfg: C, value: str) -> C:
    """``cfg`` naming the uploaded text ``value`` (configs without an ``upload`` field as is)."""
    return dataclasses.replace(cfg, upload=value) if hasattr(cfg, "upload") else cfg
