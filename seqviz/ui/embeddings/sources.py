"""What the embeddings map shows: this page's word2vec run, or a language model's input
embeddings or hidden states (the live LM of the session, or a bundled one).

The page keeps the labels of every source (``Source``); the points themselves are mapped in the
word2vec run's engine worker. Another source's points are sent there once per LM state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st
from threadpoolctl import ThreadpoolController

from seqviz.checkpoint import CheckpointError, list_pretrained
from seqviz.data import CorpusError
from seqviz.embeddings.experiment import (EmbConfig, EmbeddingSet, lm_source_set,
                                          load_pretrained_lm, probe_ids, token_counts)
from seqviz.embeddings.live import WORD2VEC, LiveEmbeddings
from seqviz.embeddings.queries import Index, unit_rows
from seqviz.i18n import N_, _, language

# numpy's OpenBLAS runs 2 threads; on a busy 2-core server a (162, 32) @ (32, 174) product then
# takes 33 ms instead of 0.2 ms (measured). Like torch.set_num_threads(1), compute single-threaded.
_BLAS = ThreadpoolController()


def one_blas_thread():
    return _BLAS.limit(limits=1, user_api="blas")


SOURCE_NAMES = {"word2vec": N_("word2vec (trained here)"), "lm_embed": N_("LM input embeddings"),
                "lm_hidden": N_("LM hidden states")}


@dataclass
class Source:
    """The points on the map, as the page labels them."""

    key: tuple  # names the points in the worker; its map echoes it
    version: Any  # the points moved when this changes (the live LM trained on)
    name: str  # translated
    labels: list[str]  # one per row, most frequent first
    groups: list[str]
    counts: np.ndarray | None
    kind: str  # "words" (neighbours and analogies make sense) or "states"
    short: list[str] | None = None
    eset: EmbeddingSet | None = None  # another source's vectors; word2vec's are in the worker
    _index: Index | None = None

    def index(self, exp: LiveEmbeddings) -> Index | None:
        """Unit vectors for queries (word sources only)."""
        if self.kind != "words":
            return None
        if self.eset is None:
            return exp.index()
        if self._index is None:
            self._index = Index.build(self.eset.vectors, self.eset.labels)
        return self._index

    def vectors(self, exp: LiveEmbeddings, n: int) -> np.ndarray:
        return (exp.vectors() if self.eset is None else self.eset.vectors)[:n]


def word2vec_source(exp: LiveEmbeddings) -> Source:
    c = exp.corpus
    return Source(WORD2VEC, 0, "word2vec", list(c.words), exp.groups, c.counts, "words")


@st.cache_resource(max_entries=4, show_spinner=False)
def _pretrained(name: str):
    return load_pretrained_lm(name)  # read-only: never trained, only read


def lm_choices() -> list[str]:
    return ["live"] + list_pretrained("lm")


def _lm_set(key: str, cfg: EmbConfig) -> tuple[EmbeddingSet | None, tuple | None, str | None]:
    """Embeddings or hidden states of the live LM or a bundled one, cached per LM state:
    (set, its tag, notice). Its texts are in the page's language, so the language is in the tag."""
    ss = st.session_state
    if cfg.lm == "live":
        lm = ss.get("lm.exp")
        if lm is None:
            return None, None, _("There is no language model in this session yet: open **✍️ "
                                 "Language model**, press Play for a while, then come back. "
                                 "Showing word2vec.")
        tag = ("live", cfg.source, language(), lm.handle.run_id, lm.handle.generation, lm.steps)
    else:
        tag = (cfg.lm, cfg.source, language())
    cached = ss.get(f"{key}.lmset")
    if cached is not None and cached[0] == tag:
        return cached[1], tag, None
    try:
        if cfg.lm == "live":
            # a copy of the run's latest weights: the run itself trains in an engine worker
            model, vocab, level = lm.model(), lm.data.vocab, lm.data.level
            name = _("live {cell} LM ({level}), step {step}").format(
                cell=lm.cfg.cell.upper(), level=_("words") if level == "word" else _("characters"),
                step=f"{tag[-1]:,}")
            counts, ids = token_counts(lm.data.train, len(vocab)), lm.data.val
            eset = lm_source_set(cfg.source, model, vocab, level, name, counts, ids)
        else:
            model, vocab, level, meta = _pretrained(cfg.lm)
            ids = probe_ids(vocab, level, str(meta.get("corpus", "prose")))
            eset = lm_source_set(cfg.source, model, vocab, level,
                                 _("bundled LM {name}").format(name=cfg.lm),
                                 token_counts(ids, len(vocab)), ids)
    except (CheckpointError, CorpusError) as err:
        return None, None, _("{error} Showing word2vec.").format(error=err)
    ss[f"{key}.lmset"] = (tag, eset)
    return eset, tag, None


def current_source(key: str, cfg: EmbConfig, exp: LiveEmbeddings) -> tuple[Source, str | None]:
    """The source the settings ask for (word2vec when it cannot be had, with a notice)."""
    if cfg.source == "word2vec":
        return word2vec_source(exp), None
    eset, tag, notice = _lm_set(key, cfg)
    if eset is None:
        return word2vec_source(exp), notice
    live = tag[0] == "live"
    return Source(tag[:-1] if live else tag, tag[-1] if live else 0, eset.name, eset.labels,
                  eset.groups, eset.counts, eset.kind, eset.short, eset), None


def show(key: str, exp: LiveEmbeddings, src: Source, cfg: EmbConfig) -> None:
    """Tell the run which points to map and which analogy to draw (once per change)."""
    if src.eset is None:
        exp.show_word2vec()
    else:
        n = min(cfg.points, len(src.labels))
        x = src.eset.vectors[:n]
        exp.show_points(src.key, src.version, unit_rows(x) if src.kind == "words" else x)
    exp.set_query(*(st.session_state.get(f"{key}.an.{x}", "") for x in "abc"))
