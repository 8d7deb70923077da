"""A class on one server process: N LM-page sessions playing at once (issue 15).

No browser: each session is the LM page's run on the engine (``LiveLM.open``, the page's
default char LSTM, its own seed) and a thread draws every session's figures as its page would
(``bench_live.draw_loop``). Parts:

- **capacity**: k runs per worker, all playing, no cap: the slowest run's steps/s for k = 1 ...
  ``--max-per-worker``. The largest k whose slowest run keeps >= 10 steps/s is the sessions per
  core the server can train at full speed; printed beside ``PLAYING_PER_WORKER``, the engine's
  default cap per worker.
- **load**: N = ``--sessions`` (5, 20, 50) sessions pressing Play for ``--seconds`` (60), with
  the engine's admission cap and (``--uncapped``) without it: in the first half, aggregate
  steps/s, min / max per training session and how many wait in the queue; in the second half,
  Pause latency (median, p95; a random playing session is paused, timed, and pressed Play
  again), resident memory of the server process plus
  its workers per session, and after the sessions end (handles dropped, as when Streamlit
  expires them) against the level before they started (goal: within 10 %). "Before" is taken
  twice: cold (engine started, nothing trained or drawn yet) and warm (after one warm-up session
  per worker has played, been drawn and ended, so imports, torch's first-use kernels and
  allocator pools are in place); the goal is judged against the warm level, which is what a
  server that has served anyone sits at, and the cold one is printed beside it. "After" is read
  once the memory has settled (workers close runs and trim their heaps in the background).

Every figure is printed beside its reference from the same run; ``os.getloadavg()`` is printed
too, since other work on the machine slows every number here.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _bench_live():
    spec = importlib.util.spec_from_file_location("bench_live", ROOT / "benchmarks" / "bench_live.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def rss_mb(pids: list[int]) -> float:
    """Resident memory (MB) of these processes together."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, ValueError, IndexError):
            pass
    return total


def _setup(cfg_kwargs: dict):
    from seqviz.lm.config import LMConfig
    from seqviz.lm.experiment import fit_baselines
    from seqviz.lm.live import text_data_for

    data = text_data_for(LMConfig(**cfg_kwargs), None)
    return data, fit_baselines(data)


def _open(engine, n: int, data, lines, cfg_kwargs: dict) -> list:
    from seqviz.lm.config import LMConfig
    from seqviz.lm.live import LiveLM

    runs = [LiveLM.open(engine, LMConfig(**cfg_kwargs, seed=i), data, lines) for i in range(n)]
    for r in runs:
        r.handle.wait(timeout=300)
    return runs


def _rates(runs: list, seconds: float) -> tuple[list[float], float]:
    start = [r.handle.snapshot().step for r in runs]
    t0 = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    return [(r.handle.snapshot().step - s0) / elapsed for r, s0 in zip(runs, start)], elapsed


def capacity(max_per_worker: int, seconds: float, cfg_kwargs: dict) -> int:
    from seqviz.engine.pool import PLAYING_PER_WORKER, Engine, default_workers

    workers = default_workers()
    print(f"## Capacity: k default LM runs per worker playing at once, no cap, {seconds:g} s "
          f"each ({workers} workers; load average {os.getloadavg()[0]:.1f})")
    data, lines = _setup(cfg_kwargs)
    best = 0
    for k in range(1, max_per_worker + 1):
        engine = Engine(workers=workers, max_playing=10_000)
        engine.wait_ready(300)
        runs = _open(engine, k * workers, data, lines, cfg_kwargs)
        for r in runs:
            r.play()
        time.sleep(2.0)  # every run has had slices
        rates, _ = _rates(runs, seconds)
        for r in runs:
            r.pause()
        engine.shutdown()
        ok = min(rates) >= 10
        best = k if ok and best == k - 1 else best
        print(f"k = {k}: slowest {min(rates):.1f}, fastest {max(rates):.1f}, total "
              f"{sum(rates):.1f} steps/s{'' if ok else '  (below 10 steps/s)'}")
    print(f"sessions per core at >= 10 steps/s each: {best}; the engine's default cap: "
          f"PLAYING_PER_WORKER = {PLAYING_PER_WORKER} per worker")
    return best


def load(n: int, seconds: float, capped: bool, cfg_kwargs: dict, tick: float) -> dict:
    from seqviz.engine.pool import Engine, default_workers

    bench_live = _bench_live()
    workers = default_workers()
    engine = Engine(workers=workers, max_playing=None if capped else 10_000)
    engine.wait_ready(300)
    data, lines = _setup(cfg_kwargs)
    pids = [os.getpid(), *engine.worker_pids()]
    gc.collect()
    cold = rss_mb(pids)
    _warm_up(engine, workers, data, lines, cfg_kwargs, tick, min(5.0, seconds))
    before = _settled_rss(pids)
    runs = _open(engine, n, data, lines, cfg_kwargs)
    stats = {"draw_cpu": 0.0, "draws": 0}
    stop = threading.Event()
    drawer = threading.Thread(target=bench_live.draw_loop, args=(runs, tick, stop, stats),
                              daemon=True)
    drawer.start()
    for r in runs:
        r.play()
    time.sleep(3.0)
    # first half: speed, nobody pauses (a paused run that plays again joins the queue's tail,
    # so pausing would rotate every session through the places); second half: Pause latency
    start = [r.handle.snapshot().step for r in runs]
    t0 = time.monotonic()
    time.sleep(seconds / 2)
    elapsed = time.monotonic() - t0
    rates = [(r.handle.snapshot().step - s0) / elapsed for r, s0 in zip(runs, start)]
    queued = engine.queued()
    t0 = time.monotonic()
    latencies, rng = [], random.Random(0)
    while time.monotonic() - t0 < seconds / 2:
        time.sleep(0.5)
        playing = [r for r in runs if r.handle.queue_position() is None]
        victim = rng.choice(playing)
        sent = time.perf_counter()
        seq = victim.handle.pause()
        victim.handle.wait(lambda s, q=seq: s.acked >= q and not s.playing, timeout=60)
        latencies.append(time.perf_counter() - sent)
        victim.play()  # back in the queue's tail when the server is full
    stop.set()
    drawer.join()
    during = rss_mb(pids)
    for r in runs:
        r.pause()
    del r, runs, victim, playing  # the sessions end: Streamlit drops their handles
    gc.collect()
    _wait_released(engine)
    after = _settled_rss(pids)
    engine.shutdown()
    lat = sorted(latencies)
    moving = [x for x in rates if x > 0.5]
    return {"n": n, "capped": capped, "cap": engine.max_playing, "total": sum(rates),
            "min": min(moving) if moving else 0.0, "max": max(rates), "moving": len(moving),
            "queued": queued, "p50": statistics.median(lat),
            "p95": lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))],
            "cold": cold, "before": before, "during": during, "after": after, "elapsed": elapsed,
            "draws": stats["draws"]}


def _wait_released(engine, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while engine.runs and time.monotonic() < deadline:
        time.sleep(0.2)


def _settled_rss(pids: list[int], timeout: float = 30.0) -> float:
    """RSS once two readings a second apart differ by < 0.5 % (the workers close runs and trim
    their heaps in the background), or after ``timeout`` s."""
    deadline, last = time.monotonic() + timeout, rss_mb(pids)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = rss_mb(pids)
        if abs(now - last) < 0.005 * last:
            return now
        last = now
    return last


def _warm_up(engine, workers: int, data, lines, cfg_kwargs: dict, tick: float,
             seconds: float) -> None:
    """One session per worker plays for ``seconds``, drawn as a page would, and ends."""
    bench_live = _bench_live()
    runs = _open(engine, workers, data, lines, cfg_kwargs)
    stop, stats = threading.Event(), {"draw_cpu": 0.0, "draws": 0}
    drawer = threading.Thread(target=bench_live.draw_loop, args=(runs, tick, stop, stats),
                              daemon=True)
    drawer.start()
    for r in runs:
        r.play()
    time.sleep(seconds)
    stop.set()
    drawer.join()
    for r in runs:
        r.pause()
    del r, runs
    gc.collect()
    _wait_released(engine)


def report(row: dict) -> None:
    mode = f"cap {row['cap']}" if row["capped"] else "no cap"
    back = (row["after"] - row["before"]) / row["before"]
    cold = (row["after"] - row["cold"]) / row["cold"]
    print(f"N = {row['n']:>3} ({mode}): total {row['total']:.1f} steps/s; {row['moving']} "
          f"sessions training, {row['queued']} waiting; per training session min "
          f"{row['min']:.1f}, max {row['max']:.1f} steps/s (goal >= 10); Pause median "
          f"{1000 * row['p50']:.0f} ms, p95 {1000 * row['p95']:.0f} ms (goal < 200 ms); RSS "
          f"{row['before']:.0f} MB before (warm; cold {row['cold']:.0f} MB), "
          f"{(row['during'] - row['before']) / row['n']:.1f} MB per session, {row['after']:.0f} MB "
          f"after they ended ({back:+.1%} of warm before, goal within 10 %: "
          f"{'met' if abs(back) <= 0.10 else 'MISSED'}; {cold:+.1%} of cold)")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("all", "capacity", "load"), default="all")
    ap.add_argument("--sessions", default="5,20,50")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--capacity-seconds", type=float, default=15.0)
    ap.add_argument("--max-per-worker", type=int, default=6)
    ap.add_argument("--uncapped", action="store_true", help="also run every N without the cap")
    ap.add_argument("--tick", type=float, default=0.4, help="seconds between a page's redraws")
    ap.add_argument("--tiny", action="store_true", help="a tiny model (smoke test)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    cfg_kwargs = ({"corpus": "grammar", "level": "word", "hidden_size": 16, "embed_size": 8,
                   "seq_len": 8, "batch_size": 4} if args.tiny else {})
    if args.part in ("all", "capacity"):
        capacity(args.max_per_worker, args.capacity_seconds, cfg_kwargs)
    if args.part in ("all", "load"):
        print(f"## Load: N sessions press Play for {args.seconds:g} s (load average "
              f"{os.getloadavg()[0]:.1f})")
        for n in (int(x) for x in args.sessions.split(",")):
            report(load(n, args.seconds, True, cfg_kwargs, args.tick))
            if args.uncapped:
                report(load(n, args.seconds, False, cfg_kwargs, args.tick))


if __name__ == "__main__":
    main()
