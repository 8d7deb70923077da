"""t-SNE speed and quality: seqviz's openTSNE wrapper next to scikit-learn's TSNE.

    python benchmarks/bench_tsne.py            # 1,000 and 10,000 points of dimension 64
    python benchmarks/bench_tsne.py --quick    # 1,000 points only
    python benchmarks/bench_tsne.py --word2vec # word2vec step time, dense vs sparse gradients

Data: 10 Gaussian clusters in 64 dimensions (planted structure, so trustworthiness means
something). Both libraries run single-threaded (n_jobs=1, BLAS limited to one thread),
perplexity 30, PCA initialisation. seqviz runs its page schedule, 500 iterations (250 early
exaggeration + 250); scikit-learn runs its default 1,000 and, for a like-for-like time, 500.
Wall time is what a user waits; CPU time is printed too because the machine's two cores may
be shared with other jobs, which inflates wall time much more than CPU time. Trustworthiness (k = 10) is scikit-learn's,
on at most 3,000 points (it is quadratic). "tick" is one animation step of the page: 10
iterations of an already prepared 1,000-point t-SNE.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqviz.embeddings.queries import trustworthiness  # noqa: E402
from seqviz.embeddings.tsne import AnimatedTSNE  # noqa: E402


def clusters(n: int, dim: int = 64, k: int = 10, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 3.0, (k, dim))
    return centres[rng.integers(0, k, n)] + rng.normal(0.0, 1.0, (n, dim))


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def trust(X, Y, limit: int = 3000) -> float:
    idx = np.random.default_rng(1).permutation(len(X))[:limit]
    return trustworthiness(X[idx], Y[idx], n_neighbors=10)


def run_seqviz(X):
    return AnimatedTSNE(X, perplexity=30, seed=0).run()


def run_sklearn(X, iterations: int = 1000):
    from sklearn.manifold import TSNE

    kw = dict(n_components=2, perplexity=30, init="pca", random_state=0, n_jobs=1)
    try:
        return TSNE(max_iter=iterations, **kw).fit_transform(X)
    except TypeError:  # scikit-learn < 1.5 calls it n_iter
        return TSNE(n_iter=iterations, **kw).fit_transform(X)


def tick_times(n: int = 1000, iters: int = 10, repeats: int = 30) -> tuple[float, float]:
    """Median wall ms of one animation tick in each phase (early exaggeration, normal)."""
    t = AnimatedTSNE(clusters(n), perplexity=30, seed=0)
    early, normal = [], []
    while not t.done and len(normal) < repeats:
        start = time.perf_counter()
        t.step(iters)
        (early if t.iteration <= t.early_iter else normal).append(time.perf_counter() - start)
    return 1000 * statistics.median(early), 1000 * statistics.median(normal)


def tsne_table(sizes: list[int]) -> None:
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} (other jobs share "
          f"these cores: wall times are upper bounds)\n")
    print("| points | library | wall s | CPU s | trustworthiness (k=10) |")
    print("| --- | --- | --- | --- | --- |")
    for n in sizes:
        X = clusters(n)
        for name, fn in (("seqviz (openTSNE), 500 it.", run_seqviz),
                         ("scikit-learn TSNE, 1,000 it. (default)", run_sklearn),
                         ("scikit-learn TSNE, 500 it.", lambda X: run_sklearn(X, 500))):
            Y, wall, cpu = timed(lambda: fn(X))
            print(f"| {n:,} | {name} | {wall:.2f} | {cpu:.2f} | {trust(X, Y):.3f} |", flush=True)
    early, normal = tick_times()
    print(f"\nOne animation tick, 1,000 points, 10 iterations: {early:.0f} ms (early "
          f"exaggeration), {normal:.0f} ms (normal phase), median wall time.")


def word2vec_table() -> None:
    """ms per step, dense vs sparse embedding gradients (module docstring of word2vec.py)."""
    import torch

    from seqviz.models.word2vec import W2VCorpus, Word2VecBatches, Word2VecSpec, build_word2vec

    torch.set_num_threads(1)

    def corpus(v: int, n: int = 200_000) -> W2VCorpus:
        rng = np.random.default_rng(0)
        p = 1.0 / np.arange(1, v + 1)
        ids = rng.choice(v, n, p=p / p.sum())
        return W2VCorpus([f"w{i}" for i in range(v)], np.bincount(ids, minlength=v) + 1,
                         torch.tensor(ids), torch.arange(n) // 20)

    def ms(v: int, sparse: bool, opt: str, steps: int = 60) -> float:
        batches = Word2VecBatches(corpus(v), batch_size=128, window=5, negatives=5, seed=0)
        data = [batches.next() for _ in range(steps)]
        model = build_word2vec(Word2VecSpec(v, 64, "skipgram", sparse=sparse), 0)
        make = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD,
                "sparseadam": torch.optim.SparseAdam}[opt]
        optim, times = make(model.parameters(), lr=0.01), []
        for b in data:
            start = time.perf_counter()
            optim.zero_grad(set_to_none=True)
            model.loss(b).backward()
            optim.step()
            times.append(time.perf_counter() - start)
        return 1000 * statistics.median(times[10:])

    print("word2vec ms / step (E=64, K=5, B=128, one thread, median)\n")
    print("| V | dense Adam | dense SGD | sparse SparseAdam | sparse SGD |")
    print("| --- | --- | --- | --- | --- |")
    for v in (176, 1000, 5000, 50_000):
        cells = [ms(v, False, "adam"), ms(v, False, "sgd"), ms(v, True, "sparseadam"),
                 ms(v, True, "sgd")]
        print(f"| {v:,} | " + " | ".join(f"{c:.2f}" for c in cells) + " |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1,000 points only")
    ap.add_argument("--word2vec", action="store_true", help="word2vec dense vs sparse instead")
    args = ap.parse_args()
    with threadpool_limits(1):
        if args.word2vec:
            word2vec_table()
        else:
            tsne_table([1000] if args.quick else [1000, 10_000])


if __name__ == "__main__":
    main()
