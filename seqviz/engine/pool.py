"""The server's side of the engine: a bounded pool of worker processes and one handle per run.

``Engine(workers=N, preload=names)`` starts N worker processes (default: one per core); each
imports torch once, uses one thread, and imports or calls the ``preload`` names (lessons' run
modules and their data caches) before it says it is ready.
``engine.open(factory, kwargs)`` places a run on the worker with the fewest runs and returns its
``RunHandle``. A receiver thread per worker stores the latest snapshot of every run; pages only
read it. A watchdog pauses runs whose page stopped polling (``idle_pause_s``) and restarts a
worker that died, telling its runs' pages what happened.

Admission: at most ``max_playing`` runs play at once (``SEQVIZ_MAX_PLAYING``, default
``PLAYING_PER_WORKER`` per worker, the number of LM-page sessions one core trains at 10 steps/s
or more each, measured by ``benchmarks/bench_load.py``). A Play beyond that waits in a first-in,
first-out queue, and its page shows how many sessions are ahead, instead of every run slowing
down; a run that pauses, steps, diverges, is left idle or closes frees its place for the next.

When a handle is garbage-collected (Streamlit dropped the session that held it) its run is
closed in the worker within one watchdog period (0.5 s), so the worker's memory for it is
released.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from concurrent.futures import Future
from multiprocessing.connection import AuthenticationError, Connection, Listener
from typing import Any, Callable, Sequence

from seqviz.engine import protocol as P
from seqviz.engine import worker as W


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


WORKERS_ENV = "SEQVIZ_WORKERS"  # set to override the number of worker processes
# A page polls its run's snapshot at every redraw (0.4-1.5 s). Silence this long means the tab
# is gone; 8 s was too short for a crowded server, whose reruns queue: with 12 browser sessions
# on two replicas at a load average of 26 (tests/test_deploy.py) live pages were paused.
IDLE_PAUSE_S = 30.0
TRIM_EVERY_S = 10.0  # the server gives freed memory back at most this often after runs close
PLAYING_ENV = "SEQVIZ_MAX_PLAYING"  # set to override the cap on runs playing at once
STATS_ENV = "SEQVIZ_ENGINE_STATS"  # a file: once a second, a JSON line of every run's step
STATS_EVERY_S = 1.0
PLAYING_PER_WORKER = 3  # LM-page runs one core trains at >= 10 steps/s each (bench_load.py)


def default_max_playing(workers: int) -> int:
    raw = os.environ.get(PLAYING_ENV, "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return workers * PLAYING_PER_WORKER
_shared: "Engine | None" = None
_shared_lock = threading.Lock()


def shared_engine(preload: Sequence[str] = ()) -> "Engine":
    """This process's engine, started on first use and shared by every session in it.
    ``preload`` (see ``Engine``) counts only for the call that starts it: the server's start-up
    (``seqviz.ui.startup``) makes that call before any page does."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Engine(workers=int(os.environ.get(WORKERS_ENV, "0") or 0) or None,
                             preload=preload)
            atexit.register(_shared.shutdown)
        return _shared


class _Proc:
    """One worker process (``python -m seqviz.engine.worker``), its connection and its runs.

    Workers are plain subprocesses that connect back over an authenticated Unix socket, not
    ``multiprocessing.Process``: Streamlit runs each page as ``sys.modules["__main__"]``, and
    both ``spawn`` and ``forkserver`` would import that page again in every child."""

    def __init__(self, index: int, address: str, authkey: bytes, slice_s: float,
                 publish_s: float, preload: Sequence[str] = ()):
        self.index = index
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", W.AUTH_ENV: authkey.hex(),
               "PYTHONPATH": os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "seqviz.engine.worker", address, str(index), str(slice_s),
             str(publish_s), *preload], env=env, stdin=subprocess.DEVNULL)
        self.conn: Connection | None = None
        self.connected = threading.Event()
        self.send_lock = threading.Lock()
        self.runs: set[int] = set()
        self.ready = threading.Event()

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, msg: tuple) -> None:
        if not self.connected.wait(120):
            raise OSError(f"worker {self.index} did not connect")
        with self.send_lock:
            P.send(self.conn, msg)


class Engine:
    def __init__(self, workers: int | None = None, *, slice_s: float = 0.05,
                 publish_s: float = 0.2, idle_pause_s: float = IDLE_PAUSE_S,
                 preload: Sequence[str] = (), max_playing: int | None = None):
        self.size = workers or default_workers()
        self.max_playing = max(1, max_playing or default_max_playing(self.size))
        self._admitted: set[int] = set()  # runs allowed to play (the worker plays them)
        self._queue: deque[int] = deque()  # runs whose page pressed Play, waiting for a place
        self.preload = tuple(preload)
        self.slice_s, self.publish_s, self.idle_pause_s = slice_s, publish_s, idle_pause_s
        self._authkey = secrets.token_bytes(32)
        self._listener = Listener(family="AF_UNIX", authkey=self._authkey)
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)
        self._snaps: dict[int, P.Snapshot] = {}
        self._pending: dict[int, Future] = {}
        self._handles: weakref.WeakValueDictionary[int, RunHandle] = weakref.WeakValueDictionary()
        # Runs of handles that were garbage-collected, released by the watchdog: the collector
        # runs in whatever thread allocates, possibly one inside ``_Proc.send`` holding that
        # worker's send lock, where releasing at once (which sends CLOSE) would wait for that
        # lock forever and stop every command to the worker. SimpleQueue.put is safe there.
        self._dropped: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
        self._ids = itertools.count(1)
        self._closed = False
        self._released_since_trim = 0  # runs closed since the server last gave memory back
        self._last_trim = 0.0
        self._stats_path = os.environ.get(STATS_ENV, "").strip() or None
        self._last_stats = 0.0
        self._procs = [self._start(i) for i in range(self.size)]
        threading.Thread(target=self._accept, name="seqviz-engine-accept", daemon=True).start()
        threading.Thread(target=self._watch, name="seqviz-engine-watchdog", daemon=True).start()

    # -- workers ---------------------------------------------------------------------------
    def _start(self, index: int) -> _Proc:
        return _Proc(index, self._listener.address, self._authkey, self.slice_s, self.publish_s,
                     self.preload)

    def _accept(self) -> None:
        """Workers connect back and say their index and pid; a receiver thread serves each."""
        while not self._closed:
            try:
                conn = self._listener.accept()
                index, pid = conn.recv()
            except (OSError, EOFError, AuthenticationError):
                if self._closed:
                    return
                continue
            with self._lock:
                proc = self._procs[index] if 0 <= index < len(self._procs) else None
            if proc is None or proc.pid != pid:  # a stray or replaced worker
                conn.close()
                continue
            proc.conn = conn
            proc.connected.set()
            threading.Thread(target=self._receive, args=(proc,), daemon=True,
                             name=f"seqviz-engine-receive-{index}").start()

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Block until every worker has imported torch, preloaded, and said it is ready."""
        deadline = time.monotonic() + timeout
        return all(p.ready.wait(max(0.0, deadline - time.monotonic())) for p in self._procs)

    def _receive(self, proc: _Proc) -> None:
        while True:
            try:
                msg = P.recv(proc.conn)
            except (EOFError, OSError):
                return
            kind = msg[0]
            if kind == P.SNAP:
                with self.changed:
                    old, new = self._snaps.get(msg[1]), msg[2]
                    if old is None or (new.generation, new.version) >= (old.generation,
                                                                        old.version):
                        self._snaps[msg[1]] = new
                    self.changed.notify_all()
            elif kind == P.REPLY:
                with self._lock:
                    future = self._pending.pop(msg[1], None)
                if future is not None and not future.done():
                    if msg[2]:
                        future.set_result(msg[3])
                    else:
                        future.set_exception(RunError(msg[3]))
            elif kind == P.READY:
                proc.ready.set()

    def _watch(self) -> None:
        while not self._closed:
            time.sleep(0.5)
            self._pause_idle()
            self._release_dropped()
            self._release_stopped()
            self._trim_after_releases()
            self._write_stats()
            for i, proc in enumerate(self._procs):
                if not self._closed and not proc.alive():
                    self._replace(i, proc)

    def _release_dropped(self) -> None:
        while True:
            try:
                run_id, index = self._dropped.get_nowait()
            except queue.Empty:
                return
            self._release(run_id, index)

    def _pause_idle(self) -> None:
        """Pause the runs whose page stopped polling (a method, so that no loop variable of the
        watchdog keeps a dropped session's handle alive through its sleep)."""
        for handle in list(self._handles.values()):
            handle.pause_if_idle(self.idle_pause_s)

    def _write_stats(self) -> None:
        """With ``SEQVIZ_ENGINE_STATS=FILE``: append once a second a JSON line with the time and
        each run's step, playing flag and seconds spent training and on views, as the workers
        last published them, plus the queue's length; an operator (or a benchmark) watches a
        class's training there without opening a page. Errors writing are ignored."""
        now = time.time()
        if self._stats_path is None or now - self._last_stats < STATS_EVERY_S:
            return
        self._last_stats = now
        with self._lock:
            runs = [[s.run_id, s.step, s.playing, round(s.train_s, 3), round(s.view_s, 3)]
                    for s in self._snaps.values()]
            queued = len(self._queue)
        try:
            with open(self._stats_path, "a", encoding="utf-8") as f:
                f.write(json.dumps({"t": round(now, 3), "runs": runs, "queued": queued}) + "\n")
        except OSError:
            pass

    def _trim_after_releases(self) -> None:
        """After runs closed, give the server's freed heap back to the system (the snapshots and
        histories they published), as the workers do after each close: without it the server
        stays near its peak after a class ends. At most every ``TRIM_EVERY_S``; ``malloc_trim``
        runs without the GIL, and there is no ``gc.collect`` here to hold it from the pages."""
        now = time.monotonic()
        with self._lock:
            if not self._released_since_trim or now - self._last_trim < TRIM_EVERY_S:
                return
            self._released_since_trim, self._last_trim = 0, now
        W.trim_heap()

    def _replace(self, index: int, dead: _Proc) -> None:
        """A worker died (killed, out of memory): its runs are lost; say so, start a new one."""
        code = dead.process.returncode
        with self.changed:
            self._procs[index] = self._start(index)
            for run_id in dead.runs:
                handle = self._handles.get(run_id)
                gen = handle.generation if handle is not None else 0
                old = self._snaps.get(run_id)
                self._snaps[run_id] = P.Snapshot(
                    run_id, gen, (old.version + 1) if old else 1, old.step if old else 0, False,
                    old.payload if old else None, error=(
                        f"The training worker stopped unexpectedly (exit code {code}); this run "
                        "was lost. Press Reset to start it again."), wall=time.time())
                if handle is not None:
                    handle.wants_play = False
                    handle.lost = True
                self._leave(run_id)
            for future in list(self._pending.values()):
                if not future.done():
                    future.set_exception(RunError("the training worker stopped"))
            self.changed.notify_all()

    # -- runs ------------------------------------------------------------------------------
    def open(self, factory: str, kwargs: dict | None = None, *, playing: bool = False
             ) -> "RunHandle":
        """Build ``factory(**kwargs)`` in the least-loaded worker; returns the run's handle."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine is shut down")
            proc = min(self._procs, key=lambda p: len(p.runs))
            run_id = next(self._ids)
            proc.runs.add(run_id)
            handle = RunHandle(self, run_id, proc.index)
            self._handles[run_id] = handle
        handle.rebuild(factory, kwargs or {}, playing=playing)
        return handle

    def _send(self, index: int, msg: tuple) -> None:
        try:
            self._procs[index].send(msg)
        except (OSError, ValueError, AttributeError):  # a dead worker: the watchdog replaces it
            pass

    # -- admission -------------------------------------------------------------------------
    def _request_play(self, handle: "RunHandle") -> bool:
        """Admit ``handle``'s run to play now (True), or queue it (False)."""
        with self._lock:
            rid = handle.run_id
            if rid in self._admitted:
                handle._play_pending = True
                return True
            if len(self._admitted) < self.max_playing and not self._queue:
                self._admitted.add(rid)
                handle._play_pending = True  # until its Play is sent (see _release_stopped)
                return True
            if rid not in self._queue:
                self._queue.append(rid)
            return False

    def _leave(self, run_id: int) -> None:
        """The run no longer plays or waits: its place goes to the first in the queue."""
        with self._lock:
            self._admitted.discard(run_id)
            try:
                self._queue.remove(run_id)
            except ValueError:
                pass
            starting = self._admit_next()
        for handle in starting:  # sent outside the lock (a worker may be sending to us)
            handle._send_play()

    def _admit_next(self) -> list["RunHandle"]:
        """Move runs from the queue's head to the admitted set while there is room (called
        with the lock held); the caller sends their Play once it has let the lock go."""
        starting = []
        while self._queue and len(self._admitted) < self.max_playing:
            rid = self._queue.popleft()
            handle = self._handles.get(rid)
            if handle is None or not handle.wants_play:
                continue
            self._admitted.add(rid)
            handle._play_pending = True
            starting.append(handle)
        return starting

    def _release_stopped(self) -> None:
        """Admitted runs the worker stopped by itself (a divergence, an error) leave."""
        with self._lock:
            for rid in list(self._admitted):
                handle = self._handles.get(rid)
                if handle is not None and handle._play_pending:
                    continue  # admitted, its Play not sent yet
                snap = self._snaps.get(rid)
                stopped = handle is None or not handle.wants_play or (
                    snap is not None and snap.generation == handle.generation
                    and snap.acked >= handle._play_seq and not snap.playing)
                if stopped:
                    if handle is not None:
                        handle.wants_play = False
                    self._admitted.discard(rid)
            starting = self._admit_next()
        for handle in starting:
            handle._send_play()

    def queue_position(self, run_id: int) -> int | None:
        """How many runs wait ahead of this one (None: it is not waiting)."""
        with self._lock:
            try:
                return self._queue.index(run_id)
            except ValueError:
                return None

    def queued(self) -> int:
        with self._lock:
            return len(self._queue)

    def _release(self, run_id: int, index: int) -> None:
        self._leave(run_id)
        with self._lock:
            self._snaps.pop(run_id, None)
            proc = self._procs[index] if index < len(self._procs) else None
            if proc is not None:
                proc.runs.discard(run_id)
            self._released_since_trim += 1
        if proc is not None and not self._closed:
            self._send(index, (P.CLOSE, run_id, 0))

    def snapshot(self, run_id: int) -> P.Snapshot | None:
        with self._lock:
            return self._snaps.get(run_id)

    def submit(self, index: int, run_id: int, method: str, args: tuple, kwargs: dict,
               seq: int) -> Future:
        future: Future = Future()
        with self._lock:
            request_id = next(self._ids)
            self._pending[request_id] = future
        self._send(index, (P.CALL, run_id, request_id, method, args, kwargs, seq))
        return future

    def worker_stats(self, timeout: float = 10.0) -> list[dict]:
        """Each worker's runs held, runs playing, resident memory (MB) and preloads done."""
        futures = []
        for proc in self._procs:
            future: Future = Future()
            with self._lock:
                request_id = next(self._ids)
                self._pending[request_id] = future
            self._send(proc.index, (P.STATS, 0, request_id, 0))
            futures.append(future)
        return [f.result(timeout) for f in futures]

    def playing(self) -> int:
        """Runs playing now (admitted; the load the display period adapts to)."""
        with self._lock:
            return len(self._admitted)

    @property
    def runs(self) -> int:
        with self._lock:
            return sum(len(p.runs) for p in self._procs)

    def worker_pids(self) -> list[int]:
        return [p.pid for p in self._procs]

    def shutdown(self, timeout: float = 5.0) -> None:
        self._closed = True
        for proc in self._procs:
            if proc.connected.is_set():
                try:
                    proc.send((P.STOP,))
                except (OSError, ValueError):
                    pass
        deadline = time.monotonic() + timeout
        for proc in self._procs:
            try:
                proc.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.process.kill()
        self._listener.close()


class RunError(RuntimeError):
    """A run's method raised in the worker; the text says what happened."""


class RunHandle:
    """One run, seen from the server. Every method returns at once; the worker applies
    commands in the order they were sent, before its next step of this run."""

    def __init__(self, engine: Engine, run_id: int, index: int):
        self.engine, self.run_id, self.index = engine, run_id, index
        self.generation = 0
        self.seq = 0
        self.wants_play = False
        self._play_seq = 0  # the command that last set the wanted play state
        self._play_pending = False  # admitted to play, the command not sent yet
        self.last_poll = time.monotonic()
        self.idle_paused = False
        self._play_lock = threading.Lock()  # a page's Play against the watchdog's idle pause
        self.lost = False
        self.factory: str = ""
        self.kwargs: dict = {}
        weakref.finalize(self, engine._dropped.put, (run_id, index))  # see Engine._dropped

    def _send(self, kind: str, *rest: Any) -> int:
        with self.engine._lock:
            self.seq += 1
            seq = self.seq
        self.engine._send(self.index, (kind, self.run_id, *rest, seq))
        return seq

    # -- commands --------------------------------------------------------------------------
    def rebuild(self, factory: str | None = None, kwargs: dict | None = None, *,
                playing: bool = False) -> int:
        """Build the run again (a new generation): a Reset, or new settings that need it."""
        self.factory = factory or self.factory
        self.kwargs = dict(self.kwargs if kwargs is None else kwargs)
        self.generation += 1
        self.wants_play, self.lost, self.idle_paused = playing, False, False
        self.last_poll = time.monotonic()
        if playing:
            playing = self.engine._request_play(self)  # else it waits in the queue
        else:
            self.engine._leave(self.run_id)
        self._play_seq = self._send(P.OPEN, self.factory, self.kwargs, self.generation, playing)
        self._play_pending = False
        return self._play_seq

    def play(self) -> int:
        """Play now, or wait for a place (``queue_position``) and play when it comes."""
        with self._play_lock:
            self.wants_play, self.idle_paused = True, False
            self.last_poll = time.monotonic()
            if self.engine._request_play(self):
                self._send_play()
            return self._play_seq

    def pause_if_idle(self, idle_s: float) -> bool:
        """The watchdog's pause of a playing run whose page has not polled for ``idle_s``
        seconds; True if it paused it. The run is marked idle-paused before it is paused, so a
        page that reads it paused then reads it idle-paused too (and plays it on), and a Play
        sent meanwhile waits for this to finish instead of being undone by it."""
        with self._play_lock:
            if not self.wants_play or time.monotonic() - self.last_poll <= idle_s:
                return False
            self.idle_paused = True
            self.pause()
            return True

    def _send_play(self) -> None:
        self._play_seq = self._send(P.PLAY)
        self._play_pending = False

    def pause(self) -> int:
        self.wants_play = False
        self.engine._leave(self.run_id)
        self._play_seq = self._send(P.PAUSE)
        return self._play_seq

    def step(self, n: int = 1) -> int:
        self.wants_play = False
        self.engine._leave(self.run_id)
        self._play_seq = self._send(P.STEP, int(n))
        return self._play_seq

    def queue_position(self) -> int | None:
        """Runs waiting ahead of this one for a place to play; None when not waiting."""
        return self.engine.queue_position(self.run_id)

    def apply_live(self, cfg: Any) -> int:
        return self._send(P.LIVE, cfg)

    def submit(self, method: str, *args: Any, **kwargs: Any) -> Future:
        """Call ``run.method(*args, **kwargs)`` in the worker, between two steps; a Future."""
        with self.engine._lock:
            self.seq += 1
            seq = self.seq
        return self.engine.submit(self.index, self.run_id, method, args, kwargs, seq)

    def call(self, method: str, *args: Any, timeout: float = 30.0, **kwargs: Any) -> Any:
        return self.submit(method, *args, **kwargs).result(timeout)

    def close(self) -> None:
        self.engine._release(self.run_id, self.index)

    # -- reading -----------------------------------------------------------------------------
    def snapshot(self) -> P.Snapshot | None:
        """The latest snapshot of the current build (None until its first one arrives)."""
        self.last_poll = time.monotonic()
        snap = self.engine.snapshot(self.run_id)
        return snap if snap is not None and snap.generation == self.generation else None

    @property
    def playing(self) -> bool:
        """What the Play button should show: the worker's state once it has seen the last
        play/pause/step command, the wanted state until then."""
        if self.wants_play and self.queue_position() is not None:
            return True  # waiting for a place: the page shows Pause and its position
        snap = self.snapshot()
        if snap is not None and snap.acked >= self._play_seq:
            return snap.playing
        return self.wants_play

    def wait(self, until: Callable[[P.Snapshot], bool] = lambda s: True,
             timeout: float = 30.0) -> P.Snapshot:
        """Block until the current build's snapshot satisfies ``until``; TimeoutError after
        ``timeout`` seconds (tests, benchmarks, and a Step button that shows its step)."""
        deadline = time.monotonic() + timeout
        with self.engine.changed:
            while True:
                snap = self.snapshot()
                if snap is not None and until(snap):
                    return snap
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"run {self.run_id}: no matching snapshot in {timeout} s")
                self.engine.changed.wait(min(left, 0.5))

    def wait_acked(self, seq: int, timeout: float = 30.0) -> P.Snapshot:
        return self.wait(lambda s: s.acked >= seq, timeout)

