"""The embeddings page's experiment: config -> corpus -> word2vec -> Trainer, and other sources.

``W2VExperiment.build(EmbConfig(), text)`` trains skip-gram / CBOW (Mikolov et al. 2013) with the
shared :class:`seqviz.train.Trainer`; every ``eval_every`` steps it records the probe words'
nearest neighbours and, on the grammar corpus, the analogy accuracy, so the page can show the
space organising. ``EmbeddingSet`` is what the projection and query panels consume, whatever
the source: word2vec vectors, a language model's input embeddings (live or bundled), or the
hidden states of a probe text, each labelled with its context and coloured by the next token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from seqviz.config import setting
from seqviz.data import CorpusError, Vocab, detokenize, load_corpus, tokenize, word_category
from seqviz.embeddings import AnalogyScore, Index, analogy_accuracy, neighbours
from seqviz.models.word2vec import (ALGORITHMS, W2VCorpus, Word2Vec, Word2VecBatches,
                                    Word2VecSpec, build_w2v_corpus, build_word2vec, w2v_loss)
from seqviz.train import Trainer

SOURCES = ("word2vec", "lm_embed", "lm_hidden")
MAX_VOCAB = 5000
PROBES = {"grammar": ("king", "dog", "red", "three"),
          "prose": ("function", "list", "error", "class")}
MAX_STATES = 1500  # hidden-state points drawn at most
TOP_NEXT = 8  # hidden states: colour by the 8 most frequent next tokens, the rest "other"


@dataclass(frozen=True)
class EmbConfig:
    """The embeddings page. Live fields change the view; the others rebuild word2vec."""

    source: str = setting("word2vec", live=True, choices=SOURCES)
    lm: str = setting("live", live=True)  # "live" or a bundled checkpoint name (checked later)
    corpus: str = setting("grammar", choices=("grammar", "prose", "upload"))
    algorithm: str = setting("skipgram", choices=ALGORITHMS)
    embed_size: int = setting(32, lo=2, hi=300)
    window: int = setting(3, lo=1, hi=10)
    negatives: int = setting(5, lo=1, hi=30)
    subsample: float = setting(1e-3, lo=0.0, hi=1.0)
    min_count: int = setting(3, lo=1, hi=1000)
    batch_size: int = setting(128, lo=1, hi=4096)
    optimizer: str = setting("adam", choices=("adam", "sgd"))
    lr: float = setting(0.005, live=True, lo=1e-5, hi=100.0)
    steps_per_tick: int = setting(20, live=True, lo=1, hi=1000)
    seed: int = setting(0, lo=0, hi=2**31 - 1)
    projection: str = setting("tsne", live=True, choices=("pca", "tsne"))
    points: int = setting(300, live=True, lo=5, hi=5000)
    perplexity: float = setting(15.0, live=True, lo=1.0, hi=100.0)
    tsne_lr: float = setting(0.0, live=True, lo=0.0, hi=10000.0)  # 0 = "auto" (n / exaggeration)
    tsne_iters: int = setting(10, live=True, lo=1, hi=250)  # t-SNE iterations per tick
    colour: str = setting("category", live=True, choices=("category", "frequency"))
    probes: str = setting("", live=True)  # comma-separated; empty = the corpus's defaults


@dataclass
class EvalPoint:
    step: int
    analogy: AnalogyScore | None
    probes: dict[str, list[tuple[str, float]]]


def probe_words(cfg: EmbConfig, corpus: W2VCorpus) -> list[str]:
    """The probe words asked for, or the corpus's defaults (the first long frequent words)."""
    typed = [w.strip().lower() for w in cfg.probes.split(",") if w.strip()]
    if typed:
        return list(dict.fromkeys(typed))[:8]
    if cfg.corpus in PROBES:
        return list(PROBES[cfg.corpus])
    return [w for w in corpus.words if len(w) >= 4][:4] or corpus.words[:4]


class W2VExperiment:
    """word2vec model, batches and trainer for one ``EmbConfig`` on one text."""

    def __init__(self, cfg: EmbConfig, corpus: W2VCorpus, model: Word2Vec,
                 batches: Word2VecBatches, trainer: Trainer):
        self.cfg, self.corpus, self.model = cfg, corpus, model
        self.batches, self.trainer = batches, trainer
        self.evals: list[EvalPoint] = []
        self._index: tuple[int, Index] | None = None

    @classmethod
    def build(cls, cfg: EmbConfig, text: str | None = None, eval_every: int = 10,
              corpus: W2VCorpus | None = None) -> "W2VExperiment":
        """From a text, or from an already tokenised ``corpus`` (the page caches those)."""
        if corpus is None:
            corpus = build_w2v_corpus(text or "", min_count=cfg.min_count, max_vocab=MAX_VOCAB)
        batches = Word2VecBatches(corpus, algorithm=cfg.algorithm, batch_size=cfg.batch_size,
                                  window=cfg.window, negatives=cfg.negatives,
                                  subsample=cfg.subsample, seed=cfg.seed)
        model = build_word2vec(Word2VecSpec(corpus.vocab_size, cfg.embed_size, cfg.algorithm),
                               seed=cfg.seed)
        # A uniform guess scores (1 + K) log 2; ten times that means the run blew up.
        max_loss = 10 * (1 + cfg.negatives) * math.log(2)
        exp = cls(cfg, corpus, model, batches, None)  # type: ignore[arg-type]
        exp.trainer = Trainer(model, batches, w2v_loss, optimizer=cfg.optimizer, lr=cfg.lr,
                              clip="none", evaluate=exp._evaluate, eval_every=eval_every,
                              snapshot_every=100, history=5000, max_loss=max_loss)
        exp.trainer.evaluate_now()  # the step-0 point: random vectors, chance accuracy
        return exp

    def apply_live(self, cfg: EmbConfig) -> None:
        with self.trainer.lock:
            self.trainer.set_lr(cfg.lr)
            self.cfg = cfg

    def step(self, n: int = 1) -> None:
        self.trainer.step(n)

    @property
    def has_analogies(self) -> bool:
        return self.cfg.corpus == "grammar"

    def vectors(self) -> np.ndarray:
        return self.model.vectors()

    def index(self) -> Index:
        """Unit vectors for queries, rebuilt only when training has moved on."""
        if self._index is None or self._index[0] != self.trainer.steps:
            self._index = (self.trainer.steps, Index.build(self.vectors(), self.corpus.words))
        return self._index[1]

    def _evaluate(self, model: Word2Vec) -> float:
        """Called by the Trainer (under its lock): probe neighbours and analogy accuracy."""
        index = Index.build(model.vectors(), self.corpus.words)
        probes = {w: neighbours(index, w, 5) for w in probe_words(self.cfg, self.corpus)
                  if w in index.pos}
        score = analogy_accuracy(index) if self.has_analogies else None
        self.evals.append(EvalPoint(self.trainer.steps, score, probes))
        del self.evals[:-2000]
        return score.accuracy if score is not None and score.total else float("nan")

    def embedding_set(self) -> "EmbeddingSet":
        name = {"skipgram": "skip-gram", "cbow": "CBOW"}[self.cfg.algorithm]
        return EmbeddingSet(f"word2vec {name} on {self.cfg.corpus}, step {self.trainer.steps:,}",
                            list(self.corpus.words), self.vectors(), self.corpus.counts,
                            [word_category(w) or "other" for w in self.corpus.words], "words")


# ---- what the projection and query panels consume -------------------------------------------
@dataclass
class EmbeddingSet:
    name: str
    labels: list[str]  # one per row; unique for kind "words"
    vectors: np.ndarray = field(repr=False)  # (N, D)
    counts: np.ndarray | None  # (N,) frequency, or None when unknown
    groups: list[str]  # colour category per row
    kind: str  # "words" (neighbours and analogies make sense) or "states"
    short: list[str] | None = None  # on-map text when the labels are long (hidden states)

    def top(self, n: int) -> np.ndarray:
        """Row ids of the points to draw: the n most frequent (rows are frequency-ordered)."""
        return np.arange(min(int(n), len(self.labels)))


def display_token(tok: str) -> str:
    """Whitespace tokens made visible in labels and exports."""
    return {" ": "␣", "\n": "⏎", "\t": "⇥", "": "∅"}.get(tok, tok)


def lm_embedding_set(model, vocab: Vocab, name: str, counts: np.ndarray | None = None
                     ) -> EmbeddingSet:
    """A language model's input embedding matrix (V, E), one point per vocabulary token."""
    weight = model.embed.weight.detach().cpu().numpy().astype(np.float64)
    labels = [display_token(t) for t in vocab.itos]
    groups = [word_category(t) or ("unknown" if t == Vocab.UNK else "other") for t in vocab.itos]
    order = np.argsort(-counts, kind="stable") if counts is not None else np.arange(len(labels))
    return EmbeddingSet(name, [labels[i] for i in order], weight[order],
                        None if counts is None else np.asarray(counts)[order],
                        [groups[i] for i in order], "words")


def lm_source_set(source: str, model, vocab: Vocab, level: str, name: str,
                  counts: np.ndarray | None, probe: torch.Tensor) -> EmbeddingSet:
    """``"lm_embed"``: the input embeddings; ``"lm_hidden"``: hidden states over ``probe``."""
    if source == "lm_embed":
        return lm_embedding_set(model, vocab, name, counts)
    if source == "lm_hidden":
        return lm_hidden_set(model, vocab, level, probe, name)
    raise ValueError(f"source must be 'lm_embed' or 'lm_hidden', got {source!r}")


def token_counts(ids: torch.Tensor, vocab_size: int) -> np.ndarray:
    return np.bincount(np.asarray(ids, dtype=np.int64), minlength=vocab_size)


@torch.no_grad()
def lm_hidden_set(model, vocab: Vocab, level: str, ids: torch.Tensor, name: str,
                  max_points: int = MAX_STATES, context: int = 12) -> EmbeddingSet:
    """Top-layer hidden states h_t over a probe text, one point per position, grouped by x_{t+1}.

    Runs ``model.run`` on the fused path and reads h_t (1, T, H) as the input of the output head
    (a forward hook), so no per-step internals are kept.
    """
    ids = torch.as_tensor(ids, dtype=torch.long)[: max_points + 1]
    if len(ids) < 3:
        raise CorpusError("The probe text is too short for hidden states (need 3 tokens).")
    captured = []
    hook = model.head.register_forward_hook(lambda mod, inp, out: captured.append(inp[0]))
    try:
        model.run(ids[None, :-1].to(model.device), return_internals=False)
    finally:
        hook.remove()
    states = captured[0][0].cpu().numpy().astype(np.float64)  # (T, H)
    nxt = vocab.decode(ids[1:].tolist())
    common = [t for t, _ in sorted(((t, nxt.count(t)) for t in set(nxt)),
                                   key=lambda kv: (-kv[1], kv[0]))[:TOP_NEXT]]
    toks = vocab.decode(ids.tolist())
    labels = []
    for t in range(len(nxt)):
        left = detokenize(toks[max(0, t - context + 1): t + 1], level).replace("\n", "⏎")
        labels.append(f"{t}: …{left} → {display_token(nxt[t])}")
    groups = [f"next {display_token(t)!r}" if t in common else "other" for t in nxt]
    short = [display_token(t) for t in toks[:-1]]  # the token just read
    return EmbeddingSet(name, labels, states, None, groups, "states", short)


def probe_ids(vocab: Vocab, level: str, corpus: str = "prose", max_tokens: int = MAX_STATES
              ) -> torch.Tensor:
    """The first tokens of a built-in corpus, encoded with an LM's vocabulary."""
    text = load_corpus(corpus if corpus in ("prose", "python", "grammar") else "prose",
                       max_chars=20 * max_tokens)
    return torch.tensor(vocab.encode(tokenize(text, level)[: max_tokens + 1]), dtype=torch.long)


def load_pretrained_lm(name: str):
    """(model, vocab, level, meta) of a bundled checkpoint; CheckpointError if unusable."""
    from seqviz.checkpoint import CheckpointError, list_pretrained, load_lm, pretrained_path

    if name not in list_pretrained("lm"):
        raise CheckpointError(f"No bundled language model named {name!r}.")
    return load_lm(pretrained_path(name))

