"""Models the beam-search page can decode with: bundled checkpoints and this session's live ones.

Bundled models are loaded once per process (``st.cache_resource``) and only used for inference;
the live ones are this session's models from the Language model and Attention pages, decoded
with a copy of their latest weights. Loading happens only for the chosen source.
"""

from __future__ import annotations

from functools import partial
from typing import Callable, Hashable

import streamlit as st

from seqviz.checkpoint import list_pretrained
from seqviz.decoding.sources import (DEMO_SOURCE, Source, bundled_source, held_out, lm_source,
                                     s2s_source)
from seqviz.i18n import N_, _
from seqviz.ui.data import corpus_text

NAMES = {  # seq2seq task or LM corpus -> a short name for the select box (translated there)
    "dates": N_("Dates → ISO"),
    "reverse": N_("Reverse digits"),
    "sort": N_("Sort a string"),
    "translate": N_("Toy translation"),
    "prose": N_("English prose"),
    "python": N_("Python code"),
    "grammar": N_("Toy grammar"),
    "grammar_zh": N_("Chinese grammar"),
}


@st.cache_resource(max_entries=8, show_spinner=False)
def _bundled(name: str) -> Source:
    return bundled_source(name)


def live_lm_source() -> Source:
    """The Language model page's run, decoded with a copy of its latest weights."""
    exp = st.session_state["lm.exp"]
    upload = st.session_state.get("lm.upload_text")
    text = upload if exp.cfg.corpus == "upload" and upload else corpus_text(exp.cfg.corpus)
    return lm_source("live_lm", exp.model(), exp.data.vocab, exp.data.level, exp.cfg.corpus,
                     held_out(text))


def live_s2s_source() -> Source:
    """The Attention page's run, decoded with a copy of its latest weights."""
    exp = st.session_state["att.exp"]
    return s2s_source("live_s2s", exp.model(), exp.data)


def available_sources() -> dict[str, Callable[[], Source]]:
    """name -> a loader, the demo model first (what "auto" opens)."""
    out: dict[str, Callable[[], Source]] = {}
    bundled = list_pretrained("seq2seq") + list_pretrained("lm")
    for name in sorted(bundled, key=lambda n: n != DEMO_SOURCE):
        out[name] = partial(_bundled, name)
    if "att.exp" in st.session_state:
        out["live_s2s"] = live_s2s_source
    if "lm.exp" in st.session_state:
        out["live_lm"] = live_lm_source
    return out


def warm() -> None:
    """Server start-up (``seqviz.ui.startup``): the model a first visit decodes with ("auto":
    the demo model), loaded in the shared cache."""
    if DEMO_SOURCE in list_pretrained("seq2seq") + list_pretrained("lm"):
        _bundled(DEMO_SOURCE)


def source_version(name: str) -> Hashable:
    """What a source's weights are at now: a bundled model never changes; a live one changes
    with every step of its run (so a search on it is cached per step)."""
    live = {"live_lm": "lm.exp", "live_s2s": "att.exp"}.get(name)
    if live is None:
        return name
    exp = st.session_state.get(live)
    handle = getattr(exp, "handle", None)
    if handle is None:
        return (name, id(exp), getattr(getattr(exp, "trainer", None), "steps", None))
    return (name, handle.run_id, handle.generation, exp.steps)


def task_name(task: str) -> str:
    """A task's or corpus's short name (unknown names, e.g. a new model's, are shown as they
    are)."""
    return _(NAMES[task]) if task in NAMES else task


def source_label(name: str) -> str:
    """Short, the distinctive part first: a projector shows 15 characters of a select box."""
    if name == "live_lm":
        return _("Live LM (Language model page)")
    if name == "live_s2s":
        return _("Live seq2seq (Attention page)")
    kind, _sep, rest = name.partition("_")
    if kind == "seq2seq":
        return _("{task} · seq2seq").format(task=task_name(rest))
    return _("{corpus} · LM").format(corpus=task_name(rest))


def sources_help() -> str:
    return _("Seq2seq models map an input to an output (bundled: dates to ISO 8601, reversing "
             "a digit string, a toy translation); a language model (LM) continues a prompt. "
             "Live: the model training on the Language model or Attention page, at its latest "
             "step.")


def input_label(source: Source) -> str:
    if source.kind == "lm":
        return _("Prompt (the model continues it; a line break ends a hypothesis)")
    return _("Input ({task}; the model writes its output)").format(task=task_name(source.task))
