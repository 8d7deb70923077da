"""The test run's machine lock (tests/machine_lock.py): the replicated class runs alone, and a
waiting exclusive taker is not starved by shared takers that keep coming."""

from __future__ import annotations

import threading
import time

from tests.machine_lock import MachineLock


def _taker(lock: MachineLock, how: str, log: list, hold: float = 0.0) -> threading.Thread:
    def run():
        with getattr(lock, how)():
            log.append(("in", how, time.monotonic()))
            time.sleep(hold)
            log.append(("out", how, time.monotonic()))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_alone_waits_for_shared_holders_and_keeps_later_ones_out(tmp_path):
    base = tmp_path / "run"
    log: list = []
    first = _taker(MachineLock(base), "shared", log, hold=0.4)
    time.sleep(0.1)
    alone = _taker(MachineLock(base), "alone", log, hold=0.4)
    time.sleep(0.1)
    later = _taker(MachineLock(base), "shared", log)  # comes while "alone" waits
    for t in (first, alone, later):
        t.join(10)
    order = [(what, how) for what, how, _t in log]
    assert order == [("in", "shared"), ("out", "shared"), ("in", "alone"), ("out", "alone"),
                     ("in", "shared"), ("out", "shared")], order


def test_shared_holders_run_together(tmp_path):
    base = tmp_path / "run"
    log: list = []
    threads = [_taker(MachineLock(base), "shared", log, hold=0.3) for _ in range(3)]
    for t in threads:
        t.join(10)
    ins = [t for what, _how, t in log if what == "in"]
    outs = [t for what, _how, t in log if what == "out"]
    assert max(ins) < min(outs)  # all three were in at once
