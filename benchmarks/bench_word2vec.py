"""seqviz's word2vec beside gensim's, from the same run, one thread each.

    pip install -r requirements-bench.txt      # gensim: a benchmark-only dependency
    python benchmarks/bench_word2vec.py        # everything (about a minute of CPU)
    python benchmarks/bench_word2vec.py --tiny # seqviz only, small: the smoke test's mode
    python benchmarks/bench_word2vec.py --write-table  # also store the output-layer table

Same corpus (seqviz's tokenised sentences are handed to gensim), same hyper-parameters:
skip-gram, E = 32, window 3 (shrinking), 5 negatives, min_count 3, subsampling 1e-3, alpha
0.025 falling linearly to 0.0001 over 5 epochs. gensim: ``Word2Vec(sg=1, negative=5,
workers=1)``; seqviz: ``W2VExperiment`` with the page's defaults (1,024 pairs a step).

1. Pairs per CPU-second: (centre, context) pairs of one epoch over the CPU seconds the epochs
   took. Both draw pairs the same way (subsampling, shrinking window), so the pairs of an
   epoch are counted once, from seqviz's generator, and used for both.
2. CPU seconds to 90 % analogy accuracy on the English grammar (its 162 analogies, top-1,
   query words excluded), scored at the end of every epoch for both (evaluation not timed).
3. Prose: top-10 cosine neighbours of the 300 most frequent words (in both vocabularies),
   overlap seqviz–gensim against gensim–gensim; same number of pairs (5 epochs). Six seqviz
   seeds and six gensim seeds (``--seeds N``: N of each), every pair of runs averaged (one pair
   of runs alone varies by ±0.02, and a run's average against the others by ±0.01), with a
   bootstrap interval for the difference of the two means (runs resampled on both sides). For
   reference, gensim fed the sentences in other orders: each run its own fixed shuffle, and a
   new shuffle for every pass (as seqviz's batches take them), each against corpus-order
   gensim runs of *other* seeds (a gensim seed fixes the initial vectors, and two runs from
   the same initial vectors agree far more: 0.37-0.56). ``--per-pair`` adds gensim's own loop
   re-written in NumPy (one pair at a time, no batching, corpus order) on the same corpus, to
   tell a batching gap from another cause.
4. Output layers (seqviz only): ms per step and analogy accuracy after 1 and 5 epochs for
   negative sampling, hierarchical softmax, sampled and full softmax. ``--write-table`` stores
   it in ``seqviz/embeddings/objectives.json``, the table the page shows.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqviz.embeddings.experiment import EmbConfig, W2VExperiment, corpus_text  # noqa: E402
from seqviz.embeddings.grammars import TEACHING  # noqa: E402
from seqviz.embeddings.queries import Index, analogy_accuracy  # noqa: E402
from seqviz.models.w2v_objectives import OBJECTIVES  # noqa: E402
from seqviz.models.word2vec import (build_w2v_corpus, keep_probability,  # noqa: E402
                                    noise_distribution, sentences)

TABLE = Path(__file__).resolve().parents[1] / "seqviz" / "embeddings" / "objectives.json"
GOAL_RATIO = 3.0  # time to 90 %: at most 3x gensim's
SEEDS = 6  # prose: seqviz seeds 0..5 and gensim seeds 1..6, every pair of runs
JOB_WORDS = 10_000  # gensim's batch_words: the rate is held for a job of this many words
PER_PAIR_SEEDS = range(1000, 1004)  # --per-pair: its runs (seeds apart from gensim's)
BOOTSTRAP = 2000  # resamples of the runs for the interval of the difference of the means


def _accuracy(vectors, words, corpus="grammar") -> float:
    t = TEACHING[corpus]
    return analogy_accuracy(Index.build(np.asarray(vectors, np.float64), list(words)),
                            t.analogies, t.relation_of).accuracy


def seqviz_run(text: str, cfg: EmbConfig, score=None):
    """(CPU seconds at each epoch end, score at each, pairs per epoch, experiment)."""
    corpus = build_w2v_corpus(text, min_count=cfg.min_count)
    exp = W2VExperiment.build(cfg, corpus=corpus, eval_every=10**9)
    cpu, points, steps = 0.0, [], 0
    for epoch in range(1, cfg.epochs + 1):
        start = time.process_time()
        while exp.batches.progress < epoch:
            exp.step(1)
            steps += 1
        cpu += time.process_time() - start
        points.append((cpu, score(exp.vectors(), corpus.words) if score else float("nan")))
    return points, steps * cfg.batch_size / cfg.epochs, exp


def gensim_run(sents, cfg: EmbConfig, seed: int, score=None):
    """(CPU seconds at each epoch end, score at each, model); evaluation is not timed."""
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec

    class Clock(CallbackAny2Vec):
        def __init__(self):
            self.points, self.paused, self.start = [], 0.0, 0.0

        def on_train_begin(self, model):
            self.start = time.process_time()

        def on_epoch_end(self, model):
            now = time.process_time()
            acc = score(model.wv.vectors, model.wv.index_to_key) if score else float("nan")
            self.points.append((now - self.start - self.paused, acc))
            self.paused += time.process_time() - now

    clock = Clock()
    model = Word2Vec(sents, vector_size=cfg.embed_size, window=cfg.window, negative=cfg.negatives,
                     min_count=cfg.min_count, sample=cfg.subsample, alpha=cfg.lr,
                     min_alpha=1e-4, epochs=cfg.epochs, sg=1, hs=0, workers=1, seed=seed,
                     callbacks=[clock])
    return clock.points, model


def gensim_reshuffled_run(sents, cfg: EmbConfig, seed: int, order_seed: int):
    """gensim trained as seqviz orders its data: a new shuffle of the sentences for every pass,
    the rate falling over the five passes as in one ``train`` call (each pass's own segment)."""
    from gensim.models import Word2Vec

    model = Word2Vec(vector_size=cfg.embed_size, window=cfg.window, negative=cfg.negatives,
                     min_count=cfg.min_count, sample=cfg.subsample, alpha=cfg.lr, min_alpha=1e-4,
                     sg=1, hs=0, workers=1, seed=seed)
    model.build_vocab(sents)
    rng = np.random.default_rng(order_seed)

    def rate(done: float) -> float:
        return cfg.lr - (cfg.lr - 1e-4) * done / cfg.epochs

    for e in range(cfg.epochs):
        order = list(sents)
        rng.shuffle(order)
        model.train(order, total_examples=len(order), epochs=1, start_alpha=rate(e),
                    end_alpha=rate(e + 1))
    return model


def other_seed_overlaps(a: list, b: list) -> list[float]:
    """Overlaps of every run in ``a`` with every run in ``b`` but the one of the same seed (the
    i-th of each): two gensim runs of one seed start from the same vectors."""
    return [overlap(x, y) for i, x in enumerate(a) for j, y in enumerate(b) if i != j]


def first_at(points, level=0.9):
    for i, (cpu, acc) in enumerate(points):
        if acc >= level:
            return cpu, i + 1
    return None, None


def neighbour_sets(vectors, words, common, k=10):
    pos = {w: i for i, w in enumerate(words)}
    rows = np.asarray([vectors[pos[w]] for w in common], np.float64)
    unit = rows / np.linalg.norm(rows, axis=1, keepdims=True).clip(1e-12)
    sim = unit @ unit.T
    np.fill_diagonal(sim, -np.inf)
    top = np.argsort(-sim, axis=1)[:, :k]
    return [set(r) for r in top]


def overlap(a, b) -> float:
    return float(np.mean([len(x & y) / len(x) for x, y in zip(a, b)]))


def bootstrap_difference(sg: np.ndarray, gg: np.ndarray, reps: int = BOOTSTRAP,
                         seed: int = 0) -> tuple[float, float]:
    """95 % interval of mean(seqviz–gensim) − mean(gensim–gensim) when the runs on both sides
    are resampled with replacement: ``sg`` (S, G) overlaps of every seqviz run with every
    gensim run, ``gg`` (G, G) of every two gensim runs (a run is never paired with itself)."""
    rng = np.random.default_rng(seed)
    n_s, n_g = sg.shape
    out = []
    for _ in range(reps):
        si, gi = rng.integers(0, n_s, n_s), rng.integers(0, n_g, n_g)
        pairs = [(a, b) for a, b in itertools.combinations(gi, 2) if a != b]
        if pairs:
            out.append(sg[np.ix_(si, gi)].mean() - np.mean([gg[a, b] for a, b in pairs]))
    lo, hi = np.percentile(out, [2.5, 97.5])
    return float(lo), float(hi)


def _spread(values) -> str:
    return f"{np.mean(values):.3f} ({min(values):.3f}–{max(values):.3f}, {len(values)} pairs)"


def per_pair_reference(text: str, cfg: EmbConfig, seed: int):
    """gensim's skip-gram loop (word2vec_inner.pyx) in NumPy, one pair at a time: sentences in
    corpus order, subsampled afresh each pass, a shrinking window per centre, each context
    word's vector trained to predict the centre against ``negatives`` noise words, the rate
    held for each job of at most 10,000 corpus words at the job's start (gensim's
    ``batch_words``; its progress counts sentences, as gensim's does when it knows their
    number). Slow (about half a minute a run); it tells whether a gap to gensim comes from
    seqviz's batched updates or from elsewhere. Returns (corpus, input vectors)."""
    corpus = build_w2v_corpus(text, min_count=cfg.min_count)
    stoi = {w: i for i, w in enumerate(corpus.words)}
    sents = sentences(text)
    rows = [np.array([stoi[w] for w in s if w in stoi], dtype=np.int64) for s in sents]
    keep = keep_probability(corpus.counts, cfg.subsample).numpy()
    cdf = np.cumsum(noise_distribution(corpus.counts).numpy())
    rng = np.random.default_rng(seed)
    V, E = corpus.vocab_size, cfg.embed_size
    W = ((rng.random((V, E)) * 2 - 1) / E).astype(np.float32)
    U = np.zeros((V, E), np.float32)
    total, done, lo = len(rows) * cfg.epochs, 0, 1e-4
    for _ in range(cfg.epochs):
        job = JOB_WORDS + 1  # the first sentence starts a job
        for sent, r in zip(sents, rows):
            if job + len(sent) > JOB_WORDS:  # a new job: its rate, held to its end
                a, job = cfg.lr - (cfg.lr - lo) * done / total, 0
            job, done = job + len(sent), done + 1
            r = r[rng.random(len(r)) < keep[r]] if len(r) else r
            b = cfg.window - rng.integers(0, cfg.window, len(r))
            for i in range(len(r)):
                for j in range(max(0, i - b[i]), min(len(r), i + b[i] + 1)):
                    if j == i:
                        continue
                    negs = np.searchsorted(cdf, rng.random(cfg.negatives)).clip(max=V - 1)
                    tg = np.concatenate(([r[i]], negs[negs != r[i]]))
                    label = np.zeros(len(tg), np.float32)
                    label[0] = 1
                    v, u = W[r[j]], U[tg]
                    g = (label - 1 / (1 + np.exp(-(u @ v)))) * a
                    step = g @ u
                    np.add.at(U, tg, g[:, None] * v[None, :])
                    W[r[j]] += step
    return corpus, W


def objectives_table(text: str, cfg: EmbConfig) -> list[dict]:
    rows = []
    for name in OBJECTIVES:
        c = dataclasses.replace(cfg, objective=name)
        points, _pairs, exp = seqviz_run(text, c, _accuracy)
        steps = len(exp.trainer.history)
        ms = 1000 * points[-1][0] / max(1, exp.trainer.steps)
        rows.append({"objective": name, "ms_per_step": round(ms, 2),
                     "accuracy_1": round(points[0][1], 3), "accuracy_5": round(points[-1][1], 3),
                     "loss": round(float(np.mean([h.loss for h in
                                                  list(exp.trainer.history)[-max(1, steps // 10):]])),
                                   3),
                     "cpu_s": round(points[-1][0], 2)})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiny", action="store_true", help="seqviz only, one small epoch")
    ap.add_argument("--write-table", action="store_true", help="store the output-layer table")
    ap.add_argument("--seeds", type=int, default=SEEDS, metavar="N",
                    help=f"prose: N seqviz and N gensim runs (default {SEEDS})")
    ap.add_argument("--per-pair", action="store_true",
                    help="also train gensim's loop in NumPy, one pair at a time (4 runs, "
                         "about 2-3 minutes)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    try:
        import gensim  # noqa: F401
        has_gensim = True
    except ImportError:
        has_gensim = False
    if not has_gensim and not args.tiny:
        print("gensim is not installed: this benchmark compares against it. Install it with "
              "`pip install -r requirements-bench.txt` (or run --tiny for seqviz alone).")
        return 2
    cfg = EmbConfig()
    if args.tiny:
        cfg = dataclasses.replace(cfg, epochs=1)
        text = corpus_text("grammar")[:20_000]
        points, pairs, _exp = seqviz_run(text, cfg)
        print(f"tiny: seqviz {pairs / points[-1][0]:,.0f} pairs per CPU-second "
              f"({pairs:,.0f} pairs); gensim {'installed' if has_gensim else 'not installed'}, "
              f"not run")
        for row in objectives_table(text, cfg):
            print(f"  {row['objective']:<13} {row['ms_per_step']:7.2f} ms/step")
        return 0

    grammar = corpus_text("grammar")
    print("== grammar (English), skip-gram, E 32, window 3, 5 negatives, 5 epochs, one thread ==")
    s_points, pairs, _ = seqviz_run(grammar, cfg, _accuracy)
    g_points, _ = gensim_run(sentences(grammar), cfg, seed=1, score=_accuracy)
    for name, pts in (("seqviz", s_points), ("gensim", g_points)):
        print(f"{name:<7} " + "  ".join(f"ep{i + 1} {c:.3f}s {a:.0%}" for i, (c, a) in
                                       enumerate(pts)))
    s_rate, g_rate = pairs * len(s_points) / s_points[-1][0], pairs * len(g_points) / g_points[-1][0]
    print(f"pairs per CPU-second: seqviz {s_rate:,.0f}   gensim {g_rate:,.0f}   "
          f"(ratio {g_rate / s_rate:.2f}; {pairs:,.0f} pairs an epoch)")
    (sc, se), (gc, ge) = first_at(s_points), first_at(g_points)
    if sc is None or gc is None:
        print(f"90 % analogy accuracy: seqviz {sc}, gensim {gc} (not reached in 5 epochs)")
    else:
        ratio = sc / gc
        print(f"CPU-s to 90 % analogy: seqviz {sc:.3f} (epoch {se})   gensim {gc:.3f} (epoch {ge})"
              f"   ratio {ratio:.2f} (goal <= {GOAL_RATIO:g}: {'met' if ratio <= GOAL_RATIO else 'MISSED'})")

    prose = corpus_text("prose")
    print("\n== prose, same settings: top-10 neighbours of the 300 most frequent words ==")
    seqviz_seeds, gensim_seeds = range(max(2, args.seeds)), range(1, max(2, args.seeds) + 1)
    runs = [seqviz_run(prose, dataclasses.replace(cfg, seed=s))[2] for s in seqviz_seeds]
    gens = [gensim_run(sentences(prose), cfg, seed=s)[1] for s in gensim_seeds]
    shared = set(gens[0].wv.index_to_key)
    common = [w for w in runs[0].corpus.words if w in shared][:300]
    S = [neighbour_sets(r.vectors(), r.corpus.words, common) for r in runs]
    G = [neighbour_sets(g.wv.vectors, g.wv.index_to_key, common) for g in gens]
    sg_matrix = np.array([[overlap(a, b) for b in G] for a in S])
    gg_matrix = np.eye(len(G))
    for (i, a), (j, b) in itertools.combinations(enumerate(G), 2):
        gg_matrix[i, j] = gg_matrix[j, i] = overlap(a, b)
    sg = list(sg_matrix.ravel())
    gg = [gg_matrix[i, j] for i, j in itertools.combinations(range(len(G)), 2)]
    ss = [overlap(a, b) for a, b in itertools.combinations(S, 2)]
    lo, hi = bootstrap_difference(sg_matrix, gg_matrix)
    print(f"overlap seqviz–gensim {_spread(sg)}   gensim–gensim {_spread(gg)}   "
          f"seqviz–seqviz {_spread(ss)}\n(seqviz seeds {list(seqviz_seeds)}, gensim seeds "
          f"{list(gensim_seeds)}; goal: mean seqviz–gensim >= mean gensim–gensim: "
          f"{'met' if np.mean(sg) >= np.mean(gg) else 'MISSED'}: difference "
          f"{np.mean(sg) - np.mean(gg):+.4f}, 95 % bootstrap interval over the runs "
          f"{lo:+.4f} to {hi:+.4f}); vocabularies: seqviz {runs[0].corpus.vocab_size:,}, "
          f"gensim {len(gens[0].wv):,}")
    # gensim itself fed the sentences in other orders, against corpus-order gensim of other
    # seeds: how far gensim–gensim rests on its runs sharing one order
    fixed, reshuffled = [], []
    for s in gensim_seeds:
        order = sentences(prose)
        np.random.default_rng(100 + s).shuffle(order)
        fixed.append(gensim_run(order, cfg, seed=s)[1])
        reshuffled.append(gensim_reshuffled_run(sentences(prose), cfg, s, 200 + s))
    for name, runs_ in (("its own fixed shuffle", fixed),
                        ("a new shuffle every pass, as seqviz", reshuffled)):
        H = [neighbour_sets(g.wv.vectors, g.wv.index_to_key, common) for g in runs_]
        with_g = other_seed_overlaps(H, G)
        print(f"for reference, gensim on {name}: with gensim in corpus order {_spread(with_g)} "
              f"(difference from gensim–gensim {np.mean(with_g) - np.mean(gg):+.4f}), with each "
              f"other {_spread([overlap(a, b) for a, b in itertools.combinations(H, 2)])}")
    if args.per_pair:
        P = [neighbour_sets(per_pair_reference(prose, cfg, seed=s)[1], runs[0].corpus.words,
                            common) for s in PER_PAIR_SEEDS]
        with_g = [overlap(a, b) for a in P for b in G]
        print(f"gensim's loop in NumPy, one pair at a time, in corpus order (seeds "
              f"{list(PER_PAIR_SEEDS)}): with gensim {_spread(with_g)} (difference from "
              f"gensim–gensim {np.mean(with_g) - np.mean(gg):+.4f}), with each other "
              f"{_spread([overlap(a, b) for a, b in itertools.combinations(P, 2)])}")

    print("\n== output layers (seqviz, grammar, 1,024 pairs a step) ==")
    rows = objectives_table(grammar, cfg)
    print(f"{'objective':<13} {'ms/step':>8} {'acc ep1':>8} {'acc ep5':>8} {'loss':>7}")
    for r in rows:
        print(f"{r['objective']:<13} {r['ms_per_step']:8.2f} {r['accuracy_1']:8.0%} "
              f"{r['accuracy_5']:8.0%} {r['loss']:7.3f}")
    if args.write_table:
        TABLE.write_text(json.dumps({"corpus": "grammar", "batch_size": cfg.batch_size,
                                     "epochs": cfg.epochs, "rows": rows}, indent=1) + "\n")
        print(f"written: {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
