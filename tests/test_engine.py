"""The live engine: worker processes step runs; pages read snapshots (seqviz.engine)."""

from __future__ import annotations

import dataclasses
import gc
import os
import signal
import threading
import time
import weakref

import numpy as np
import pytest

from seqviz.data import build_text_data, load_corpus
from seqviz.engine.pool import Engine, RunError
from seqviz.lm.config import LMConfig
from seqviz.lm.experiment import LMExperiment

COUNTER = "tests.engine_runs:counter"
LM = "seqviz.lm.live:build_run"
TINY = LMConfig(corpus="grammar", level="word", hidden_size=16, embed_size=8, seq_len=8,
                batch_size=4, seed=3)


def test_workers_preload_before_they_say_ready():
    """Preloads run once per worker before READY; a name that fails is skipped, not fatal."""
    eng = Engine(workers=1, preload=("tests.engine_runs", "tests.engine_runs:no_such_function"))
    try:
        assert eng.wait_ready(120)
        assert eng.worker_stats()[0]["preloaded"] == ["tests.engine_runs"]
        run = eng.open(COUNTER)
        assert run.wait_acked(run.step(2), timeout=30).step == 2
    finally:
        eng.shutdown()


def test_the_shared_fixture_workers_are_preloaded_like_the_servers(engine):
    from seqviz.ui.startup import WORKER_PRELOAD

    assert all(s["preloaded"] == list(WORKER_PRELOAD) for s in engine.worker_stats())


def test_step_and_snapshot(engine):
    run = engine.open(COUNTER)
    snap = run.wait_acked(run.step(5), timeout=30)
    assert snap.step == 5 and snap.payload["steps"] == 5 and not snap.playing
    assert snap.generation == 1 and snap.error is None


def test_play_then_pause_stops_within_one_step(engine):
    run = engine.open(COUNTER, {"step_s": 0.01})
    run.play()
    run.wait(lambda s: s.step >= 10, timeout=30)
    assert run.wait(lambda s: s.steps_per_s > 0, timeout=30).playing
    paused = run.wait_acked(run.pause(), timeout=5)
    assert not paused.playing
    assert paused.steps_per_s == 0  # a paused run makes no steps per second (pages show it)
    time.sleep(0.3)  # nothing may move after a pause: look again a little later
    later = run.wait_acked(run.apply_live({"lr": 1.0}), timeout=5)
    assert later.step == paused.step and later.steps_per_s == 0
    assert not run.playing


def test_a_live_change_applies_at_the_next_step(engine):
    run = engine.open(COUNTER)
    run.step(3)
    run.apply_live({"lr": 0.5})
    snap = run.wait_acked(run.step(2), timeout=30)
    assert snap.payload["lrs"] == [1.0, 1.0, 1.0, 0.5, 0.5]


def test_same_seed_same_numbers_as_stepping_directly(engine):
    lr_cfg = dataclasses.replace(TINY, lr=0.01)
    run = engine.open(LM, {"cfg": TINY})
    run.step(4)
    run.play()  # stepping in time slices must not change the numbers: play, pause at k
    run.wait(lambda s: s.step >= 6, timeout=60)
    k = run.wait_acked(run.pause(), timeout=30).step
    run.apply_live(lr_cfg)  # then a live change, then 5 more steps
    view = run.wait_acked(run.step(5), timeout=60).payload

    direct = LMExperiment.build(TINY, build_text_data(load_corpus("grammar"), "word"))
    direct.trainer.evaluate_now()
    direct.step(k)
    direct.apply_live(lr_cfg)
    direct.step(5)
    ok = [h for h in direct.trainer.history if not h.diverged]
    assert view.steps.tolist() == [h.step for h in ok] and len(ok) == k + 5
    np.testing.assert_array_equal(view.loss, [h.loss for h in ok])
    np.testing.assert_array_equal(view.eval_values, [v for _, v in direct.trainer.evals])
    assert view.cfg.lr == 0.01


def test_a_crash_in_one_run_leaves_the_others_training(engine):
    bad = engine.open(COUNTER, {"fail_at": 3})
    good = engine.open(COUNTER, {"step_s": 0.002})
    bad.play()
    good.play()
    snap = bad.wait(lambda s: s.error is not None, timeout=30)
    assert "boom at step 3" in snap.error and not snap.playing and snap.step == 2
    before = good.wait(lambda s: s.step > 0, timeout=30).step
    assert good.wait(lambda s: s.step > before + 20, timeout=30).error is None
    good.pause()


def test_build_error_is_reported(engine):
    run = engine.open("tests.engine_runs:broken")
    snap = run.wait(lambda s: s.error is not None, timeout=30)
    assert "cannot build this run" in snap.error
    assert run.rebuild(COUNTER, {}) and run.wait(lambda s: s.error is None, timeout=30).step == 0


def test_a_halt_pauses_and_says_why(engine):
    run = engine.open(COUNTER, {"halt_at": 7})
    run.play()
    snap = run.wait(lambda s: s.halted is not None, timeout=30)
    assert snap.step == 7 and not snap.playing and snap.halted == "halted on purpose"
    assert not run.playing


def test_rebuild_starts_a_new_generation(engine):
    run = engine.open(COUNTER)
    run.wait_acked(run.step(4), timeout=30)
    run.rebuild(kwargs={"lr": 2.0})
    assert run.snapshot() is None or run.snapshot().generation == 2
    snap = run.wait_acked(run.step(1), timeout=30)
    assert snap.generation == 2 and snap.payload["lrs"] == [2.0]


def test_calls_return_values_and_errors(engine):
    run = engine.open(COUNTER)
    assert run.call("echo", "x", times=3, timeout=30) == ["x", "x", "x"]
    with pytest.raises(RunError, match="no_such_method"):
        run.call("no_such_method", timeout=30)


def test_a_dropped_handle_releases_its_run_in_the_worker(engine):
    def held() -> set[int]:
        return {i for w in engine.worker_stats() for i in w["run_ids"]}

    run = engine.open(COUNTER)
    run.wait(timeout=30)
    run_id = run.run_id
    assert run_id in held()
    ref = weakref.ref(run)
    del run  # what happens when Streamlit drops the session that held it
    gc.collect()
    assert ref() is None
    deadline = time.monotonic() + 10
    while run_id in held():
        assert time.monotonic() < deadline, "the worker still holds the dropped run"
        time.sleep(0.05)


def test_a_handle_collected_while_its_thread_sends_to_the_worker_does_not_deadlock(engine):
    """The collector runs in whatever thread allocates, e.g. one pickling a command inside
    ``_Proc.send`` with that worker's send lock held. Releasing the dropped run there (it
    sends CLOSE) waited for that lock forever and stopped every later command to the worker:
    a Play that never started, pages that never finished (seen in two-process test runs)."""
    run = engine.open(COUNTER)
    run.wait(timeout=30)
    run_id, proc = run.run_id, engine._procs[run.index]
    done = threading.Event()

    def collect_while_sending() -> None:
        nonlocal run
        with proc.send_lock:  # as inside P.send's pickle.dumps
            run = None  # the last reference: the handle is collected here, in this thread
            gc.collect()
        done.set()

    worker = threading.Thread(target=collect_while_sending, daemon=True)
    worker.start()
    assert done.wait(10), "collecting a handle inside a send deadlocked"
    other = engine.open(COUNTER)  # the worker still takes commands
    other.wait(timeout=30)
    deadline = time.monotonic() + 10
    while run_id in {i for w in engine.worker_stats() for i in w["run_ids"]}:
        assert time.monotonic() < deadline, "the worker still holds the dropped run"
        time.sleep(0.05)


def test_runs_are_spread_over_the_workers(engine):
    runs = [engine.open(COUNTER) for _ in range(4)]
    assert {r.index for r in runs} == {0, 1}


def test_a_page_that_stops_polling_pauses_its_run(engine):
    before, engine.idle_pause_s = engine.idle_pause_s, 1.0
    try:
        run = engine.open(COUNTER, {"step_s": 0.005})
        run.play()
        deadline = time.monotonic() + 20
        while not run.idle_paused:  # nobody calls snapshot(): the page is gone
            assert time.monotonic() < deadline, "the run kept playing without a page"
            time.sleep(0.1)
        assert not run.wait(lambda s: not s.playing, timeout=10).playing
    finally:
        engine.idle_pause_s = before


def test_a_play_sent_while_the_watchdog_pauses_an_idle_run_is_not_undone(engine):
    """The page polls again just as the watchdog pauses its run for idleness: its Play (from
    another thread) waits for the pause to finish, then plays the run; it is not paused after
    the Play. Without the handle's lock the Play lands between the check and the pause."""
    run = engine.open(COUNTER, {"step_s": 0.005})
    run.play()
    run.wait(lambda s: s.playing, timeout=30)
    assert not run.pause_if_idle(30.0)  # it polled just now
    run.last_poll -= 100
    played = threading.Event()

    def pause_racing_a_play() -> int:
        page = threading.Thread(target=lambda: (run.play(), played.set()), daemon=True)
        page.start()
        page.join(0.5)  # the page's Play, sent while the watchdog is pausing
        return type(run).pause(run)

    run.pause = pause_racing_a_play
    try:
        assert run.pause_if_idle(30.0)
    finally:
        del run.pause
    assert played.wait(10)
    assert run.wants_play and not run.idle_paused
    assert run.wait_acked(run._play_seq, timeout=30).playing


def test_a_killed_worker_is_replaced_and_its_runs_say_so():
    eng = Engine(workers=1, slice_s=0.02, publish_s=0.05)
    try:
        assert eng.wait_ready(120)
        run = eng.open(COUNTER, {"step_s": 0.005})
        run.play()
        run.wait(lambda s: s.step > 5, timeout=30)
        os.kill(eng.worker_pids()[0], signal.SIGKILL)
        snap = run.wait(lambda s: s.error is not None, timeout=30)
        assert "stopped unexpectedly" in snap.error and not run.playing
        assert eng.wait_ready(120)
        run.rebuild()  # Reset: the new worker builds it again
        assert run.wait_acked(run.step(3), timeout=60).step == 3
    finally:
        eng.shutdown()


# ---- admission: a cap on runs playing at once, a queue beyond it --------------------------------
def _advancing(run, timeout: float = 30) -> int:
    """Wait until the run's step moves; returns the step it reached."""
    first = run.wait(timeout=timeout).step
    return run.wait(lambda s: s.step > first + 2, timeout=timeout).step


def _still(run, seconds: float = 0.6) -> bool:
    """The run's step does not move for ``seconds`` (a queued run never trains)."""
    before = run.snapshot().step if run.snapshot() is not None else 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        snap = run.snapshot()
        if snap is not None and snap.step != before:
            return False
        time.sleep(0.05)
    return True


def test_plays_beyond_the_cap_queue_in_order_and_start_when_a_place_frees():
    eng = Engine(workers=1, slice_s=0.02, publish_s=0.05, idle_pause_s=60.0, max_playing=2)
    try:
        runs = [eng.open(COUNTER, {"step_s": 0.002}) for _ in range(4)]
        for r in runs:
            r.wait(timeout=60)
            r.play()
        assert [r.queue_position() for r in runs] == [None, None, 0, 1]
        assert eng.playing() == 2 and eng.queued() == 2
        assert all(r.playing for r in runs)  # the page shows Pause (and its place) while it waits
        _advancing(runs[0]), _advancing(runs[1])
        assert _still(runs[2]) and _still(runs[3])
        runs[0].pause()  # a place frees: the first in the queue starts, the other moves up
        _advancing(runs[2])
        assert runs[2].queue_position() is None and runs[3].queue_position() == 0
        runs[1].close()
        _advancing(runs[3])
        assert eng.queued() == 0 and eng.playing() == 2
        runs[2].pause()
        runs[3].step(1)  # Step pauses first: it leaves its place too
        assert eng.playing() == 0
    finally:
        eng.shutdown()


def test_a_queued_run_that_pauses_leaves_the_queue_and_a_halted_run_frees_its_place():
    eng = Engine(workers=1, slice_s=0.02, publish_s=0.05, idle_pause_s=60.0, max_playing=1)
    try:
        halting = eng.open(COUNTER, {"step_s": 0.002, "halt_at": 30})
        waiting = eng.open(COUNTER, {"step_s": 0.002})
        leaving = eng.open(COUNTER, {"step_s": 0.002})
        for r in (halting, waiting, leaving):
            r.wait(timeout=60)
        halting.play(), leaving.play(), waiting.play()
        assert leaving.queue_position() == 0 and waiting.queue_position() == 1
        leaving.pause()  # changed its mind before its turn
        assert leaving.queue_position() is None and waiting.queue_position() == 0
        halting.wait(lambda s: s.halted is not None, timeout=30)  # stops by itself (a divergence)
        _advancing(waiting)  # the watchdog gave its place to the next in the queue
        assert not halting.playing and eng.playing() == 1
    finally:
        eng.shutdown()


def test_a_rebuild_while_playing_asks_for_a_place_like_play():
    eng = Engine(workers=1, slice_s=0.02, publish_s=0.05, idle_pause_s=60.0, max_playing=1)
    try:
        first = eng.open(COUNTER, {"step_s": 0.002}, playing=True)
        second = eng.open(COUNTER, {"step_s": 0.002}, playing=True)
        assert second.queue_position() == 0 and second.playing
        _advancing(first)
        assert _still(second)
        first.rebuild(kwargs={"step_s": 0.002}, playing=True)  # keeps its place
        assert second.queue_position() == 0
        first.rebuild(kwargs={"step_s": 0.002}, playing=False)  # a paused rebuild frees it
        _advancing(second)
    finally:
        eng.shutdown()


def test_the_stats_file_logs_each_runs_step_once_a_second(tmp_path, monkeypatch):
    """``SEQVIZ_ENGINE_STATS``: an operator (or bench_follow.py) reads every run's step from the
    server's engine without a page; the steps in the file follow the run's own."""
    import json

    from seqviz.engine.pool import STATS_ENV

    path = tmp_path / "engine.jsonl"
    monkeypatch.setenv(STATS_ENV, str(path))
    eng = Engine(workers=1, slice_s=0.02, publish_s=0.05)
    try:
        assert eng.wait_ready(120)
        run = eng.open(COUNTER)
        done = run.wait_acked(run.step(7), timeout=30)
        deadline = time.monotonic() + 30
        rows: list[dict] = []
        while time.monotonic() < deadline:
            rows = [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []
            if any(r[0] == run.run_id and r[1] == done.step for row in rows for r in row["runs"]):
                break
            time.sleep(0.2)
        assert any(r[0] == run.run_id and r[1] == 7 and r[2] is False
                   for row in rows for r in row["runs"]), rows
        times = [row["t"] for row in rows]
        assert times == sorted(times) and all(b - a >= 0.9 for a, b in zip(times, times[1:]))
        assert all(row["queued"] == 0 for row in rows)
    finally:
        eng.shutdown()


def test_without_the_stats_setting_nothing_is_written(tmp_path, monkeypatch):
    from seqviz.engine.pool import STATS_ENV

    monkeypatch.delenv(STATS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    eng = Engine(workers=1, slice_s=0.02, publish_s=0.05)
    try:
        assert eng.wait_ready(120) and eng._stats_path is None
        run = eng.open(COUNTER)
        run.wait_acked(run.step(2), timeout=30)
        time.sleep(1.2)  # the watchdog has had its chance to write
        assert list(tmp_path.iterdir()) == []
    finally:
        eng.shutdown()


def test_a_step_slower_than_the_click_waits_is_stepping_until_the_worker_answers(
        engine, monkeypatch):
    """A large model's step takes seconds: Step returns before it is done, and the paused page
    keeps looking (``stepping``) until its snapshot is there, instead of showing the step
    before it for as long as the page stays paused."""
    import seqviz.engine.live as live

    monkeypatch.setattr(live, "STEP_WAIT", 0.05)
    exp = live.LiveExperiment(engine.open(COUNTER, {"step_s": 1.0}), cfg=None)
    exp.handle.wait(timeout=30)
    before = exp.step(1)
    assert before.step == 0 and exp.stepping()
    done = exp.handle.wait(lambda s: s.step == 1, timeout=30)
    assert done.step == 1 and not exp.stepping() and exp.steps == 1
    monkeypatch.setattr(live, "STEP_WAIT", 30.0)
    exp.handle.rebuild(kwargs={"step_s": 0.0})
    exp.handle.wait(timeout=30)
    assert exp.step(1).step == 1 and not exp.stepping()  # a quick step: never stepping
    exp.handle.close()
