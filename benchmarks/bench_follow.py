"""Follow the lecturer: what 100 followers cost the lecturer's training.

    python benchmarks/bench_follow.py [--followers 100] [--seconds 15] [--rounds 3]

The lecturer's run is the LM page's default (char LSTM 128 on prose, T 64, B 32) playing on
this process's engine (one worker per core), shared through ``seqviz.engine.share``. Followers
are threads of this process, as the Streamlit server's sessions are: each reads the share at
the Follow page's pace (``seqviz.ui.share.follow_period``) and, for every new snapshot, does
what the page does to draw it: the LM panel's three curves refreshed from the snapshot
(``seqviz.figures.training.refresh_*``) and serialised as the page's chart does
(``plotly.io.to_json``, ``seqviz.ui.chart``). Rounds alternate 0 and N followers so a busy machine's drift hits
both; the figure is the lecturer's steps/s with N followers over its steps/s with none (goal:
at least 0.9), beside the followers' drawing cost (server CPU seconds per second, and ms per
redraw).

    python benchmarks/bench_follow.py --browsers 5 [--followers 100] ...

adds real browser sessions: a ``streamlit run app.py`` server (as the browser tests start it,
``tests/browser.py``) and Debian's headless Chromium driven by Playwright. A lecturer's browser
opens the LM page with the same settings, switches "Share this run live" on and presses Play;
rounds then alternate its steps/s with no follower and with N follower browsers (one browser
context each: a session of their own) open on the share's Follow page, each seen drawing the
run's steps before the round is timed. The lecturer's steps/s are read from its page's Step
metric. The figure is again "with N / with none" from the same run (goal: at least 0.9). The
followers' browsers render on the same machine as the server (a student's laptop would not),
so this is the harder case: on 2 cores, six Chromiums, the server and the training worker
share them. ``--pin`` separates what the figure is about from that: the training worker gets
core 0 to itself (``os.sched_setaffinity`` once the server has started it) while the server and
every browser share core 1, so followers can only take training time through the server. Both
layouts also print the server process's CPU (its drawing for every session, without the
worker's training) and the training workers' CPU per second of each phase. The page's Step
metric is read every 0.2 s and the rate is the slope of a line fitted through its changes. ``--followers 0`` skips the simulated followers.
``--quick`` is a
smoke run of a few seconds per part (tiny model, one short round): it checks that the script
works, not how fast anything is.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _draw(view, cache: dict) -> int:
    """The LM panel's figure work for one snapshot: build once, then refresh; serialise."""
    import plotly.io as pio

    from seqviz.figures.training import (grad_norm_figure, loss_figure, perplexity_figure,
                                         refresh_grad_norm, refresh_loss, refresh_perplexity)

    if not cache:
        cache.update(loss=loss_figure(view.steps, view.loss).to_dict(),
                     ppl=perplexity_figure(view.eval_steps, view.eval_values,
                                           model=view.cfg.cell.upper()).to_dict(),
                     grad=grad_norm_figure(view.steps, view.grad_norm,
                                           view.grad_norm_clipped).to_dict())
    else:
        cache.update(loss=refresh_loss(cache["loss"], view.steps, view.loss),
                     ppl=refresh_perplexity(cache["ppl"], view.eval_steps, view.eval_values),
                     grad=refresh_grad_norm(cache["grad"], view.steps, view.grad_norm,
                                            view.grad_norm_clipped))
    return sum(len(pio.to_json(spec, validate=False)) for spec in cache.values())


class Followers:
    """``n`` follower threads reading ``code`` from ``registry`` every ``period`` seconds."""

    def __init__(self, registry, code: str, n: int, period: float):
        self.registry, self.code, self.n, self.period = registry, code, n, period
        self.stop = threading.Event()
        self.redraws, self.draw_s, self.reads = 0, 0.0, 0
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(n)]

    def _run(self, i: int) -> None:
        cache: dict = {}
        seen = None
        self.stop.wait(self.period * i / max(self.n, 1))  # spread out, like real sessions
        while not self.stop.is_set():
            start, cpu = time.perf_counter(), time.thread_time()
            got = self.registry.follow(self.code, follower=f"f{i}")
            snap = got.snapshot
            drew = False
            if snap is not None and snap.payload is not None and (
                    snap.generation, snap.version) != seen:
                seen = (snap.generation, snap.version)
                _draw(snap.payload, cache)
                drew = True
            spent = time.perf_counter() - start
            with self._lock:
                self.reads += 1
                if drew:
                    self.redraws += 1
                    self.draw_s += time.thread_time() - cpu  # CPU, not wall: a busy box
            self.stop.wait(max(0.0, self.period - spent))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(10)


def measure(handle, seconds: float) -> float:
    """The lecturer's steps/s over ``seconds`` of wall time (from its snapshots)."""
    a = handle.snapshot()
    t0 = time.perf_counter()
    time.sleep(seconds)
    b = handle.snapshot()
    return (b.step - a.step) / (time.perf_counter() - t0)


def page_rate(page, seconds: float) -> float:
    """The lecturer's steps/s over ``seconds`` of wall time, from its page's Step metric: read
    every 0.2 s, and the slope of a least-squares line through the (time, step) points where
    the shown value changed. Two single reads would each be late by however long the page
    last waited to redraw (seconds, when its browser is starved), and their difference would
    carry that jitter; the fit averages it over every redraw of the phase."""
    import numpy as np

    from tests.browser import step_count

    points, t0 = [], time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        value = step_count(page, timeout=120)
        if not points or value != points[-1][1]:
            points.append((time.perf_counter(), value))
        time.sleep(0.2)
    if len(points) < 2:
        return 0.0
    t, v = np.asarray(points, dtype=float).T
    return float(np.polyfit(t - t[0], v, 1)[0])


def open_followers(browser, url: str, code: str, n: int) -> list:
    """``n`` follower sessions on the share's Follow page, each once it draws the run's steps."""
    from playwright.sync_api import expect

    from tests.browser import step_count, wait_metric_at_least

    contexts, pages = [], []
    for _ in range(n):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1600})
        ctx.set_default_timeout(180_000)
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.goto(f"{url}/Follow?follow={code}&lang=en&present=0")
        pages.append(pg)
    for pg in pages:
        expect(pg.get_by_text("Following the lecturer")).to_be_visible(timeout=180_000)
        seen = step_count(pg, timeout=180)
        wait_metric_at_least(pg, "Step", seen + 1, timeout=180)  # it follows the training
        assert pg.locator('[data-testid="stException"]').count() == 0, "a follower's page failed"
    return contexts


def _timed(page, seconds: float, server_pid: int, workers: list[int], stats: Path
           ) -> tuple[float, float, float, float]:
    """One phase: the lecturer's steps/s from its page and from the server's engine (the run's
    own steps, as its worker published them; no page in between), the server process's CPU
    seconds per second and the training workers' (together). With the worker pinned alone on a
    core, its CPU per second says whether training itself lost time."""
    from bench_live import cpu_seconds, engine_rate, engine_steps

    def workers_cpu() -> float:
        return sum(cpu_seconds(pid) for pid in workers)

    cpu0, wcpu0, w0, e0 = (cpu_seconds(server_pid), workers_cpu(), time.perf_counter(),
                           engine_steps(stats))
    rate = page_rate(page, seconds)
    wall, e1 = time.perf_counter() - w0, engine_steps(stats)
    return (rate, engine_rate(e0, e1), (cpu_seconds(server_pid) - cpu0) / wall,
            (workers_cpu() - wcpu0) / wall)


def browser_rounds(cfg, n: int, seconds: float, rounds: int, pin: bool = False
                   ) -> tuple[list[float], list[float]]:
    """The lecturer's steps/s with ``n`` follower browsers over with none, per round, read from
    its page and from the server's engine (both empty when Chromium or Playwright is missing).
    ``pin``: the training worker on core 0 alone, the server and the browsers on core 1."""
    from seqviz.engine.pool import STATS_ENV as STATS
    from bench_live import _chromium, worker_pids

    from tests.browser import (CHROMIUM, chromium_available, start_server,
                               wait_metric_at_least, wait_ready)

    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        print("browsers: Playwright is not installed; skipped")
        return [], []
    if not chromium_available():
        print(f"browsers: no Chromium at {CHROMIUM} (apt-get install -y chromium); skipped")
        return [], []
    query = urlencode({k: v for k, v in dataclasses.asdict(cfg).items() if k != "upload"})
    if pin and len(os.sched_getaffinity(0)) < 2:
        print("browsers: --pin needs 2 cores; running unpinned")
        pin = False
    from bench_live import stats_file

    stats = stats_file()
    start = time.perf_counter()
    proc, url = start_server(("taskset", "-c", "1") if pin else (), quiet=True,
                             env={STATS: str(stats)})
    layout = ("the training worker alone on core 0, the server and every browser on core 1"
              if pin else "nothing pinned: server, worker(s) and browsers share every core")
    print(f"browsers: server up in {time.perf_counter() - start:.0f} s; the lecturer's browser "
          f"plays {cfg.cell.upper()} {cfg.hidden_size} on {cfg.corpus} on the LM page; "
          f"{n} follower browser(s) on the Follow page; {layout}; load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    ratios, engine_ratios = [], []
    try:
        with sync_playwright() as p:
            browser = _chromium(p, "1" if pin else None)
            lecturer = browser.new_context(viewport={"width": 1400, "height": 1400})
            lecturer.set_default_timeout(180_000)
            page = lecturer.new_page()
            page.goto(f"{url}/Language_Model?{query}&lang=en")
            wait_ready(page, timeout=180_000)
            page.locator('[data-testid="stSidebar"] label').filter(
                has_text="Share this run live").click()
            code_box = page.get_by_text(re.compile(r"^Code: [a-z0-9-]{10,}$"))
            expect(code_box).to_be_visible()
            code = code_box.inner_text().split()[-1]
            wait_ready(page, timeout=180_000)
            page.get_by_role("button", name="▶ Play").click()
            wait_metric_at_least(page, "Step", 3, timeout=180)
            workers = worker_pids(proc.pid)
            if pin:
                for pid in workers:
                    os.sched_setaffinity(pid, {0})
                print(f"browsers: {len(workers)} worker(s) moved to core 0", flush=True)
            print("steps/s: page = read from the lecturer's page, engine = the run's own steps "
                  "from the server's engine; CPU in cores", flush=True)
            print(f"{'round':>5}  {'page, 0':>8}  {f'page, {n}':>8}  {'ratio':>6}  "
                  f"{'engine, 0':>9}  {f'engine, {n}':>9}  {'ratio':>6}  {'server CPU 0 / n':>16}  "
                  f"{'workers CPU 0 / n':>17}", flush=True)
            for r in range(1, rounds + 1):
                alone, e_alone, cpu_alone, work_alone = _timed(page, seconds, proc.pid, workers,
                                                               stats)
                contexts = open_followers(browser, url, code, n)
                try:
                    followed, e_followed, cpu_followed, work_followed = _timed(
                        page, seconds, proc.pid, workers, stats)
                finally:
                    for ctx in contexts:
                        ctx.close()
                ratio = followed / alone if alone else float("nan")
                e_ratio = e_followed / e_alone if e_alone else float("nan")
                ratios.append(ratio)
                engine_ratios.append(e_ratio)
                print(f"{r:>5}  {alone:>8.1f}  {followed:>8.1f}  {ratio:>6.2f}  {e_alone:>9.1f}  "
                      f"{e_followed:>9.1f}  {e_ratio:>6.2f}  {cpu_alone:>7.2f} / {cpu_followed:<6.2f}  "
                      f"{work_alone:>8.2f} / {work_followed:<6.2f}", flush=True)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except Exception:
            proc.kill()
            proc.wait(timeout=60)
    return ratios, engine_ratios


def verdict(ratios: list[float]) -> str:
    mean = statistics.mean(ratios)
    return (f"{mean:.2f} (min {min(ratios):.2f}; goal >= 0.90: "
            f"{'met' if mean >= 0.9 else 'MISSED'})")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--followers", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=15.0, help="per round and phase")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tiny", action="store_true", help="a small model (the suite's check)")
    ap.add_argument("--browsers", type=int, default=0,
                    help="also this many real follower browsers (headless Chromium) on a server")
    ap.add_argument("--pin", action="store_true",
                    help="with --browsers: the training worker alone on core 0, the server and "
                         "the browsers on core 1")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run of a few seconds: tiny model, 3 simulated followers, one "
                         "round of 2 s (checks the script, measures nothing)")
    args = ap.parse_args(argv)
    if args.quick:
        args.tiny, args.rounds, args.seconds = True, 1, min(args.seconds, 2.0)
        args.followers = min(args.followers, 3)

    from seqviz.lm.config import LMConfig

    cfg = LMConfig(hidden_size=16, embed_size=8, seq_len=8, batch_size=4) if args.tiny \
        else LMConfig()
    simulated: list[float] = []
    if args.followers > 0:
        simulated = simulated_rounds(args, cfg)
    browsers, engine = browser_rounds(cfg, args.browsers, args.seconds, args.rounds, args.pin) \
        if args.browsers > 0 else ([], [])
    if simulated:
        print(f"lecturer's steps/s with {args.followers} simulated followers / with none: "
              f"{verdict(simulated)}")
    if browsers:
        pinned = " (worker pinned alone)" if args.pin else ""
        print(f"lecturer's steps/s with {args.browsers} follower browsers / with none{pinned}, "
              f"the run's own steps from the server's engine: {verdict(engine)}")
        print(f"... the same, read from the lecturer's page: {verdict(browsers)}")


def simulated_rounds(args, cfg) -> list[float]:
    """The lecturer's steps/s with ``args.followers`` follower threads over with none."""
    from seqviz.engine.pool import Engine
    from seqviz.engine.share import ShareRegistry
    from seqviz.lm.live import LiveLM, text_data_for
    from seqviz.ui.player import TICK_SECONDS
    from seqviz.ui.share import follow_period

    engine = Engine(idle_pause_s=3600)
    try:
        assert engine.wait_ready(180)
        live = LiveLM.open(engine, cfg, text_data_for(cfg, None), [], playing=True)
        live.handle.wait(lambda s: s.step > 5, timeout=180)
        registry = ShareRegistry(engine, replica="r1")
        share = registry.create(live.handle, live, page="pages/1_Language_Model.py",
                                title="Language model")
        period = follow_period(args.followers, floor=TICK_SECONDS)
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"lecturer: {cfg.cell.upper()} {cfg.hidden_size} on {cfg.corpus}, "
              f"{engine.size} worker(s); {args.followers} followers, each reading every "
              f"{period:.2f} s (follow_period)")
        print(f"{'round':>5}  {'0 followers':>12}  {f'{args.followers} followers':>14}  "
              f"{'ratio':>6}  {'server CPU':>10}  {'ms/redraw':>9}  {'redraws/s':>9}")
        ratios, cpus, costs = [], [], []
        for r in range(1, args.rounds + 1):
            alone = measure(live.handle, args.seconds)
            with Followers(registry, share.code, args.followers, period) as fol:
                time.sleep(period + 1.0)  # every follower has started and built its figures
                cpu0, r0, d0, w0 = time.process_time(), fol.redraws, fol.draw_s, time.time()
                followed = measure(live.handle, args.seconds)
                cpu = (time.process_time() - cpu0) / (time.time() - w0)
                redraws = fol.redraws - r0
                cost = 1000 * (fol.draw_s - d0) / max(redraws, 1)
                rate = redraws / (time.time() - w0)
            ratio = followed / alone if alone else float("nan")
            ratios.append(ratio)
            cpus.append(cpu)
            costs.append(cost)
            print(f"{r:>5}  {alone:>12.1f}  {followed:>14.1f}  {ratio:>6.2f}  {cpu:>9.2f}c  "
                  f"{cost:>9.1f}  {rate:>9.1f}", flush=True)
        print(f"lecturer's steps/s with {args.followers} followers / with none: "
              f"{verdict(ratios)}; "
              f"followers' drawing: {statistics.mean(cpus):.2f} of a core, "
              f"{statistics.median(costs):.1f} ms of CPU per redraw; load average after: "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        live.close()
        return ratios
    finally:
        engine.shutdown()


if __name__ == "__main__":
    main()
