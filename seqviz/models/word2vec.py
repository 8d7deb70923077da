"""word2vec: skip-gram and CBOW with negative sampling (Mikolov et al. 2013a, 2013b).

Skip-gram predicts each context word o from a centre word c; CBOW predicts the centre word from
the mean of its context vectors. Both replace the full softmax by negative sampling (2013b):

    loss = -log σ(u_o · v_c) - Σ_{k=1..K} log σ(-u_k · v_c),   u_k ~ P_n(w) ∝ count(w)^0.75

with ``v`` the input ("word") vectors, ``u`` the output ("context") vectors. Frequent words are
subsampled: each occurrence of w is kept with probability min(1, (sqrt(f/t) + 1) t/f) (f =
relative frequency; word2vec.c's and gensim's form of 2013b's sqrt(t/f)), which speeds training
and improves rare-word vectors. The window is
"dynamic" as in word2vec.c: for every centre a window size b is drawn uniformly from 1..W, so
near words count more. Windows never cross a sentence boundary (a line, . ! ? or Chinese 。！？).

Batches come from :class:`Word2VecBatches`, whose ``next()`` draws from a seeded
``torch.Generator``, so :class:`seqviz.train.Trainer` drives training and ``step(5); step(5)``
equals ``step(10)``.

Dense or sparse gradients? Measured on this project's shared 2-core machine (one thread, E=64,
K=5, B=128 pairs, median ms per step including the optimiser;
``python benchmarks/bench_tsne.py --word2vec``):

    V        dense Adam  dense SGD  sparse SparseAdam  sparse SGD
    176         0.39       0.32          0.57             0.35
    1,000       0.51       0.35          0.65             0.34
    5,000       4.19       0.46          0.72             0.35
    50,000     32.1        3.33          1.02             0.38

Sparse gradients only pay off for vocabularies of thousands of words; the grammar corpus has
174 words and the prose 1,831 at the default minimum count (3). So the page uses dense
gradients, and caps vocabularies at 5,000 words. For notebook use with larger ones,
``Word2VecSpec(sparse=True)`` with the Trainer's SGD gives the same updates as dense (tested).

Training as gensim does (the page's defaults; ``benchmarks/bench_word2vec.py`` compares the
two): every pair of the shrinking window, gensim's subsampling formula and initial vectors,
SGD at alpha = 0.025 per pair falling linearly over the passes, held for 10,000 words at a time
(``seqviz.embeddings.experiment``)
— but 1,024 pairs per step, vectorised, where gensim updates after each pair. The output layer
(negative sampling, hierarchical, sampled or full softmax) is ``seqviz.models.w2v_objectives``,
with hand-written gradients.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from seqviz.data import CorpusError, tokenize
from seqviz.models.seeding import seeded
from seqviz.models.w2v_objectives import OBJECTIVES, HuffmanTree, Objective, huffman_tree

ALGORITHMS = ("skipgram", "cbow")
NOISE_POWER = 0.75  # Mikolov et al. 2013b: unigram^(3/4) beat unigram and uniform
PAIR_CHUNK = 16_384  # skip-gram pairs made at once (about)
NOISE_TABLE = 1_000_000  # cells of the noise table (word2vec.c: 1e8)
_SENTENCE_END = frozenset({"\n", ".", "!", "?", "。", "！", "？"})
_WORDLIKE = re.compile(r"\w")


# ---- corpus ----------------------------------------------------------------------------------
@dataclass
class W2VCorpus:
    """Word ids of a corpus in reading order, with sentence bounds and word counts."""

    words: list[str]  # id -> word, most frequent first
    counts: np.ndarray  # (V,) int64, occurrences in the corpus (before subsampling)
    ids: torch.Tensor  # (N,) int64 word ids
    sentence: torch.Tensor  # (N,) int64 sentence index of every token

    @property
    def vocab_size(self) -> int:
        return len(self.words)

    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}


def sentences(text: str, lowercase: bool = True) -> list[list[str]]:
    """Word-level tokens split into sentences; punctuation and symbols are dropped."""
    out, cur = [], []
    for tok in tokenize(text, "word"):
        if tok in _SENTENCE_END:
            if cur:
                out.append(cur)
            cur = []
        elif _WORDLIKE.search(tok):
            cur.append(tok.lower() if lowercase else tok)
    if cur:
        out.append(cur)
    return out


def build_w2v_corpus(text: str, min_count: int = 1, max_vocab: int = 5000,
                     lowercase: bool = True) -> W2VCorpus:
    """Tokenise, keep the ``max_vocab`` most frequent words seen ``min_count`` times or more.

    Rare words are removed from the stream (as word2vec.c does), not mapped to an unknown token,
    and so are words that then occur only in one-word sentences (no pair would ever train them;
    gensim keeps them, untrained). ``counts`` are the corpus counts of the words kept.
    Raises :class:`CorpusError` with a message for the page if fewer than two words remain or no
    sentence has two words to pair.
    """
    sents = sentences(text, lowercase)
    counts = Counter(w for s in sents for w in s)  # insertion order = first occurrence
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])  # stable: ties by first occurrence
    kept = [(w, c) for w, c in ranked if c >= max(1, int(min_count))][: int(max_vocab)]
    if len(kept) < 2:
        seen = ", ".join(repr(w) for w, _ in ranked[:3]) or "none"
        raise CorpusError(
            f"word2vec needs at least 2 distinct words seen {min_count}+ times; this text has "
            f"{len(kept)} ({len(counts)} distinct words in all: {seen}). Use a longer text or a "
            f"lower minimum count.")
    # A word seen only in one-word sentences (after rare words are dropped) has no context
    # pair: it would sit in the vocabulary untrained, so it goes too (and again, until stable).
    vocab = {w for w, _ in kept}
    while True:
        rows = [r for r in ([w for w in s if w in vocab] for s in sents) if len(r) >= 2]
        paired = {w for r in rows for w in r}
        if paired == vocab:
            break
        vocab = paired
    kept = [(w, c) for w, c in kept if w in vocab]
    if len(kept) < 2:
        raise CorpusError("No sentence of this text has two known words next to each other, so "
                          "there are no (word, context) pairs to learn from. Use a longer text.")
    stoi = {w: i for i, (w, _) in enumerate(kept)}
    ids = [stoi[w] for r in rows for w in r]
    sent = [i for i, r in enumerate(rows) for _ in r]
    return W2VCorpus([w for w, _ in kept], np.array([c for _, c in kept], dtype=np.int64),
                     torch.tensor(ids, dtype=torch.long), torch.tensor(sent, dtype=torch.long))


def noise_distribution(counts, power: float = NOISE_POWER) -> torch.Tensor:
    """P_n(w) = count(w)^power / Σ count^power, as float64 (V,)."""
    c = torch.as_tensor(np.asarray(counts, dtype=np.float64))
    if c.dim() != 1 or len(c) == 0 or bool((c < 0).any()) or float(c.sum()) <= 0:
        raise ValueError("counts must be a non-empty 1-D array of non-negative numbers")
    p = c.pow(power)
    return p / p.sum()


def keep_probability(counts, threshold: float) -> torch.Tensor:
    """Subsampling: keep an occurrence of w with probability min(1, (sqrt(f/t) + 1) t/f), f its
    relative frequency: word2vec.c's and gensim's form of the paper's sqrt(t/f) (2013b, eq. 5),
    which keeps a little more of every frequent word."""
    c = torch.as_tensor(np.asarray(counts, dtype=np.float64))
    if threshold <= 0:
        return torch.ones_like(c)
    r = threshold / (c / c.sum()).clamp_min(1e-300)  # t / f
    return ((1 / r).sqrt() + 1).mul(r).clamp(max=1.0)


# ---- batches ---------------------------------------------------------------------------------
class Word2VecBatches:
    """``next()`` -> one batch of (centre, context, negatives) from a seeded generator.

    Skip-gram batch: ``center`` (B,), ``context`` (B,) one context word per centre, ``negatives``
    (B, K). CBOW batch: ``center`` (B,) the target, ``context`` (B, 2W) with ``mask`` (B, 2W),
    ``negatives`` (B, K). Each pass ("epoch") subsamples the stream afresh and visits its
    centres in a new random order.
    """

    def __init__(self, corpus: W2VCorpus, *, algorithm: str = "skipgram", batch_size: int = 1024,
                 window: int = 3, negatives: int = 5, subsample: float = 1e-3, seed: int = 0,
                 uses_negatives: bool = True):
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
        if min(batch_size, window, negatives) < 1:
            raise ValueError(f"batch_size, window and negatives must be >= 1, got "
                             f"{batch_size}, {window}, {negatives}")
        self.corpus, self.algorithm = corpus, algorithm
        self.batch_size, self.window, self.k = int(batch_size), int(window), int(negatives)
        self.generator = torch.Generator().manual_seed(int(seed))
        self.noise = noise_distribution(corpus.counts)  # (V,) float64
        # word2vec.c's unigram table: word w fills a P_n(w) share of its cells, so a uniform
        # cell is a noise draw (4x faster than a binary search of the CDF per draw)
        cdf = torch.cumsum(self.noise, 0)
        cells = (torch.arange(NOISE_TABLE, dtype=torch.float64) + 0.5) / NOISE_TABLE
        self._table = torch.searchsorted(cdf, cells).clamp(max=len(cdf) - 1).to(
            torch.int16 if len(cdf) < 2**15 else torch.int32)
        self.keep = keep_probability(corpus.counts, subsample).float()  # (V,)
        self._offsets = torch.cat([torch.arange(-self.window, 0), torch.arange(1, self.window + 1)])
        self.uses_negatives = bool(uses_negatives)
        self.epoch, self.steps = 0, 0
        # skip-gram pairs made ahead of the batches: centre, context, and the progress (passes)
        # at the pair's centre, so the rate follows the pairs handed out, not the pairs made
        self._buf = (torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long),
                     torch.zeros(0, dtype=torch.float64))
        self._buf_at = 0
        self._new_epoch(self.batch_size if algorithm == "cbow" else 1)

    def _new_epoch(self, fill: int = 1) -> None:
        """Subsample the stream, find sentence bounds, shuffle the centres."""
        ids, sent = self.corpus.ids, self.corpus.sentence
        kept = torch.rand(len(ids), generator=self.generator) < self.keep[ids]  # (N,)
        ids, sent = ids[kept], sent[kept]
        n = len(ids)
        pos = torch.arange(n)
        new = torch.ones(n, dtype=torch.bool)
        new[1:] = sent[1:] != sent[:-1]  # first token of each sentence
        start = torch.cummax(torch.where(new, pos, 0), 0).values  # (N,) sentence start
        last = torch.ones(n, dtype=torch.bool)
        last[:-1] = new[1:]
        end = torch.flip(torch.cummin(torch.flip(torch.where(last, pos, n), [0]), 0).values, [0])
        self._ids, self._start, self._end = ids, start, end  # end = last index of the sentence
        centres = pos[end > start]  # centres with at least one context word
        if len(centres) == 0:  # everything subsampled away: fall back to the full stream
            self.keep = torch.ones_like(self.keep)
            return self._new_epoch(fill)
        self._reps = -(-max(fill, 1) // len(centres))  # a tiny text: repeat it to fill a chunk
        self._order = torch.cat([centres[torch.randperm(len(centres), generator=self.generator)]
                                 for _ in range(self._reps)])
        self._cursor = 0
        self.epoch += 1

    def _take_centres(self, n: int, partial: bool = False) -> torch.Tensor:
        """(n,) centre positions in the current subsampled stream.

        A chunk never straddles two epochs (their streams differ): the last partial chunk of an
        epoch is skipped (at most n - 1 centres), or with ``partial`` returned shorter.
        """
        left = len(self._order) - self._cursor
        if left == 0 or n > left and not partial:
            self._new_epoch(1 if partial else n)
        chunk = self._order[self._cursor:self._cursor + n]
        self._cursor += len(chunk)
        return chunk

    def sample_negatives(self, n: int) -> torch.Tensor:
        """(n, K) word ids drawn from the unigram^0.75 noise distribution."""
        cell = torch.randint(0, NOISE_TABLE, (n * self.k,), generator=self.generator)
        return self._table.index_select(0, cell).long().view(n, self.k)

    def _expand(self, pos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every (centre, context) pair of the centres at ``pos`` (C,): for each centre a window
        b ~ U{1..W} (word2vec.c's shrinking window), all words within b in its sentence; and
        the number of pairs of each centre (C,)."""
        b = torch.randint(1, self.window + 1, (len(pos),), generator=self.generator)  # (C,)
        left = torch.minimum(b, pos - self._start[pos])  # valid context words on each side
        right = torch.minimum(b, self._end[pos] - pos)
        off = self._offsets[None, :]  # (1, 2W)
        mask = (off >= -left[:, None]) & (off <= right[:, None])  # (C, 2W)
        where = (pos[:, None] + off)[mask]
        return self._ids[pos][:, None].expand(mask.shape)[mask], self._ids[where], mask.sum(1)

    def _skipgram_pairs(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(B,) centre and (B,) context ids: the next B pairs of the shuffled centres, all of
        each centre's pairs in turn (as gensim and word2vec.c train them). Pairs are made for
        many centres at once (``PAIR_CHUNK``) and handed out B at a time."""
        c, o, at_pass = self._buf
        while len(c) - self._buf_at < self.batch_size:
            centres = max(1, max(PAIR_CHUNK, self.batch_size) // (self.window + 1))
            pos = self._take_centres(centres, partial=True)
            more_c, more_o, per_centre = self._expand(pos)
            first = self._cursor - len(pos)  # the chunk's first centre in this pass
            passes = (self.epoch - 1 + (first + torch.arange(len(pos), dtype=torch.float64))
                      / self._per_pass()).repeat_interleave(per_centre)
            c, o, at_pass = (torch.cat([c[self._buf_at:], more_c]),
                             torch.cat([o[self._buf_at:], more_o]),
                             torch.cat([at_pass[self._buf_at:], passes]))
            self._buf, self._buf_at = (c, o, at_pass), 0
        at, self._buf_at = self._buf_at, self._buf_at + self.batch_size
        return c[at:self._buf_at], o[at:self._buf_at]

    def _per_pass(self) -> int:
        return max(1, len(self._order) // self._reps)

    @property
    def progress(self) -> float:
        """Passes over the corpus so far, for the learning-rate schedule: centres whose pairs
        have all been handed out, over centres per pass (pairs made ahead do not count)."""
        left = self._buf[2][self._buf_at:] if self.algorithm == "skipgram" else None
        if left is not None and len(left):
            return float(left[0])
        return self.epoch - 1 + self._cursor / self._per_pass()

    def next(self) -> dict[str, torch.Tensor]:
        if self.algorithm == "skipgram":
            center, context = self._skipgram_pairs()
            batch = {"center": center, "context": context}
        else:
            pos = self._take_centres(self.batch_size)  # (B,)
            b = torch.randint(1, self.window + 1, (len(pos),), generator=self.generator)
            left = torch.minimum(b, pos - self._start[pos])
            right = torch.minimum(b, self._end[pos] - pos)
            off = self._offsets[None, :]  # (1, 2W)
            mask = (off >= -left[:, None]) & (off <= right[:, None])  # (B, 2W)
            where = (pos[:, None] + off).clamp(0, len(self._ids) - 1)
            batch = {"center": self._ids[pos], "context": self._ids[where], "mask": mask.float()}
        if self.uses_negatives:
            batch["negatives"] = self.sample_negatives(len(batch["center"]))
        self.steps += 1
        return batch

    __next__ = next

    def __iter__(self) -> "Word2VecBatches":
        return self


# ---- model -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Word2VecSpec:
    vocab_size: int
    embed_size: int = 32
    algorithm: str = "skipgram"
    sparse: bool = False  # sparse gradients need SGD or SparseAdam (see the module docstring)
    objective: str = "negative"  # the output layer: one of ``w2v_objectives.OBJECTIVES``


class Word2Vec(nn.Module):
    """Input vectors ``in_embed`` (V, E), the word embeddings, and output vectors ``out_embed``."""

    def __init__(self, spec: Word2VecSpec):
        super().__init__()
        if spec.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {spec.algorithm!r}")
        if spec.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {spec.objective!r}")
        if spec.vocab_size < 2 or spec.embed_size < 1:
            raise ValueError(f"need vocab_size >= 2 and embed_size >= 1, got "
                             f"{spec.vocab_size}, {spec.embed_size}")
        self.spec = spec
        self.in_embed = nn.Embedding(spec.vocab_size, spec.embed_size, sparse=spec.sparse)
        self.out_embed = nn.Embedding(spec.vocab_size, spec.embed_size, sparse=spec.sparse)
        # gensim: input uniform in ±1/E (word2vec.c: ±0.5/E, slower to start), output zeros
        nn.init.uniform_(self.in_embed.weight, -1.0 / spec.embed_size, 1.0 / spec.embed_size)
        nn.init.zeros_(self.out_embed.weight)
        self.tree: HuffmanTree | None = None  # hierarchical softmax: set by ``set_counts``
        self.log_q: torch.Tensor | None = None  # sampled softmax: log noise probabilities (V,)

    def set_counts(self, counts) -> "Word2Vec":
        """The word counts the tree (hierarchical softmax) and the proposal (sampled softmax)
        are built from."""
        if self.spec.objective == "hierarchical":
            self.tree = huffman_tree(counts)
        self.log_q = noise_distribution(counts).float().log()
        return self

    def hidden(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """v (B, E): the centre's vector (skip-gram) or the mean context vector (CBOW)."""
        if self.spec.algorithm == "skipgram":
            return self.in_embed(batch["center"])
        mask = batch["mask"]  # (B, 2W)
        ctx = self.in_embed(batch["context"]) * mask[..., None]  # (B, 2W, E)
        return ctx.sum(1) / mask.sum(1, keepdim=True).clamp_min(1.0)

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Mean loss per (input, target) pair, in nats (``w2v_objectives``: negative sampling
        by default; a noise word equal to the target is skipped, as in word2vec.c)."""
        v = self.hidden(batch)  # (B, E)
        target = batch["context"] if self.spec.algorithm == "skipgram" else batch["center"]
        name = self.spec.objective
        if name == "hierarchical" and self.tree is None or name == "sampled" and self.log_q is None:
            raise ValueError(f"the {name} objective needs the word counts: call set_counts")
        if self.spec.sparse:  # autograd, so the output embedding's gradient stays sparse
            if name != "negative":
                raise ValueError("sparse gradients are for negative sampling only")
            return _autograd_negative_loss(v, self.out_embed, target, batch["negatives"])
        return Objective.apply(v, self.out_embed.weight, name, target, batch.get("negatives"),
                               self.tree, self.log_q)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.loss(batch)

    def vectors(self) -> np.ndarray:
        """The word embeddings (V, E) as a float32 numpy copy."""
        return self.in_embed.weight.detach().cpu().numpy().copy()


def _autograd_negative_loss(v, out_embed: nn.Embedding, target, neg) -> torch.Tensor:
    """Negative sampling through autograd (sparse embeddings: their gradients stay sparse)."""
    pos_score = (v * out_embed(target)).sum(-1)  # (B,)
    neg_score = torch.bmm(out_embed(neg), v[:, :, None]).squeeze(-1)  # (B, K)
    keep = (neg != target[:, None]).float()
    return -(F.logsigmoid(pos_score) + (F.logsigmoid(-neg_score) * keep).sum(-1)).mean()


def build_word2vec(spec: Word2VecSpec, seed: int = 0, counts=None) -> Word2Vec:
    """Seeded construction: the same spec and seed give the same initial vectors. ``counts``
    (V,) build the Huffman tree and the sampled softmax's proposal."""
    with seeded(seed):
        model = Word2Vec(spec)
    return model.set_counts(counts) if counts is not None else model


def w2v_loss(model: Word2Vec, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """``loss_fn`` for :class:`seqviz.train.Trainer`."""
    return model.loss(batch)
