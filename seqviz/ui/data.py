"""Cached, read-only data work shared by every session: corpora, vocabularies, n-gram baselines.

These objects are never trained or mutated, so ``st.cache_resource`` (no pickling, one copy per
process) is safe; models and trainers live in each session's own state.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from seqviz.data import TextData, build_text_data, load_corpus
from seqviz.lm_experiment import Baseline, fit_baselines


@st.cache_resource(max_entries=16, show_spinner=False)
def corpus_text(name: str) -> str:
    return load_corpus(name)


@st.cache_resource(max_entries=16, show_spinner=False)
def _text_data(digest: str, level: str, _text: str) -> TextData:
    return build_text_data(_text, level)


def text_data(text: str, level: str) -> TextData:
    """Tokenised, split and numericalised text; cached by content hash."""
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
    return _text_data(digest, level, text)


@st.cache_resource(max_entries=16, show_spinner=False)
def _baselines(digest: str, level: str, _data: TextData) -> list[Baseline]:
    return fit_baselines(_data)


def baselines(text: str, data: TextData) -> list[Baseline]:
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
    return _baselines(digest, data.level, data)
