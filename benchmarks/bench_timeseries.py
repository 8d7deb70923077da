"""The time-series page in the engine: are its charts meaningful within about 5 s of Play?

    python benchmarks/bench_timeseries.py             # the default config, as the page plays it
    python benchmarks/bench_timeseries.py --seconds 10 --signal walk

The page ships no checkpoint: its defaults (sum of sines, 1000 points, MLP tau 16 and GRU 32,
batch 32, Adam 0.01) are meant to train fast enough. This plays the default config in an engine
worker (one, as a page's run gets) and prints, from Play on: the seconds and steps until both
models' one-step validation error is within 2x of the reference, the steps and errors after
``--seconds``, and the steps per second. "Meaningful" means the one-step predictions follow
the data (the first chart) and the k-step forecasts already drift (the error against k rises).

Reference, from the same run: the least-squares linear autoregression with the MLP's tau on the
same training span (``seqviz.timeseries.markov``), fitted in milliseconds, its one-step
validation error. The machine's load average is printed beside the numbers: a busy machine
trains slower.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seqviz.engine.pool import Engine  # noqa: E402
from seqviz.timeseries.config import TimeSeriesConfig  # noqa: E402
from seqviz.timeseries.experiment import make_series  # noqa: E402
from seqviz.timeseries.live import LiveTimeSeries  # noqa: E402
from seqviz.timeseries.markov import markov_curve  # noqa: E402


def reference(cfg: TimeSeriesConfig) -> tuple[float, float]:
    """(one-step validation MSE of the least-squares AR(tau), seconds it took)."""
    start = time.perf_counter()
    s = make_series(cfg)
    m = markov_curve(s.x, s.train_end, s.origins, 16, taus=(cfg.tau,))
    return float(m.one_step[0]), time.perf_counter() - start


def play(engine: Engine, cfg: TimeSeriesConfig, seconds: float) -> None:
    ref, ref_s = reference(cfg)
    print(f"reference: least-squares AR(tau={cfg.tau}) one-step validation MSE {ref:.3f} "
          f"(fitted in {1000 * ref_s:.1f} ms)")
    live = LiveTimeSeries.open(engine, cfg)
    first = live.handle.wait(timeout=120)
    print(f"built in the worker in {first.build_s:.2f} s; step 0: one-step MSE "
          f"MLP {first.payload.evals[-1].val[0]:.3f}, GRU {first.payload.evals[-1].val[1]:.3f}")
    start = time.perf_counter()
    live.play()
    good = None
    while time.perf_counter() - start < seconds:
        with engine.changed:
            engine.changed.wait(0.05)
        snap = live.snapshot()
        ev = snap.payload.evals[-1] if snap is not None and snap.payload is not None else None
        if good is None and ev is not None and ev.step > 0 and max(ev.val) <= 2 * ref:
            good = (time.perf_counter() - start, ev.step)
    snap = live.pause()
    elapsed = time.perf_counter() - start
    ev = snap.payload.evals[-1]
    if good:
        print(f"both one-step errors <= 2 x reference ({2 * ref:.3f}) after {good[0]:.1f} s "
              f"of Play (evaluated at step {good[1]})")
    else:
        print(f"MISS: one-step errors not within 2 x reference after {elapsed:.1f} s")
    print(f"after {elapsed:.1f} s: step {snap.step} ({snap.step / elapsed:.1f} steps/s), "
          f"evaluated at step {ev.step}: one-step MSE MLP {ev.val[0]:.3f}, GRU {ev.val[1]:.3f} "
          f"(reference {ref:.3f}); k = 1, 4, 16: MLP "
          + ", ".join(f"{ev.by_k[0][k - 1]:.3f}" for k in (1, 4, 16)) + "; GRU "
          + ", ".join(f"{ev.by_k[1][k - 1]:.3f}" for k in (1, 4, 16)))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    live.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--signal", default="sines")
    args = ap.parse_args(argv)
    engine = Engine(workers=1)
    try:
        assert engine.wait_ready(120), "the engine's worker did not start"
        play(engine, TimeSeriesConfig(signal=args.signal), args.seconds)
    finally:
        engine.shutdown()


if __name__ == "__main__":
    main()
