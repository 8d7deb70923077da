"""A worker process: builds runs, steps the playing ones fairly, publishes snapshots.

Scheduling is round-robin over the worker's playing runs: each gets a time slice of
``slice_s`` (at least one step), then the next. Commands are read after every step, so Pause,
Step, Reset and live settings act before the next step of the run they name. A run's snapshot
is published after its slice when ``publish_s`` has passed since its last one, and at once after
a command changed it, so drawing follows training at the display's pace and no faster.

A run that raises is paused with its error in its snapshot; the other runs go on.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import os
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from seqviz.engine import protocol as P

AUTH_ENV = "SEQVIZ_ENGINE_KEY"  # the connection's secret, passed in the environment (not argv)
IDLE_WAIT = 0.5  # seconds to block on the command pipe when nothing plays
RATE_WINDOW = 3.0  # seconds of wall time behind a run's steps/s


def load_factory(name: str) -> Callable[..., Any]:
    """``"package.module:function"`` -> the function (lessons name their run factories so)."""
    module, _, attr = name.partition(":")
    if not module or not attr:
        raise ValueError(f"a factory is named 'module:function', got {name!r}")
    return getattr(importlib.import_module(module), attr)


def preload(names: list[str]) -> list[str]:
    """Import each ``"package.module"`` and call each ``"package.module:function"``, once, before
    the worker says it is ready, so a page's first build does not wait for them (a lesson names
    its factory's module and a function that caches its default data). A failure is printed and
    skipped: the run that needs it will raise again, on its page. Returns the names done."""
    done = []
    for name in names:
        try:
            module, _, attr = name.partition(":")
            mod = importlib.import_module(module)
            if attr:
                getattr(mod, attr)()
            done.append(name)
        except Exception:
            traceback.print_exc(file=sys.stderr)
    return done


def warm_torch() -> None:
    """What every run's first build would otherwise pay for: ``torch.optim``'s first optimizer
    imports ``torch._dynamo`` (1.3-1.5 s of CPU here), and the first backward pass starts
    autograd's engine. Nothing random is drawn, so no run's numbers change."""
    import torch
    import torch._dynamo  # noqa: F401

    w = torch.nn.Parameter(torch.ones(2, 2))
    opt = torch.optim.Adam([w], lr=0.1)
    (w @ w).sum().backward()
    torch.nn.utils.clip_grad_norm_([w], 1.0)
    opt.step()


def rss_mb() -> float:
    """This process's resident memory in MB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def freeze_heap() -> int:
    """Put every object alive now (modules, their tables, what start-up cached) out of the
    cyclic garbage collector's sight (``gc.freeze()``), after one last collection; returns how
    many. A full collection then walks only what was made since. In a server that has imported
    torch, plotly and the lessons (~450k objects) one took ~200 ms, holding the GIL, so every
    session stalled; after the freeze, under 1 ms. Frozen objects are still freed by reference
    counting; only a cycle among them would stay, and start-up makes none that ends."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def release_memory() -> None:
    """After a run is closed: collect its objects and give the freed heap back to the system
    (glibc keeps freed arenas mapped; ``malloc_trim`` returns them, so the worker's resident
    memory falls back after a class's sessions end instead of staying at its peak)."""
    gc.collect()
    trim_heap()


def trim_heap() -> None:
    """glibc's ``malloc_trim(0)``: unmap freed heap pages (a no-op elsewhere)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def describe(err: BaseException) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


@dataclass
class Slot:
    run_id: int
    generation: int = 0
    run: Any = None
    playing: bool = False
    version: int = 0
    acked: int = 0
    error: str | None = None
    halted: str | None = None
    last_pub: float = 0.0
    train_s: float = 0.0
    view_s: float = 0.0
    build_s: float = 0.0
    dirty: bool = True
    marks: deque = field(default_factory=lambda: deque(maxlen=64))

    def rate(self, now: float, steps: int) -> float:
        """Steps per second over the last ``RATE_WINDOW`` of play; 0 while paused (a page
        showed the rate before the Pause for as long as it stayed paused), and a new Play
        starts counting afresh."""
        if not self.playing:
            self.marks.clear()
            return 0.0
        self.marks.append((now, steps))
        while len(self.marks) > 2 and now - self.marks[0][0] > RATE_WINDOW:
            self.marks.popleft()
        (t0, s0), (t1, s1) = self.marks[0], self.marks[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 and s1 >= s0 else 0.0


class Worker:
    def __init__(self, index: int, commands, out, slice_s: float, publish_s: float):
        self.index, self.commands, self.out = index, commands, out
        self.slice_s, self.publish_s = slice_s, publish_s
        self.slots: dict[int, Slot] = {}
        self.turn: deque[int] = deque()  # round-robin order of run ids
        self.running = True
        self.preloaded: list[str] = []  # what ``preload`` did before the loop (for stats)
        self.frozen = 0  # objects ``freeze_heap`` put out of the collector's sight (for stats)

    # -- commands ----------------------------------------------------------------------------
    def handle(self, msg: tuple) -> None:
        kind = msg[0]
        if kind == P.STOP:
            self.running = False
            return
        run_id = msg[1]
        if kind == P.OPEN:
            _, _, factory, kwargs, generation, playing, seq = msg
            self.open(run_id, factory, kwargs, generation, playing, seq)
            return
        slot = self.slots.get(run_id)
        if kind == P.CLOSE:
            self.slots.pop(run_id, None)
            if run_id in self.turn:
                self.turn.remove(run_id)
            release_memory()
            return
        if kind == P.CALL:
            self.call(slot, *msg[2:])
            return
        if kind == P.STATS:
            self.send((P.REPLY, msg[2], True, self.stats()))
            return
        if slot is None:
            return
        slot.acked, slot.dirty = msg[-1], True
        if slot.run is None:  # a failed build: only a new OPEN helps
            slot.playing = False
            return
        if kind == P.PLAY:
            slot.playing, slot.halted = slot.error is None, None
        elif kind == P.PAUSE:
            slot.playing = False
        elif kind == P.STEP:
            slot.playing = False
            slot.halted = None
            self.train(slot, max(1, int(msg[2])), until=None)
        elif kind == P.LIVE:
            try:
                slot.run.apply_live(msg[2])
            except Exception as err:  # a bad live value: say so, keep the run
                slot.error = describe(err)
                traceback.print_exc(file=sys.stderr)

    def open(self, run_id: int, factory: str, kwargs: dict, generation: int, playing: bool,
             seq: int) -> None:
        slot = Slot(run_id, generation, acked=seq)
        self.slots[run_id] = slot
        if run_id not in self.turn:
            self.turn.append(run_id)
        start = time.perf_counter()
        try:
            slot.run = load_factory(factory)(**kwargs)
            if hasattr(slot.run, "interrupted"):  # long views (t-SNE settling) yield to commands
                slot.run.interrupted = self.command_waiting
            slot.playing = bool(playing)
        except Exception as err:
            slot.error = describe(err)
            traceback.print_exc(file=sys.stderr)
        slot.build_s = time.perf_counter() - start

    def call(self, slot: Slot | None, request_id: int, method: str, args: tuple, kwargs: dict,
             *_seq) -> None:
        if slot is None or slot.run is None:
            self.send((P.REPLY, request_id, False, "this run is not available (closed or failed)"))
            return
        try:
            value = getattr(slot.run, method)(*args, **kwargs)
        except Exception as err:
            traceback.print_exc(file=sys.stderr)
            self.send((P.REPLY, request_id, False, describe(err)))
            return
        self.send((P.REPLY, request_id, True, value))
        slot.dirty = True  # a call may change what the run shows: publish it

    def command_waiting(self) -> bool:
        """Whether a command has arrived (a run's long view stops early to let it in)."""
        try:
            return bool(self.commands.poll())
        except (OSError, EOFError):  # the server went away: the loop ends on its next read
            return False

    def stats(self) -> dict:
        return {"index": self.index, "pid": os.getpid(), "runs": len(self.slots),
                "run_ids": sorted(self.slots),
                "playing": sum(s.playing for s in self.slots.values()), "rss_mb": rss_mb(),
                "preloaded": list(self.preloaded), "frozen": self.frozen}

    # -- training ------------------------------------------------------------------------------
    def train(self, slot: Slot, n: int | None, until: float | None) -> None:
        """n steps, or steps until ``until`` (perf_counter) or a command arrives."""
        done = 0
        while True:
            start = time.perf_counter()
            try:
                slot.run.step(1)
                reason = slot.run.halt()
            except Exception as err:
                slot.error, slot.playing, slot.dirty = describe(err), False, True
                traceback.print_exc(file=sys.stderr)
                return
            now = time.perf_counter()
            slot.train_s += now - start
            done += 1
            if reason:
                slot.halted, slot.playing, slot.dirty = reason, False, True
                return
            if n is not None:
                if done >= n:
                    return
            elif now >= until or self.commands.poll():
                return

    def next_playing(self) -> Slot | None:
        for _ in range(len(self.turn)):
            run_id = self.turn[0]
            self.turn.rotate(-1)
            slot = self.slots.get(run_id)
            if slot is not None and slot.playing:
                return slot
        return None

    # -- publishing ----------------------------------------------------------------------------
    def publish(self, slot: Slot) -> None:
        start = time.perf_counter()
        payload, steps, kept = None, 0, ()
        if slot.run is not None:
            steps = int(getattr(slot.run, "steps", 0))
            history = getattr(slot.run, "rewind", None)  # seqviz.engine.rewind.WeightHistory
            kept = tuple(history.steps()) if history is not None else ()
            try:
                if hasattr(slot.run, "playing"):  # runs that pace their analysis by it
                    slot.run.playing = slot.playing
                payload = slot.run.view()
            except Exception as err:
                slot.error, slot.playing = describe(err), False
                traceback.print_exc(file=sys.stderr)
        now = time.perf_counter()
        slot.view_s += now - start
        slot.version += 1
        snap = P.Snapshot(slot.run_id, slot.generation, slot.version, steps, slot.playing,
                          payload, slot.rate(now, steps), slot.train_s, slot.view_s, slot.error,
                          slot.halted, time.time(), slot.acked, slot.build_s, kept)
        try:
            self.send((P.SNAP, slot.run_id, snap))
        except Exception as err:  # e.g. a payload that does not pickle
            traceback.print_exc(file=sys.stderr)
            self.send((P.SNAP, slot.run_id, P.Snapshot(
                slot.run_id, slot.generation, slot.version, steps, False, None,
                error=f"the run's view cannot be sent: {describe(err)}", wall=time.time(),
                acked=slot.acked)))
            slot.playing = False
        slot.last_pub, slot.dirty = now, False

    def send(self, msg: tuple) -> None:
        P.send(self.out, msg)

    # -- the loop --------------------------------------------------------------------------------
    def loop(self) -> None:
        self.send((P.READY, self.index))
        while self.running:
            playing = any(s.playing for s in self.slots.values())
            if self.commands.poll(0 if playing else IDLE_WAIT):
                while self.running and self.commands.poll():
                    self.handle(P.recv(self.commands))
            for slot in list(self.slots.values()):
                if slot.dirty:
                    self.publish(slot)
            slot = self.next_playing()
            if slot is None:
                continue
            self.train(slot, None, time.perf_counter() + self.slice_s)
            if slot.dirty or time.perf_counter() - slot.last_pub >= self.publish_s:
                self.publish(slot)


def main(argv: list[str]) -> None:
    """``python -m seqviz.engine.worker ADDRESS INDEX SLICE_S PUBLISH_S [PRELOAD...]``: connect
    back to the server, import torch with one thread, warm it and preload the named modules,
    then say READY and loop until STOP or the connection closes."""
    from multiprocessing.connection import Client

    address, index, slice_s, publish_s = argv[0], int(argv[1]), float(argv[2]), float(argv[3])
    conn = Client(address, family="AF_UNIX", authkey=bytes.fromhex(os.environ.pop(AUTH_ENV)))
    conn.send((index, os.getpid()))
    import torch

    torch.set_num_threads(1)
    warm_torch()
    worker = Worker(index, conn, conn, slice_s, publish_s)
    worker.preloaded = preload(argv[4:])
    worker.frozen = freeze_heap()  # torch and the lessons: collections skip them from now on
    try:
        worker.loop()
    except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        pass  # the server went away


if __name__ == "__main__":
    main(sys.argv[1:])
