"""GloVe as an engine run beside the page's word2vec run: same corpus, window, size and seed.

Worker side: ``build_run`` (``"seqviz.embeddings.glovelive:build_run"``) counts the
co-occurrences of the page's corpus (``seqviz.embeddings.glove``) and builds a ``GloVeRun``; one
step is one AdaGrad update on a minibatch of nonzero x_ij. Its ``view()`` carries the loss curve,
the analogy accuracy every ``EVAL_EVERY`` steps (the same scoring as word2vec's), the probe
words' neighbours and the size of the co-occurrence matrix. Server side: ``LiveGloVe`` is a
``LiveEmbeddings`` (vectors and query index fetched from the worker) opened on this factory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seqviz.embeddings.experiment import EmbConfig, corpus_label, probe_words
from seqviz.embeddings.glove import GloVe, cooccurrence
from seqviz.embeddings.grammars import TEACHING
from seqviz.embeddings.live import LiveEmbeddings, Thinned, corpus_for, text_of
from seqviz.embeddings.queries import Index, analogy_accuracy, neighbours
from seqviz.engine.pool import Engine
from seqviz.i18n import N_, Msg
from seqviz.models.word2vec import W2VCorpus

FACTORY = "seqviz.embeddings.glovelive:build_run"
EVAL_EVERY = 10
WARM_STEPS = 300  # trained when built (well under a second), so the page opens on a trained
#                  GloVe whose curves start at step 0; Play goes on from there
MAX_STEPS = 5000  # then it stops by itself: its accuracy has long settled, and a class's
#                  server has word2vec runs to train


@dataclass(frozen=True)
class GloVeView:
    cfg: EmbConfig
    name: Msg
    loss_steps: np.ndarray  # (N,) int64
    loss: np.ndarray  # (N,) mean f(x) · error² per nonzero entry of the step's minibatch
    full_loss: float  # J / Z over every nonzero entry now
    eval_steps: np.ndarray  # (M,) int64
    accuracy: np.ndarray  # (M, 3) all and the grammar's two relations (NaN: not scored)
    has_analogies: bool
    probes: dict  # probe word -> [(neighbour, cosine)] * 5
    probes_step: int
    nonzeros: int  # nonzero x_ij
    vocab_size: int
    x_max: float
    alpha: float
    max_count: float  # the largest x_ij
    below_share: float  # share of the nonzero x_ij below x_max (weighted less than 1)
    epoch: float  # passes over the nonzero entries


class GloVeRun:
    """Worker side: a ``GloVe`` model on the page's corpus, its curves and probe neighbours."""

    def __init__(self, cfg: EmbConfig, corpus: W2VCorpus):
        self.cfg, self.corpus = cfg, corpus
        self.cooc = cooccurrence(corpus.ids, corpus.sentence, corpus.vocab_size, cfg.window)
        self.model = GloVe(self.cooc, cfg.embed_size, seed=cfg.seed)
        self.steps = 0
        self.loss = Thinned(2)
        self.acc = Thinned(4)
        self._probes: tuple[tuple, dict] | None = None
        self._evaluate()

    def step(self, n: int = 1) -> None:
        for _ in range(int(n)):
            loss = self.model.step()
            self.steps += 1
            if math.isfinite(loss):
                self.loss.add(self.steps, loss)
            if self.steps % EVAL_EVERY == 0:
                self._evaluate()

    def halt(self) -> str | None:
        if self.steps >= MAX_STEPS:
            return "done"
        return None if all(np.isfinite(p).all() for p in self.model.params) else "not finite"

    def _evaluate(self) -> None:
        t = TEACHING.get(self.cfg.corpus)
        if t is None:
            self.acc.add(self.steps, *(math.nan,) * 3)
            return
        s = analogy_accuracy(self.index(), t.analogies, t.relation_of)
        self.acc.add(self.steps, s.accuracy, *(s.relation_accuracy(r.key) for r in t.relations))

    def apply_live(self, cfg: EmbConfig) -> None:
        self.cfg = cfg  # probe words; nothing GloVe trains with is live

    def index(self) -> Index:
        return Index.build(self.model.vectors(), self.corpus.words)

    def vectors(self) -> tuple[int, np.ndarray]:
        return self.steps, self.model.vectors()

    def _probe_neighbours(self) -> dict:
        key = (self.steps, self.cfg.probes)
        if self._probes is None or self._probes[0] != key:
            index = self.index()
            self._probes = (key, {w: neighbours(index, w, 5) for w in
                                  probe_words(self.cfg, self.corpus) if w in index.pos})
        return self._probes[1]

    def view(self) -> GloVeView:
        loss, acc = self.loss.array(), self.acc.array()
        m = self.model
        return GloVeView(
            cfg=self.cfg, name=Msg(N_("GloVe · {corpus}"), corpus=corpus_label(self.cfg.corpus)),
            loss_steps=loss[:, 0].astype(np.int64), loss=loss[:, 1],
            full_loss=m.loss() / max(m.nonzeros, 1),
            eval_steps=acc[:, 0].astype(np.int64), accuracy=acc[:, 1:],
            has_analogies=self.cfg.corpus in TEACHING, probes=self._probe_neighbours(),
            probes_step=self.steps, nonzeros=m.nonzeros, vocab_size=self.cooc.vocab_size,
            x_max=m.x_max, alpha=m.alpha,
            max_count=float(self.cooc.counts.max()) if m.nonzeros else 0.0,
            below_share=float((self.cooc.counts < m.x_max).mean()) if m.nonzeros else 0.0,
            epoch=m.epoch)


def build_run(cfg: EmbConfig, upload_text: str | None = None, warm: int = WARM_STEPS,
              corpus: W2VCorpus | None = None) -> GloVeRun:
    """The run, trained ``warm`` steps; ``corpus``: the page's, already tokenised (else the
    worker tokenises the text, which takes seconds for the Chinese grammar)."""
    if corpus is None:
        corpus = corpus_for(text_of(cfg, upload_text), cfg.min_count)
    run = GloVeRun(cfg, corpus)
    run.step(warm)
    return run


def glove_key(cfg: EmbConfig) -> tuple:
    """What a GloVe run is built from: a change to any of these rebuilds it."""
    return (cfg.corpus, cfg.embed_size, cfg.window, cfg.min_count, cfg.seed)


class LiveGloVe(LiveEmbeddings):
    """Server side: the page's GloVe run (vectors and queries as for word2vec)."""

    @classmethod
    def open(cls, engine: Engine, cfg: EmbConfig, corpus: W2VCorpus, *,
             upload_text: str | None = None, playing: bool = False) -> "LiveGloVe":
        kwargs = {"cfg": cfg, "corpus": corpus}  # tokenised once, by the page
        return cls(engine.open(FACTORY, kwargs, playing=playing), cfg, corpus)
