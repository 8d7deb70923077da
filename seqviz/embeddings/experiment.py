"""The embeddings page's experiment: config -> corpus -> word2vec -> Trainer, and other sources.

``W2VExperiment.build(EmbConfig(), text)`` trains skip-gram / CBOW (Mikolov et al. 2013) with the
shared :class:`seqviz.train.Trainer`; every ``eval_every`` steps it records, on the toy grammars
(English and Chinese, ``seqviz.embeddings.grammars``), the analogy accuracy, so the page can
show the space organising; ``probe_neighbours`` lists the probe words' nearest neighbours now. ``EmbeddingSet`` is what the projection and
query panels consume, whatever the source: word2vec vectors, a language model's input
embeddings (live or bundled), or the hidden states of a probe text, each labelled with its
context and coloured by the next token.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import torch

from seqviz.config import setting
from seqviz.data import CORPUS_NAMES, CorpusError, Vocab, detokenize, load_corpus, tokenize
from seqviz.embeddings.grammars import CORPUS_CHARS, TEACHING, category_of
from seqviz.embeddings.queries import AnalogyScore, Index, analogy_accuracy, neighbours
from seqviz.i18n import N_, Msg, _
from seqviz.models.w2v_objectives import OBJECTIVES, chance_loss
from seqviz.models.word2vec import (ALGORITHMS, W2VCorpus, Word2Vec, Word2VecBatches, Word2VecSpec,
                                    build_w2v_corpus, build_word2vec, w2v_loss)
from seqviz.train import Trainer

SOURCES = ("word2vec", "lm_embed", "lm_hidden")
MAX_VOCAB = 5000
PROBES = {**{name: t.probes for name, t in TEACHING.items()},
          "prose": ("function", "list", "error", "class")}
CORPORA = ("grammar", "grammar_zh", "prose", "upload")
MIN_LR = 1e-4 / 0.025  # the schedule's floor, a share of the start (gensim: min_alpha 0.0001)
RATE_BLOCK = 10_000  # corpus words the rate is held for (word2vec.c; gensim's batch_words)
MAX_STATES = 1500  # hidden-state points drawn at most
TOP_NEXT = 8  # hidden states: colour by the 8 most frequent next tokens, the rest "other"


TABS = ("queries", "glove", "debias")  # the tabs under the map: queries, GloVe, debiasing


@dataclass(frozen=True)
class EmbConfig:
    """The embeddings page. Live fields change the view; the others rebuild word2vec."""

    source: str = setting("word2vec", live=True, choices=SOURCES)
    lm: str = setting("live", live=True)  # "live" or a bundled checkpoint name (checked later)
    corpus: str = setting("grammar", choices=CORPORA)
    algorithm: str = setting("skipgram", choices=ALGORITHMS)
    objective: str = setting("negative", choices=OBJECTIVES)
    embed_size: int = setting(32, lo=2, hi=300)
    window: int = setting(3, lo=1, hi=10)
    negatives: int = setting(5, lo=1, hi=30)
    subsample: float = setting(1e-3, lo=0.0, hi=1.0)
    min_count: int = setting(3, lo=1, hi=1000)
    batch_size: int = setting(1024, lo=1, hi=4096)  # (word, context) pairs per step
    optimizer: str = setting("sgd", choices=("sgd", "adam"))
    lr: float = setting(0.025, live=True, lo=1e-5, hi=100.0)  # per pair (gensim's alpha)
    epochs: int = setting(5, lo=1, hi=1000)  # the learning rate falls linearly over these passes
    seed: int = setting(0, lo=0, hi=2**31 - 1)
    projection: str = setting("tsne", live=True, choices=("pca", "tsne"))
    points: int = setting(300, live=True, lo=5, hi=5000)
    perplexity: float = setting(15.0, live=True, lo=1.0, hi=100.0)
    tsne_lr: float = setting(0.0, live=True, lo=0.0, hi=10000.0)  # 0 = "auto" (n / exaggeration)
    tsne_iters: int = setting(50, live=True, lo=1, hi=250)  # t-SNE iterations per frame
    colour: str = setting("category", live=True, choices=("category", "frequency"))
    probes: str = setting("", live=True)  # comma-separated; empty = the corpus's defaults
    tab: str = setting("queries", live=True, choices=TABS)  # the open tab under the map


@dataclass
class EvalPoint:
    step: int
    analogy: AnalogyScore | None


def corpus_label(name: str) -> Msg:
    """A corpus's short name (translated when shown)."""
    return Msg(N_("your own text") if name == "upload" else CORPUS_NAMES.get(name, name))


def corpus_text(name: str) -> str:
    """A built-in corpus as this page trains on it (the Chinese grammar at the English one's
    size in words)."""
    return load_corpus(name, max_chars=CORPUS_CHARS.get(name, 400_000))


def _content_like(word: str) -> bool:
    """Long enough to be a content word: 4+ letters, or 2+ wide (CJK) characters."""
    wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in word)
    return len(word) >= 4 or wide >= 2


def probe_words(cfg: EmbConfig, corpus: W2VCorpus) -> list[str]:
    """The probe words asked for (commas, Chinese commas or 、 between them), or the corpus's
    defaults (for an upload: its first frequent content-like words)."""
    raw = cfg.probes.replace("，", ",").replace("、", ",")
    typed = [w.strip().lower() for w in raw.split(",") if w.strip()]
    if typed:
        return list(dict.fromkeys(typed))[:8]
    if cfg.corpus in PROBES:
        return list(PROBES[cfg.corpus])
    return [w for w in corpus.words if _content_like(w)][:4] or corpus.words[:4]


def held_progress(progress: float, block: float) -> float:
    """``progress`` (passes) taken back to the start of its block, blocks of ``block`` passes
    counted from the start of each pass: where the held learning rate is computed. A pass
    shorter than a block is one block (as a gensim job never spans two passes)."""
    epoch = math.floor(progress)
    return epoch + math.floor((progress - epoch) / block + 1e-9) * block


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
                                  subsample=cfg.subsample, seed=cfg.seed,
                                  uses_negatives=cfg.objective in ("negative", "sampled"))
        spec = Word2VecSpec(corpus.vocab_size, cfg.embed_size, cfg.algorithm,
                            objective=cfg.objective)
        model = build_word2vec(spec, seed=cfg.seed, counts=corpus.counts)
        # Ten times the loss of all-zero scores means the run blew up.
        max_loss = 10 * chance_loss(cfg.objective, corpus.vocab_size, cfg.negatives, model.tree)
        exp = cls(cfg, corpus, model, batches, None)  # type: ignore[arg-type]
        exp.trainer = Trainer(model, batches, w2v_loss, optimizer=cfg.optimizer,
                              lr=exp.step_lr(), clip="none", evaluate=exp._evaluate,
                              eval_every=eval_every, history=5000, max_loss=max_loss)
        exp.trainer.evaluate_now()  # the step-0 point: random vectors, chance accuracy
        return exp

    def step_lr(self) -> float:
        """The optimiser's learning rate now: ``cfg.lr`` falling linearly to ``MIN_LR`` of it
        over ``cfg.epochs`` passes (gensim's interpolation: at the end it is ``MIN_LR``, and it
        stays there if training goes on), recomputed every ``RATE_BLOCK`` corpus words and held in
        between, as word2vec.c and gensim do (gensim: once per job of 10,000 words). Holding it
        is not a detail: on prose it is what brought seqviz's neighbours to gensim's
        (``benchmarks/bench_word2vec.py``). The loss is a mean over the batch, so SGD's rate is
        ``B`` times the per-pair rate (one pair at a time, as gensim)."""
        held = held_progress(self.batches.progress, RATE_BLOCK / max(1, len(self.corpus.ids)))
        share = max(MIN_LR, 1.0 - (1.0 - MIN_LR) * held / self.cfg.epochs)  # gensim's
        scale = self.batches.batch_size if self.cfg.optimizer == "sgd" else 1
        return self.cfg.lr * share * scale

    def apply_live(self, cfg: EmbConfig) -> None:
        with self.trainer.lock:
            self.cfg = cfg
            self.trainer.set_lr(self.step_lr())

    def step(self, n: int = 1) -> list:
        """n updates, each at the schedule's learning rate; their ``StepStats``."""
        out = []
        for _ in range(int(n)):
            self.trainer.set_lr(self.step_lr())
            out += self.trainer.step(1)
        return out

    @property
    def has_analogies(self) -> bool:
        return self.cfg.corpus in TEACHING

    def vectors(self) -> np.ndarray:
        return self.model.vectors()

    def index(self) -> Index:
        """Unit vectors for queries, rebuilt only when training has moved on."""
        if self._index is None or self._index[0] != self.trainer.steps:
            self._index = (self.trainer.steps, Index.build(self.vectors(), self.corpus.words))
        return self._index[1]

    def probe_neighbours(self, k: int = 5) -> dict[str, list[tuple[str, float]]]:
        """The probe words in the vocabulary -> their k nearest neighbours (cosine), now."""
        index = self.index()
        return {w: neighbours(index, w, k) for w in probe_words(self.cfg, self.corpus)
                if w in index.pos}

    def _evaluate(self, model: Word2Vec) -> float:
        """Called by the Trainer (under its lock): the analogy accuracy (toy grammars)."""
        score = None
        if self.has_analogies:
            t = TEACHING[self.cfg.corpus]
            score = analogy_accuracy(Index.build(model.vectors(), self.corpus.words),
                                     t.analogies, t.relation_of)
        self.evals.append(EvalPoint(self.trainer.steps, score))
        del self.evals[:-2000]
        return score.accuracy if score is not None and score.total else float("nan")

    def embedding_set(self) -> "EmbeddingSet":
        name = {"skipgram": "skip-gram", "cbow": "CBOW"}[self.cfg.algorithm]
        return EmbeddingSet(f"word2vec {name} on {self.cfg.corpus}, step {self.trainer.steps:,}",
                            list(self.corpus.words), self.vectors(), self.corpus.counts,
                            [category_of(w) or "other" for w in self.corpus.words], "words")


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
    groups = [category_of(t) or ("unknown" if t == Vocab.UNK else "other") for t in vocab.itos]
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
        raise CorpusError(_("The probe text is too short for hidden states (need 3 tokens)."))
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
    groups = [_("next {token}").format(token=repr(display_token(t))) if t in common else "other"
              for t in nxt]
    short = [display_token(t) for t in toks[:-1]]  # the token just read
    return EmbeddingSet(name, labels, states, None, groups, "states", short)


def probe_ids(vocab: Vocab, level: str, corpus: str = "prose", max_tokens: int = MAX_STATES
              ) -> torch.Tensor:
    """The first tokens of a built-in corpus, encoded with an LM's vocabulary."""
    text = load_corpus(corpus if corpus in ("prose", "python", "grammar", "grammar_zh")
                       else "prose", max_chars=20 * max_tokens)
    return torch.tensor(vocab.encode(tokenize(text, level)[: max_tokens + 1]), dtype=torch.long)


def load_pretrained_lm(name: str):
    """(model, vocab, level, meta) of a bundled checkpoint; CheckpointError if unusable."""
    from seqviz.checkpoint import CheckpointError, list_pretrained, load_lm, pretrained_path

    if name not in list_pretrained("lm"):
        raise CheckpointError(_("No bundled language model named {name!r}.").format(name=name))
    return load_lm(pretrained_path(name))

