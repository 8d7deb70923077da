"""Models the beam-search page can decode with: bundled checkpoints and this session's live ones.

Every source turns a typed text into a ``SearchProblem`` and offers ready-made examples
(input, reference) for the error analysis. Bundled models are loaded once per process
(``st.cache_resource``) and only ever used for inference.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

import streamlit as st

from seqviz.checkpoint import list_pretrained, load_lm, pretrained_path
from seqviz.data import CORPORA, Vocab
from seqviz.search_problem import SearchProblem, lm_problem
from seqviz.ui.data import corpus_text

DEFAULT_PROMPTS = {"python": "def ", "prose": "The ", "grammar": "the "}


@dataclass
class Source:
    name: str
    label: str
    kind: str  # "lm" | "seq2seq"
    problem: Callable[[str], SearchProblem]
    examples: Callable[[int, int], list[tuple[str, str]]]  # (n, seed) -> [(input, reference)]
    default_text: str
    input_label: str


@st.cache_resource(max_entries=8, show_spinner=False)
def _pretrained_lm(name: str):
    return load_lm(pretrained_path(name))


def _lm_line_examples(text: str, level: str, n: int, seed: int) -> list[tuple[str, str]]:
    """Validation lines split into a prompt (first 40%) and the reference continuation."""
    lines = [ln for ln in text.split("\n") if 12 <= len(ln) <= 70 and ln.strip()]
    rng = random.Random(seed)
    rng.shuffle(lines)
    out = []
    for line in lines[:n]:
        cut = max(1, int(len(line) * 0.4))
        if level == "word":
            words = line.split(" ")
            cut_w = max(1, int(len(words) * 0.4))
            out.append((" ".join(words[:cut_w]) + " ", " ".join(words[cut_w:])))
        else:
            out.append((line[:cut], line[cut:]))
    return out


def _lm_source(name: str, label: str, model, vocab: Vocab, level: str, corpus: str,
               val_text: str) -> Source:
    return Source(
        name, label, "lm",
        problem=lambda text: lm_problem(model, vocab, level, text),
        examples=lambda n, seed: _lm_line_examples(val_text, level, n, seed),
        default_text=DEFAULT_PROMPTS.get(corpus, "the "),
        input_label="Prompt (the model continues it; a line break ends a hypothesis)")


def _val_text(text: str) -> str:
    """The held-out tail of a corpus (build_text_data keeps the last tenth for validation)."""
    return text[int(len(text) * 0.9):]


def available_sources() -> dict[str, Callable[[], Source]]:
    """name -> a loader; loading happens only for the chosen source."""
    out: dict[str, Callable[[], Source]] = {}
    for name in list_pretrained("seq2seq"):
        out[name] = _s2s_loader(name)
    for name in list_pretrained("lm"):
        def load(name=name) -> Source:
            model, vocab, level, meta = _pretrained_lm(name)
            corpus = meta.get("corpus", "prose")
            label = f"Language model (bundled): {meta.get('description', name)}"
            return _lm_source(name, label, model, vocab, level, corpus,
                              _val_text(corpus_text(corpus) if corpus in CORPORA else ""))
        out[name] = load
    if "att.exp" in st.session_state:
        def live_s2s() -> Source:
            from seqviz.ui.beam_s2s import live_s2s_source

            return live_s2s_source()
        out["live_s2s"] = live_s2s
    if "lm.exp" in st.session_state:
        def live_lm() -> Source:
            exp = st.session_state["lm.exp"]
            upload = st.session_state.get("lm.upload_text")
            text = upload if exp.cfg.corpus == "upload" and upload else corpus_text(exp.cfg.corpus)
            val = _val_text(text)
            return _lm_source("live_lm", "Language model: live, from the Language model page",
                              exp.model, exp.data.vocab, exp.data.level, exp.cfg.corpus, val)
        out["live_lm"] = live_lm
    return out


def _s2s_loader(name: str) -> Callable[[], Source]:
    def load() -> Source:
        from seqviz.ui.beam_s2s import pretrained_s2s_source

        return pretrained_s2s_source(name)
    return load


def source_label(name: str) -> str:
    if name == "live_lm":
        return "Language model · live (Language model page)"
    if name == "live_s2s":
        return "Seq2seq · live (Attention page)"
    kind, _, rest = name.partition("_")
    return f"{'Seq2seq' if kind == 'seq2seq' else 'Language model'} · {rest.replace('_', ' ')}"
