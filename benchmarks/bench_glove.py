"""GloVe beside word2vec on the toy grammars: analogy accuracy after the same numbers of steps,
and the time a step takes (one thread, as in an engine worker).

    python benchmarks/bench_glove.py

Both with the page's defaults (E 32, window 3, minimum count 3, seed 0): word2vec skip-gram
(batch 128 pairs, Adam 0.005) and GloVe (AdaGrad 0.05, 2,048 nonzero x_ij per step, x_max 100,
α 3/4). Reference: word2vec, the page's own method, on the same corpus and steps. The page opens
GloVe trained ``WARM_STEPS`` (300) steps; printed is how long that takes here, and the
co-occurrence count. Goal: GloVe >= 40 % of the 162 analogies within 300 steps (chance ~1 %).
"""

from __future__ import annotations

import time

import torch

from seqviz.embeddings.experiment import EmbConfig, W2VExperiment
from seqviz.embeddings.glove import GloVe, cooccurrence
from seqviz.embeddings.glovelive import WARM_STEPS
from seqviz.embeddings.grammars import TEACHING
from seqviz.embeddings.live import corpus_for, text_of
from seqviz.embeddings.queries import Index, analogy_accuracy

CHECKPOINTS = (100, 200, 300, 1000, 3000)


def main() -> None:
    torch.set_num_threads(1)
    for corpus_name in ("grammar", "grammar_zh"):
        cfg = EmbConfig(corpus=corpus_name)
        corpus = corpus_for(text_of(cfg, None), cfg.min_count)
        t = TEACHING[corpus_name]
        start = time.perf_counter()
        cooc = cooccurrence(corpus.ids, corpus.sentence, corpus.vocab_size, cfg.window)
        count_s = time.perf_counter() - start
        glove = GloVe(cooc, cfg.embed_size, seed=cfg.seed)
        w2v = W2VExperiment.build(cfg, corpus=corpus, eval_every=10**9)
        print(f"{corpus_name}: V = {corpus.vocab_size}, {len(cooc.counts):,} nonzero x_ij "
              f"(counted in {count_s * 1000:.0f} ms)")
        done, g_s, w_s = 0, 0.0, 0.0
        for target in CHECKPOINTS:
            start = time.perf_counter()
            for _ in range(target - done):
                glove.step()
            g_s += time.perf_counter() - start
            start = time.perf_counter()
            w2v.step(target - done)
            w_s += time.perf_counter() - start
            done = target
            g = analogy_accuracy(Index.build(glove.vectors(), corpus.words), t.analogies,
                                 t.relation_of)
            w = analogy_accuracy(Index.build(w2v.vectors(), corpus.words), t.analogies,
                                 t.relation_of)
            if target == WARM_STEPS:
                warm = g_s
            print(f"  step {target:>5}: GloVe {g.correct:3d}/162 ({g.accuracy:4.0%})   "
                  f"word2vec (reference) {w.correct:3d}/162 ({w.accuracy:4.0%})")
        print(f"  ms per step: GloVe {1000 * g_s / done:.2f}, word2vec {1000 * w_s / done:.2f};"
              f" GloVe's {WARM_STEPS} warm steps: {warm:.2f} s")


if __name__ == "__main__":
    main()
