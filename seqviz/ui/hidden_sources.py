"""The hidden-states page's models: this session's live LM, bundled checkpoints, an upload.

A ``Source`` bundles what the views need: the model, its vocabulary and level, the corpus it was
trained on (for validation passages, the n-gram baseline, the neuron finder's corpus and the PCA
fit) and the lock to hold while tracing. Bundled checkpoints and their corpus work are shared
through ``st.cache_resource`` (read-only: they are only ever traced); the live model is this
session's own and is traced under its trainer's lock.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st
import torch

from seqviz.checkpoint import CheckpointError, load_lm, pretrained_path
from seqviz.data import CORPORA, TextData, Vocab, split_ids, tokenize
from seqviz.models.ngram import MAX_ORDER, NGramLM
from seqviz.probes import EXAMPLES, CorpusStates, default_ngram_order, fit_ngram, trace_corpus
from seqviz.project import PCAProjection, fit_pca
from seqviz.ui.data import corpus_text

CORPUS_TOKENS = 8192  # validation tokens traced for the neuron finder and the PCA fit
LIVE_CORPUS_TOKENS = 4096  # fewer for the live model: it is retraced on every refresh


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
    exp: Any = None  # the LMExperiment for the live source

    @property
    def spec(self):
        return self.model.spec

    def example(self) -> str:
        """The corpus's short example; else the checkpoint's own; else the prose one."""
        corpus = self.meta.get("corpus", "")
        if corpus in EXAMPLES:
            return EXAMPLES[corpus]
        return str(self.meta.get("probe") or EXAMPLES["prose"])

    def describe(self) -> str:
        s, meta = self.spec, self.meta
        text = (f"{s.cell.upper()}, {s.num_layers} layer{'s' * (s.num_layers > 1)} × "
                f"{s.hidden_size} units, {self.level}-level, vocabulary {s.vocab_size}")
        if meta.get("corpus") in CORPORA:
            text += f", trained on **{meta['corpus']}**"
        if meta.get("live"):  # steps and perplexity change: the live caption shows them
            return text + " on the Language model page"
        steps, ppl = _number(meta.get("steps")), _number(meta.get("val_perplexity"))
        if steps:
            text += f" for {steps:,.0f} steps"
        grams = meta.get("ngram_perplexity")
        grams = {str(k): _number(v) for k, v in grams.items()} if isinstance(grams, dict) else {}
        grams = {k: v for k, v in grams.items() if v}
        if ppl:
            text += f"; validation perplexity {ppl:.2f}"
            if grams:
                name, value = min(grams.items(), key=lambda kv: kv[1])
                text += f" (best n-gram, {name}: {value:.2f})"
        return text


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


def live_source() -> Source | None:
    exp = st.session_state.get("lm.exp")
    if exp is None:
        return None
    meta = {"corpus": exp.cfg.corpus if exp.cfg.corpus in CORPORA else "", "live": True,
            "steps": exp.trainer.steps}
    if exp.trainer.evals:
        meta["val_perplexity"] = exp.trainer.evals[-1][1]
    base = getattr(exp, "baselines", None) or []
    meta["ngram_perplexity"] = {b.name: b.perplexity for b in base}
    return Source(f"live:{id(exp)}:{exp.trainer.steps}", "live", exp.model, exp.data.vocab,
                  exp.data.level, exp.data, meta, exp.trainer.lock, exp)


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
