"""Cached, read-only data work shared by every session: corpora and tokenised text.

These objects are never trained or mutated, so ``st.cache_resource`` (no pickling, one copy per
process) is safe; models and trainers live in each session's own state.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from seqviz.data import TextData, build_text_data, load_corpus


@st.cache_resource(max_entries=16, show_spinner=False)
def corpus_text(name: str) -> str:
    return load_corpus(name)


@st.cache_resource(max_entries=16, show_spinner=False)
def _text_data(digest: str, level: str, _text: str) -> TextData:
    return build_text_data(_text, level)


def text_digest(text: str) -> str:
    """The cache key of a text (uploads may hold lone surrogates, hence surrogatepass)."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def text_data(text: str, level: str) -> TextData:
    """Tokenised, split and numericalised text; cached by content hash."""
    return _text_data(text_digest(text), level, text)


@st.cache_resource(show_spinner=False)
def upload_store() -> "TextStore":
    """The server's uploaded texts by content id (shared: a link reopens an upload)."""
    from seqviz.data.uploads import TextStore

    return TextStore()
