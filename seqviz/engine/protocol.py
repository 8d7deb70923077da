"""What the server and a worker say to each other, and what a page reads.

Commands (server -> worker) and messages (worker -> server) are plain tuples sent over a pipe;
``Snapshot`` is the immutable view of one run that a page draws from.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any, Protocol

# server -> worker; every command of a run ends with its sequence number ``seq``, which the
# run's next snapshot echoes as ``acked`` (so a page knows the snapshot has seen its click)
OPEN = "open"  # (OPEN, run_id, factory, kwargs, generation, playing, seq): build or rebuild
PLAY = "play"  # (PLAY, run_id, seq)
PAUSE = "pause"  # (PAUSE, run_id, seq)
STEP = "step"  # (STEP, run_id, n, seq): pause, then n steps
LIVE = "live"  # (LIVE, run_id, cfg, seq): live settings, applied before the next step
CALL = "call"  # (CALL, run_id, request_id, method, args, kwargs, seq): a method of the run
CLOSE = "close"  # (CLOSE, run_id, seq): drop the run
STATS = "stats"  # (STATS, 0, request_id, seq): the worker's own numbers (runs held, RSS)
STOP = "stop"  # (STOP,): end the worker

# worker -> server
SNAP = "snap"  # (SNAP, run_id, Snapshot)
REPLY = "reply"  # (REPLY, request_id, ok, value or error text)
READY = "ready"  # (READY, worker_index)


class Run(Protocol):
    """What a lesson hands the engine. ``step(n)`` trains n steps; ``apply_live(cfg)`` takes a
    config whose live fields changed; ``view()`` returns a small picklable payload (numpy arrays,
    numbers, text) that the page draws; ``halt()`` says why the run must pause now (a
    divergence), else None. ``steps`` is the number of steps taken. A run that has a
    ``playing`` attribute gets it set before each ``view()`` (to pace its analysis)."""

    steps: int

    def step(self, n: int = 1) -> Any: ...

    def apply_live(self, cfg: Any) -> None: ...

    def view(self) -> Any: ...

    def halt(self) -> str | None: ...


@dataclass(frozen=True)
class Snapshot:
    """One run as last published by its worker.

    ``version`` grows with every publish of the run; ``generation`` names the build it belongs
    to (a rebuild or reset starts a new one, so a page never draws the old model's numbers as
    the new one's). ``error`` is set when building or stepping raised: the run is paused and the
    text says what happened. ``halted`` is the run's own reason for pausing (e.g. a divergence).
    ``train_s`` and ``view_s`` are the worker's seconds spent stepping this run and building
    its views, so far in this generation (the build itself is ``build_s``). ``acked`` is the
    sequence number of the last command the worker had applied when it published. ``kept``
    lists the past steps a page can rewind to (``seqviz.engine.rewind``).
    """

    run_id: int
    generation: int
    version: int
    step: int
    playing: bool
    payload: Any
    steps_per_s: float = 0.0
    train_s: float = 0.0
    view_s: float = 0.0
    error: str | None = None
    halted: str | None = None
    wall: float = 0.0
    acked: int = 0
    build_s: float = 0.0  # seconds the worker took to build this generation
    kept: tuple[int, ...] = ()  # steps whose weights the run keeps for rewinding (oldest first)


def send(conn, msg: tuple) -> None:
    """Send with the standard pickle: multiprocessing's own pickler would pass torch tensors
    as shared-memory handles, which only processes of one ``multiprocessing`` family can open."""
    conn.send_bytes(pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL))


def recv(conn) -> tuple:
    return pickle.loads(conn.recv_bytes())
