"""The embeddings page in the engine: how soon word2vec solves analogies, how fast its map settles.

    python benchmarks/bench_embeddings_live.py          # (a) and (b), English and Chinese
    python benchmarks/bench_embeddings_live.py --corpus grammar_zh   # one grammar
    python benchmarks/bench_embeddings_live.py --page   # and the page's server CPU per rerun

(a) Play with the default config (skip-gram, E 32, B 128, Adam 0.005) on the English grammar and
on the Chinese one (``grammar_zh``, jieba-segmented, 162 analogies: gender and adult / young) in
an engine worker, as the page does: seconds from Open until the run is built (the Chinese corpus
is segmented first), from Play until a snapshot shows analogy accuracy >= 50 %, and the accuracy
after 10 s. Goal: >= 50 % within 10 s of Play. Before the engine (training in
the page's fragment, 20 steps per tick) 20 s of Play gave 22 steps and 1 %.

(b) Pause after those 10 s; the page's Pause waits for the run's next two frames, and a paused
page asks for another frame every 0.4 s until the map has settled. Settled: past the
exaggeration, and the points move less than ``SETTLE_TOL`` (1e-3) of the map's spread per
iteration (``AnimatedTSNE.settled``). Reference: openTSNE's ``TSNE(...).fit`` from scratch on
the same final vectors (the map's points, unit rows) with the same parameters (perplexity 15,
250 exaggerated iterations at 12, 250 normal, learning rate auto, PCA initialisation, one
thread). Goal: settled within 2x the fit's time. Both maps' KL divergences are printed, and how
far each map's points still move per iteration (the fit's: over 25 more iterations).

(c) ``--first-visits N``: N students open the page at once (a class): seconds from Open until
each run's first snapshot with its map, on a fresh engine whose workers warmed up as the app's
do (the default run's settled first map kept in each worker, ``livemap.FIRST_MAPS``), and, as
the reference in the same run, on one whose workers keep no maps (``SEQVIZ_FIRST_MAPS=0``:
every visit settles its own map, as before 2026-12-06). Also the worker CPU the N first views
took (t-SNE included).

Also printed: where the worker's time went while playing (training, analysis inside training
steps, views, t-SNE inside views). With ``--page``: the page's server CPU per rerun in
Streamlit's AppTest (``time.process_time()`` around ``at.run()``, median of 7), paused and
playing; goal < 50 ms.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seqviz.embeddings.experiment import EmbConfig  # noqa: E402
from seqviz.embeddings.grammars import TEACHING  # noqa: E402
from seqviz.embeddings.live import LiveEmbeddings, corpus_for, text_of  # noqa: E402
from seqviz.embeddings.livemap import FIRST_MAPS_KEPT  # noqa: E402
from seqviz.embeddings.queries import unit_rows  # noqa: E402
from seqviz.embeddings.tsne import EARLY_EXAGGERATION, EARLY_ITER, SETTLE_TOL, TOTAL_ITER  # noqa: E402
from seqviz.engine.pool import Engine  # noqa: E402

PLAY_S = 10.0
TICK_S = 0.4  # the page's fragment period: a paused page asks for a frame this often


def accuracy(snap) -> float:
    acc = snap.payload.accuracy if snap is not None and snap.payload is not None else []
    return float(acc[-1, 0]) if len(acc) else float("nan")


def shares(a, b) -> str:
    """Where the worker's time went between snapshots a and b."""
    train, view = b.train_s - a.train_s, b.view_s - a.view_s
    ev, ts = b.payload.eval_s - a.payload.eval_s, b.payload.tsne_s - a.payload.tsne_s
    total = train + view
    return (f"worker time {total:.2f} s: training {100 * (train - ev) / total:.1f} %, analysis "
            f"(analogy accuracy, probes, views) {100 * (ev + view - ts) / total:.1f} %, t-SNE "
            f"{100 * ts / total:.1f} % (budget 15 % while the vectors move)")


def play_and_settle(engine: Engine, name: str = "grammar") -> None:
    cfg = EmbConfig(corpus=name)
    print(f"--- {name} ---")
    opened = time.perf_counter()
    corpus = corpus_for(text_of(cfg, None), cfg.min_count)
    live = LiveEmbeddings.open(engine, cfg, corpus)
    start_snap = live.handle.wait(lambda s: s.payload is not None and s.payload.map is not None,
                                  timeout=120)
    print(f"    built: corpus here and run in the worker {time.perf_counter() - opened:.2f} s "
          f"({corpus.vocab_size} words, {len(corpus.ids):,} tokens)")
    live.set_query(*TEACHING[name].query)

    # (a) Play until >= 50 %, and on to 10 s
    live.play()
    t0 = time.perf_counter()
    reached = None
    while (now := time.perf_counter() - t0) < PLAY_S:
        snap = live.snapshot()
        if reached is None and accuracy(snap) >= 0.5:
            reached = (now, snap.step, accuracy(snap))
        with engine.changed:
            engine.changed.wait(0.05)
    playing = live.snapshot()
    print("(a) analogy accuracy >= 50 %: "
          + (f"{reached[0]:.2f} s of Play (step {reached[1]:,}, {reached[2]:.0%})" if reached
             else "NOT reached") + f"; goal <= {PLAY_S:.0f} s")
    print(f"    after {PLAY_S:.0f} s of Play: {accuracy(playing):.0%} at step {playing.step:,} "
          f"({playing.steps_per_s:,.0f} steps/s); before the engine: 1 % after 20 s (22 steps)")
    print(f"    {shares(start_snap, playing)}")

    # (b) Pause: the map settles
    settle(engine, live, cfg, "(b) after 10 s of Play")
    live.close()

    # (b') the hard case: pause while the vectors are still reorganising
    early = LiveEmbeddings.open(engine, cfg, corpus)
    early.handle.wait(lambda s: s.payload is not None and s.payload.map is not None, timeout=120)
    early.play()
    early.handle.wait(lambda s: accuracy(s) >= 0.5, timeout=60)
    settle(engine, early, cfg, "(b') at the first snapshot with >= 50 %")
    early.close()


def settle(engine: Engine, live: LiveEmbeddings, cfg: EmbConfig, what: str) -> None:
    """Pause as the page does; time until the map has settled; the reference fit."""
    before = live.snapshot()
    t1 = time.perf_counter()
    live.pause()
    while True:
        snap = live.snapshot()
        m = snap.payload.map
        if m.settled:
            break
        live.poke()
        with engine.changed:
            engine.changed.wait(TICK_S)
    settle_wall = time.perf_counter() - t1
    settle_tsne = snap.payload.tsne_s - before.payload.tsne_s
    n = len(m.coords)
    X = unit_rows(live.vectors()[:n])
    fit_wall, fit_cpu, fit_kl, fit_moving = fit_reference(X, cfg)
    live_kl = str(m.status).rsplit("KL divergence ", 1)[-1]
    its = m.iteration - before.payload.map.iteration
    print(f"{what}, step {snap.step:,}: map settled {settle_wall:.3f} s after Pause "
          f"({settle_tsne:.3f} s of t-SNE in the worker, {its} iterations; KL {live_kl}, moving "
          f"{m.movement:.4f} of its spread per iteration)")
    print(f"    openTSNE fit from scratch ({TOTAL_ITER} iterations) on the same {n} vectors: "
          f"{fit_wall:.3f} s wall, {fit_cpu:.3f} s CPU, KL {fit_kl:.3f}, moving {fit_moving:.4f} "
          f"per iteration at its end")
    print(f"    ratio {settle_wall / fit_wall:.2f}x the fit's wall time, "
          f"{settle_wall / fit_cpu:.2f}x its CPU time (t-SNE alone: {settle_tsne / fit_cpu:.2f}x);"
          f" goal <= 2x (settled: moving < {SETTLE_TOL:g} of the spread per iteration)")


def fit_reference(X: np.ndarray, cfg: EmbConfig) -> tuple[float, float, float, float]:
    """openTSNE from scratch: (median wall s, median CPU s, KL, how far its points still move
    per iteration, as a share of the map's spread, over 25 more normal iterations)."""
    from openTSNE import TSNE

    def fit():
        return TSNE(perplexity=cfg.perplexity, early_exaggeration=EARLY_EXAGGERATION,
                    early_exaggeration_iter=EARLY_ITER, n_iter=TOTAL_ITER - EARLY_ITER,
                    learning_rate="auto", initialization="pca", random_state=cfg.seed,
                    n_jobs=1).fit(X)

    with threadpool_limits(1):
        fit()  # warm up (numba compilation, caches)
        walls, cpus = [], []
        for _ in range(3):
            w, c = time.perf_counter(), time.process_time()
            emb = fit()
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        after = np.asarray(emb.optimize(25, learning_rate="auto", momentum=0.8))
    moving = float(np.linalg.norm(after - np.asarray(emb), axis=1).mean()) / 25 / after.std()
    return statistics.median(walls), statistics.median(cpus), float(emb.kl_divergence), moving


def page_cpu() -> None:
    """The page's server CPU per rerun (AppTest), paused and playing."""
    from streamlit.testing.v1 import AppTest

    from tests.apptest_utils import figures

    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/7_Embeddings.py")
    at.run()
    deadline = time.monotonic() + 120
    while len(figures(at)) < 3:
        assert time.monotonic() < deadline, "the page did not draw"
        time.sleep(0.2)
        at.run()

    def median_cpu(pause: float) -> float:
        cpu = []
        for _ in range(7):
            time.sleep(pause)
            c = time.process_time()
            at.run()
            cpu.append(time.process_time() - c)
        return 1000 * statistics.median(cpu)

    paused = median_cpu(0.0)
    at.button(key="emb.play").click().run()
    playing = median_cpu(0.25)  # a new snapshot every rerun, as in a playing fragment tick
    at.button(key="emb.play").click().run()
    print(f"page rerun, server CPU (median of 7): paused {paused:.1f} ms, playing {playing:.1f} ms;"
          f" goal < 50 ms")


def first_visits(n: int) -> None:
    """(c): N first visits at once, with and without the workers' kept first maps."""
    from seqviz.ui.startup import WORKER_PRELOAD

    cfg = EmbConfig()
    corpus = corpus_for(text_of(cfg, None), cfg.min_count)
    print(f"--- (c) {n} first visits at once (default settings), load average "
          f"{os.getloadavg()[0]:.2f} ---")
    for label, kept in (("reference: no kept maps (each visit settles its own, as before)", 0),
                        ("kept first maps (the default one settled at start)", FIRST_MAPS_KEPT)):
        os.environ["SEQVIZ_FIRST_MAPS"] = str(kept)  # the workers read it when they start
        engine = Engine(preload=WORKER_PRELOAD)
        try:
            assert engine.wait_ready(180), "the engine's workers did not start"
            opened = time.perf_counter()
            runs = [LiveEmbeddings.open(engine, cfg, corpus) for _ in range(n)]
            first: dict[int, tuple[float, object]] = {}
            while len(first) < n and time.perf_counter() - opened < 120:
                for i, run in enumerate(runs):
                    snap = run.snapshot()
                    if i not in first and snap is not None and snap.payload is not None \
                            and snap.payload.map is not None:
                        first[i] = (time.perf_counter() - opened, snap)
                with engine.changed:
                    engine.changed.wait(0.005)
            times = sorted(t for t, _ in first.values())
            settled = sum(bool(getattr(s.payload.map, "settled", False))
                          for _, s in first.values())
            view_cpu = sum(s.view_s for _, s in first.values())
            print(f"    {label}: first map after median {statistics.median(times):.2f} s, "
                  f"slowest {times[-1]:.2f} s ({len(times)} of {n}); drawn settled: {settled} "
                  f"of {n}; the workers' view time for them {view_cpu:.2f} s")
            for run in runs:
                run.close()
        finally:
            engine.shutdown()
            os.environ.pop("SEQVIZ_FIRST_MAPS", None)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--page", action="store_true", help="also time the page's reruns (AppTest)")
    ap.add_argument("--corpus", choices=sorted(TEACHING), action="append",
                    help="a toy grammar (default: both)")
    ap.add_argument("--first-visits", type=int, metavar="N", default=0,
                    help="only (c): N first visits at once, with and without kept first maps")
    args = ap.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if args.first_visits:
        first_visits(args.first_visits)
        return
    engine = Engine()
    try:
        assert engine.wait_ready(120), "the engine's workers did not start"
        for name in args.corpus or ["grammar", "grammar_zh"]:
            play_and_settle(engine, name)
    finally:
        engine.shutdown()
    if args.page:
        page_cpu()


if __name__ == "__main__":
    main()
