"""The hidden-states page's models: this session's live LM, bundled checkpoints, an upload.

A ``Source`` bundles what the views need: the model, its vocabulary and level, the corpus it was
trained on (for validation passages, the n-gram baseline, the neuron finder's corpus and the PCA
fit) and the lock to hold while tracing. Bundled checkpoints and their corpus work are shared
through ``st.cache_resource`` (read-only: they are only ever traced); the live model is a copy of
the weights of this session's run, which trains in an engine worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st
import torch

from seqviz.checkpoint import CheckpointError, load_lm, pretrained_path
from seqviz.data import CORPORA, CORPUS_NAMES, TextData, Vocab, detokenize, split_ids, tokenize
from seqviz.hidden.pca import PCAProjection, fit_pca
from seqviz.hidden.probes import (EXAMPLES, CorpusStates, default_ngram_order, fit_ngram,
                                  trace_corpus)
from seqviz.i18n import _, ngettext
from seqviz.models.ngram import MAX_ORDER, NGramLM
from seqviz.ui.data import corpus_text

CORPUS_TOKENS = 8192  # validation tokens traced for the neuron finder and the PCA fit
LIVE_CORPUS_TOKENS = 4096  # fewer for the live model: it is retraced on every refresh
EXAMPLE_TOKENS = {"char": 120, "word": 30}  # a probe taken from a model's own validation text
MAX_EXAMPLE_CHARS = 400


@dataclass
class Source:
    key: str  # identifies model + weights for caching ("ckpt:lm_python", "live:<id>:<step>")
    label: str
    model: Any  # LanguageModel
    vocab: Vocab
    level: str
    data: TextData | None  # the corpus (with the model's vocabulary), None if unknown
    meta: dict = field(default_factory=dict)
    lock: Any = field(default_factory=contextlib.nullcontext)
    exp: Any = None  # the LiveLM of the live source

    @property
    def spec(self):
        return self.model.spec

    def example(self) -> str:
        """A probe text in the model's own language: its corpus's short example, else the
        checkpoint's own, else the start of its validation text, else whichever built-in
        example the vocabulary covers best (a Chinese model never gets English text)."""
        corpus = self.meta.get("corpus", "")
        if corpus in EXAMPLES:
            return EXAMPLES[corpus]
        probe = self.meta.get("probe")
        if isinstance(probe, str) and probe.strip() and _coverage(probe, self) >= 0.9:
            return probe[:MAX_EXAMPLE_CHARS]
        if self.data is not None and len(self.data.val):
            n = EXAMPLE_TOKENS[self.level]
            tokens = self.vocab.decode(self.data.val[: 2 * n].numpy())
            first = tokens.index("\n") + 1 if "\n" in tokens[:n] else 0  # a whole line
            return detokenize(tokens[first: first + n], self.level)
        return max(EXAMPLES.values(), key=lambda text: _coverage(text, self))

    def describe(self) -> str:
        """One line on the model, translated: shape, corpus, training, perplexity vs n-gram."""
        s, meta = self.spec, self.meta
        layers = ngettext("{n} layer", "{n} layers", s.num_layers).format(n=s.num_layers)
        level = _("character-level") if self.level == "char" else _("word-level")
        text = _("{cell}, {layers} × {units} units, {level}, vocabulary of {vocab} "
                 "tokens").format(cell=s.cell.upper(), layers=layers, units=s.hidden_size,
                                  level=level, vocab=s.vocab_size)
        if meta.get("corpus") in CORPUS_NAMES:
            text += _(", trained on **{corpus}**").format(corpus=_(CORPUS_NAMES[meta["corpus"]]))
        if meta.get("live"):  # steps and perplexity change: the live caption shows them
            return text + _(" on the Language model page")
        steps, ppl = _number(meta.get("steps")), _number(meta.get("val_perplexity"))
        if steps:
            text += _(" for {steps} steps").format(steps=f"{steps:,.0f}")
        if ppl:
            best = _best_ngram(meta.get("ngram_perplexity"))
            text += _("; held-out perplexity **{ppl}**").format(ppl=f"{ppl:.2f}")
            if best:
                text += _(" (best n-gram baseline, {order}-gram Kneser-Ney: {value}; lower is "
                          "better)").format(order=best[0], value=f"{best[1]:.2f}")
        return text


def _coverage(text: str, src: Source) -> float:
    """Share of the text's tokens the model's vocabulary knows."""
    tokens = tokenize(text, src.level)
    return sum(t in src.vocab for t in tokens) / max(len(tokens), 1)


def _best_ngram(grams) -> tuple[int, float] | None:
    """(order, perplexity) of the best n-gram in (untrusted) metadata such as
    {"5-gram (Kneser-Ney)": 3.11}; None if there is none."""
    found = []
    for name, value in (grams.items() if isinstance(grams, dict) else []):
        order, v = re.match(r"\s*(\d+)-gram", str(name)), _number(value)
        if order and v:
            found.append((int(order.group(1)), v))
    return min(found, key=lambda kv: kv[1]) if found else None


def _number(value) -> float | None:
    """A finite number from (possibly untrusted) metadata, else None."""
    return float(value) if isinstance(value, (int, float)) and np.isfinite(value) else None


def corpus_data(corpus: str | None, vocab: Vocab, level: str) -> TextData | None:
    """A built-in corpus encoded with a checkpoint's vocabulary, split like ``build_text_data``."""
    if corpus not in CORPORA:
        return None
    ids = torch.tensor(vocab.encode(tokenize(corpus_text(corpus), level)), dtype=torch.long)
    train, val = split_ids(ids, 0.1)
    return TextData(level, vocab, train, val)


@st.cache_resource(max_entries=8, show_spinner=False)
def _pretrained(name: str) -> Source:
    model, vocab, level, meta = load_lm(pretrained_path(name))
    return Source(f"ckpt:{name}", name, model, vocab, level,
                  corpus_data(meta.get("corpus"), vocab, level), meta)


def pretrained_source(name: str) -> Source:
    return _pretrained(name)


def live_lm():
    """The Language model page's ``LiveLM`` in this session, or None."""
    exp = st.session_state.get("lm.exp")
    return exp if exp is not None and hasattr(exp, "handle") else None


def live_source() -> Source | None:
    """The Language model page's run, as a copy of its latest weights (the run itself trains
    in an engine worker; the copy is this session's own, so tracing needs no lock)."""
    exp = live_lm()
    if exp is None or exp.cfg.feed_forward:  # no hidden state over time to trace
        return None
    snap = exp.snapshot()
    model = exp.model()  # fetched from the worker only when the run has moved
    step = snap.step if snap is not None else 0
    meta = {"corpus": exp.cfg.corpus if exp.cfg.corpus in CORPORA else "", "live": True,
            "steps": step}
    if exp.val_perplexity is not None:
        meta["val_perplexity"] = exp.val_perplexity
    meta["ngram_perplexity"] = {b.name: b.perplexity for b in exp.baselines}
    return Source(f"live:{exp.handle.run_id}:{exp.handle.generation}:{step}", "live", model,
                  exp.data.vocab, exp.data.level, exp.data, meta, exp=exp)


def upload_source(data: bytes) -> Source:
    """An uploaded checkpoint, checked by ``load_lm``; raises CheckpointError with a message."""
    digest = hashlib.sha1(data).hexdigest()[:16]
    cache = st.session_state.setdefault("hs.uploads", {})
    if digest not in cache:
        model, vocab, level, meta = load_lm(bytes(data))
        if not isinstance(meta, dict):
            raise CheckpointError("The checkpoint's metadata is damaged.")
        cache.clear()  # keep one uploaded model per session
        cache[digest] = Source(f"upload:{digest}", "uploaded", model, vocab, level,
                               corpus_data(meta.get("corpus"), vocab, level), meta)
    return cache[digest]


# ---- corpus-level work, cached per model -------------------------------------------------------
@dataclass
class CorpusView:
    states: CorpusStates
    pca: dict[int, PCAProjection] = field(default_factory=dict)  # layer -> fitted projection


def _trace_view(src: Source, max_tokens: int) -> CorpusView | None:
    if src.data is None or len(src.data.val) < 32:
        return None
    with src.lock:
        states = trace_corpus(src.model, src.data.val.numpy(), rows=32, max_tokens=max_tokens)
    view = CorpusView(states)
    for layer, hidden in enumerate(states.hidden):
        view.pca[layer] = fit_pca(hidden)
    return view


@st.cache_resource(max_entries=8, show_spinner=False)
def _pretrained_view(key: str, _src: Source) -> CorpusView | None:
    return _trace_view(_src, CORPUS_TOKENS)


def corpus_view(src: Source) -> CorpusView | None:
    """States of the corpus's validation text (and a PCA per layer); None without a corpus."""
    if src.exp is None:
        return _pretrained_view(src.key, src)
    held = st.session_state.get("hs.live_view")
    if held is None or held[0] != src.key:
        held = (src.key, _trace_view(src, LIVE_CORPUS_TOKENS))
        st.session_state["hs.live_view"] = held
    return held[1]


@st.cache_resource(max_entries=8, show_spinner=False)
def _ngram(digest: str, order: int, _train: np.ndarray, vocab_size: int) -> NGramLM:
    return fit_ngram(_train, vocab_size, order)


def ngram_for(src: Source) -> NGramLM | None:
    """The Kneser-Ney baseline on the model's training ids (cached by content)."""
    if src.data is None:
        return None
    order = src.meta.get("ngram_order")
    if not (isinstance(order, int) and 1 <= order <= MAX_ORDER):  # untrusted metadata
        order = default_ngram_order(src.level)
    train = src.data.train.numpy()
    digest = hashlib.sha1(train.tobytes()).hexdigest() + f":{len(src.vocab)}"
    return _ngram(digest, order, train, len(src.vocab))
