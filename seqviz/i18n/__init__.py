"""Translations: every string a user reads goes through ``_`` (gettext catalogs, English source
strings, Simplified Chinese in ``seqviz/locale/zh_CN/LC_MESSAGES/*.po``).

The catalogs are split by lesson (one gettext *domain* per lesson plus ``core`` for the shared
pieces, as Django splits them per app), so two people translating two lessons never edit the
same file. At run time every compiled domain is chained into one lookup. ``scripts/i18n.py``
extracts, updates, compiles and checks them with Babel.

The core never imports Streamlit, so it cannot ask a session which language it speaks: the UI
registers a *resolver* (``set_resolver``) that reads the current session's language; outside a
Streamlit session (a notebook, a worker process, a test) the default language applies
(``SEQVIZ_LANG`` or English), and ``use_language`` switches it for a block.

Conventions: ``_("Step {step}").format(step=n)`` (named fields, so a translation may reorder
them); ``N_("...")`` marks a string in a module-level table that is translated where it is
shown; ``pgettext("metric", "Step")`` when one English string needs two translations (every
domain is one lookup, so a msgid must mean the same everywhere: tested); model tokens and user
text are never passed through ``_``.
"""

from __future__ import annotations

import contextlib
import gettext
import os
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = {"en": "English", "zh": "简体中文"}  # URL code -> name shown in the switch
GETTEXT_LOCALE = {"en": "en", "zh": "zh_CN"}  # URL code -> folder under locale/
DEFAULT = os.environ.get("SEQVIZ_LANG", "en") if os.environ.get("SEQVIZ_LANG") in LANGUAGES \
    else "en"

_default = DEFAULT
_resolver: Callable[[], str | None] | None = None


def domains(lang: str = "zh") -> list[str]:
    """The compiled domains of a language (one ``.mo`` per lesson, plus ``core``)."""
    folder = LOCALE_DIR / GETTEXT_LOCALE.get(lang, lang) / "LC_MESSAGES"
    return sorted(p.stem for p in folder.glob("*.mo"))


@lru_cache(maxsize=None)
def catalog(lang: str) -> gettext.NullTranslations:
    """Every domain of ``lang`` chained into one lookup (English: the source strings)."""
    chain: gettext.NullTranslations = gettext.NullTranslations()
    if lang == "en":
        return chain
    first = None
    for domain in domains(lang):
        trans = gettext.translation(domain, LOCALE_DIR, languages=[GETTEXT_LOCALE[lang]],
                                    fallback=True)
        if first is None:
            first = trans
        else:
            first.add_fallback(trans)
    return first or chain


def set_resolver(resolver: Callable[[], str | None] | None) -> Callable[[], str | None] | None:
    """Register how to find the current user's language (the UI: the session's ``lang``);
    returns the one it replaces, for a caller (a test) to put back."""
    global _resolver
    previous, _resolver = _resolver, resolver
    return previous


def language() -> str:
    """The language strings are translated into right now: ``"en"`` or ``"zh"``."""
    if _resolver is not None:
        lang = _resolver()
        if lang in LANGUAGES:
            return lang
    return _default


@contextlib.contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Translate into ``lang`` inside the block when no session decides (notebooks, tests)."""
    global _default
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    old, _default = _default, lang
    try:
        yield
    finally:
        _default = old


def _(message: str) -> str:
    """``message`` (an English source string) in the current language."""
    lang = language()
    if lang == "en" or not message:
        return message
    return catalog(lang).gettext(message)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, for one of its meanings: the same English word can
    need two translations ("Step" the button 单步, "Step" the counter 步数)."""
    lang = language()
    if lang == "en" or not message:
        return message
    return catalog(lang).pgettext(context, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the current language."""
    lang = language()
    if lang == "en":
        return singular if n == 1 else plural
    return catalog(lang).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (module-level tables)."""
    return message


def is_translated(message: str, lang: str = "zh") -> bool:
    """Whether ``lang``'s catalogs hold a translation of ``message``."""
    return catalog(lang).gettext(message) != message


class Msg:
    """A message translated when it is shown, not when it is made: for text made where no
    session decides the language (a worker process) and shown later on a page. ``str(msg)``
    translates ``msgid`` (marked with ``N_`` at the call site) and fills its fields."""

    __slots__ = ("msgid", "fields")

    def __init__(self, msgid: str, **fields):
        self.msgid, self.fields = msgid, fields

    def __str__(self) -> str:
        return _(self.msgid).format(**self.fields)

    def __repr__(self) -> str:
        return f"Msg({self.msgid!r}, {self.fields!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Msg) and (self.msgid, self.fields) == (other.msgid, other.fields)

    def __hash__(self) -> int:
        return hash((self.msgid, tuple(sorted(self.fields.items()))))

    def __reduce__(self):
        return (_msg, (self.msgid, self.fields))


def _msg(msgid: str, fields: dict) -> Msg:
    return Msg(msgid, **fields)
