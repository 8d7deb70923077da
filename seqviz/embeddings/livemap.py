"""The run's 2-D map, advanced in the engine worker at the pace the page draws it.

``LiveMap.tick(...)`` is called from the run's ``view()`` (every ``publish_s`` while playing,
and after a command). It builds the projection when its points or settings change, follows
vectors that moved (new t-SNE affinities, continuing from the current map) and runs t-SNE
iterations within a time budget:

- while the vectors move (training), at most ``cfg.tsne_iters`` iterations per frame and
  ``TSNE_SHARE`` of the worker's time, affinities included: each frame earns that share of the
  time since the last one as credit (up to ``CREDIT_CAP``), and t-SNE spends it. A follow
  (new affinities: ~4 ms for 174 points, ~0.1 s for 2,000) waits until the credit covers it;
- while they stand still (paused), until the map has settled, at most ``SETTLE_BUDGET``
  seconds per frame (the page asks for more frames until it has), ``FIRST_BUDGET`` in a new
  projection's first frame (affinities included), so that a new corpus or model is drawn soon;
  a first frame that cannot settle in it at the pace of its first chunk ends after that chunk,
  as does the first frame of a run that replaces one the page has drawn (``LiveMap(soon=True)``:
  a new corpus or model size is drawn at once, and the reader sees its map settle). A run's
  very first map (a first visit) has ``FIRST_VISIT_BUDGET`` instead, so that it is drawn once,
  settled, even on a busy machine.

PCA is redone whenever the vectors moved: it costs well under a millisecond at these sizes.

A run's first map of its starting vectors, once settled, is kept in this process
(``FIRST_MAPS``, keyed by the vectors' bytes and the projection's settings): every first visit
with the same settings and seed starts from the same vectors, so the next one is drawn settled
at once instead of after 0.15-0.5 s of t-SNE, and ``seqviz.embeddings.live.warm`` fills it for
the default settings when a worker starts. t-SNE's map does not depend on how its iterations
are split into frames (``AnimatedTSNE``), so a kept map is the map the visit would have made.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from seqviz.embeddings.tsne import LiveProjection, ProjectionError, plan_projection
from seqviz.i18n import N_, Msg

TSNE_SHARE = 0.15  # share of the worker's time t-SNE may take while the vectors move
SETTLE_BUDGET = 0.25  # seconds of t-SNE per frame while the vectors stand still
FIRST_BUDGET = 0.2  # ... in a new projection's first frame: the default map (174 points,
# ~0.13-0.19 s) still settles in it, so a first visit draws once and does not tick. A map that
# cannot (prose's 300 points: ~0.3 s) is drawn after its first chunk instead, so a new corpus
# is drawn soon, and settles on the page frame by frame
FIRST_VISIT_BUDGET = 0.5  # ... in the first frame of a run's first map, unless it replaces a
# drawn run (``soon``): a first visit. The default map takes 0.14 s in a fresh worker on a quiet
# machine but 0.2-0.4 s while the browser lays the page out on the same cores; drawn unsettled,
# the page would tick until it settles and then rerun whole to stop ticking, and the browser
# would lay the page out twice while loading Plotly (Embeddings' first chart: median 3.18 s of
# 8 loads with 0.2 s here, 3.01 s with 0.5 s)
MAX_INTERVAL = 1.0  # seconds: a longer gap between frames does not buy a longer t-SNE tick
CREDIT_CAP = 0.3  # seconds of t-SNE credit that can be saved up while the vectors move
CHUNK = 10  # iterations per openTSNE call while drawing (each call adds ~1 iteration's cost)
SETTLE_CHUNK = 25  # ... while settling (a paused frame is drawn once, at its end)
FIRST_MAPS_KEPT = 4  # settled first maps kept per process (least recently used dropped);
# SEQVIZ_FIRST_MAPS=0 keeps none (the benchmark's reference: every first visit settles its own)
FIRST_MAPS_MAX_POINTS = 1000  # larger maps are not kept (memory; their first frame is drawn
# after one chunk anyway)


class FirstMaps:
    """Settled first maps of starting vectors, least recently used dropped: key -> a
    ``LiveProjection``, pickled (a copy that keeps openTSNE's optimiser state: ``deepcopy``
    of its embedding, a NumPy subclass, would drop it)."""

    def __init__(self, kept: int = FIRST_MAPS_KEPT):
        self.kept, self.maps = int(kept), OrderedDict()  # key -> bytes
        self.lock = threading.Lock()  # a worker steps its runs in one thread; tests may not

    @staticmethod
    def key(X: np.ndarray, method: str, perplexity: float, cfg) -> tuple:
        X = np.ascontiguousarray(X)
        digest = hashlib.blake2b(X.tobytes(), digest_size=16).hexdigest()
        return (X.shape, str(X.dtype), digest, method, float(perplexity),
                cfg.tsne_lr or "auto", int(cfg.seed))

    def get(self, key: tuple) -> LiveProjection | None:
        with self.lock:
            proj = self.maps.get(key)
            if proj is None:
                return None
            self.maps.move_to_end(key)
        return pickle.loads(proj)

    def put(self, key: tuple, proj: LiveProjection) -> None:
        if self.kept <= 0 or key in self.maps or len(proj.coords) > FIRST_MAPS_MAX_POINTS:
            return
        try:
            data = pickle.dumps(proj, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - a projection that cannot be copied is not kept
            return
        with self.lock:
            self.maps[key] = data
            while len(self.maps) > self.kept:
                self.maps.popitem(last=False)


def _kept_from_env(default: int = FIRST_MAPS_KEPT) -> int:
    try:
        return max(0, int(os.environ.get("SEQVIZ_FIRST_MAPS", default)))
    except ValueError:
        return default


FIRST_MAPS = FirstMaps(_kept_from_env())


@dataclass(frozen=True)
class MapView:
    """The map as the page draws it; ``source`` names the points (the page has their labels)."""

    source: tuple
    coords: np.ndarray  # (n, 2) float32; t-SNE drawn at unit spread
    method: str  # "tsne" or "pca"
    axes: tuple[Msg, Msg]  # translated when shown, as are status, message and error
    status: Msg
    settled: bool
    iteration: int  # t-SNE iterations so far (0 for PCA)
    build: int  # how many projections this run has started (a new one starts from scratch)
    movement: float  # mean point displacement per iteration / spread, last measured
    message: Msg | None = None  # the settings were adjusted to fit the points (said why)


@dataclass(frozen=True)
class MapError:
    source: tuple
    error: Msg  # no map can be drawn for these points; says why


class LiveMap:
    """One projection at a time, rebuilt when its key changes; ``tsne_s`` counts its seconds."""

    def __init__(self, soon: bool = False):
        self.soon = soon  # the first projection is drawn after one chunk (a page's rebuild)
        self.proj: LiveProjection | None = None
        self.key: tuple | None = None
        self.version: Any = None  # the vectors the projection follows
        self.seen: Any = None  # the vectors of the last frame
        self.message: Msg | None = None
        self.error: Msg | None = None
        self.tsne_s = 0.0
        self.last_tick = time.perf_counter()
        self.credit = 0.0  # seconds of t-SNE it may spend while the vectors move
        self.follow_cost = 0.0
        self.per_iter = 0.0  # seconds per t-SNE iteration, last measured
        self.builds = 0
        self.keep_as: tuple | None = None  # a first visit's map: its FIRST_MAPS key, until it
        # has settled (kept) or followed moved vectors (not kept)

    def tick(self, source: tuple, version: Any, points: Callable[[int], np.ndarray], total: int,
             cfg, rerun: int = 0, stop: Callable[[], bool] | None = None) -> MapView | MapError:
        """The map of ``points(n)`` (n, D), the first n = min(cfg.points, total) points of
        ``source`` at ``version``; advanced for this frame. ``stop()`` true (a command waiting
        in the worker) ends a settling frame early, after at least one chunk: the command is
        served within milliseconds, and the next frame settles on."""
        start = time.perf_counter()
        self.credit = min(CREDIT_CAP, self.credit + TSNE_SHARE * min(MAX_INTERVAL,
                                                                     start - self.last_tick))
        self.last_tick = start
        n = min(int(cfg.points), int(total))
        key = (source, cfg.projection, cfg.perplexity, n, cfg.seed, rerun)
        moving = version != self.seen
        self.seen = version
        first = False
        try:
            if key != self.key:
                self._build(key, points(n), n, cfg)
                self.version, moving, first = version, False, True
            elif self.proj is not None and version != self.version:
                if not moving or self.credit >= min(self.follow_cost, CREDIT_CAP):
                    begin = time.perf_counter()
                    self.proj.follow(points(n))
                    self.version, self.follow_cost = version, time.perf_counter() - begin
                    self.keep_as = None
            if self.proj is not None and self.proj.tsne is not None:
                self.proj.tsne.set_learning_rate(cfg.tsne_lr or "auto")
                if moving:  # the credit this frame started with pays for its follow too
                    self._iterate(cfg.tsne_iters, start + self.credit)
                elif not self.proj.tsne.settled:
                    visit = first and self.builds == 1 and not self.soon
                    end = (start + (FIRST_VISIT_BUDGET if visit else FIRST_BUDGET) if first
                           else time.perf_counter() + SETTLE_BUDGET)
                    soon = first and self.soon and self.builds == 1
                    self._iterate(SETTLE_CHUNK if soon else 10**9, end, SETTLE_CHUNK, stop,
                                  whole=first)
            if self.keep_as is not None and self.proj is not None and not self.proj.running:
                FIRST_MAPS.put(self.keep_as, self.proj)
                self.keep_as = None
        except ProjectionError as err:  # e.g. vectors that became NaN
            self.proj, self.error = None, err.msg
        finally:
            spent = time.perf_counter() - start
            self.tsne_s += spent
            if moving:
                self.credit -= spent  # may go below 0 (a costly follow): later frames repay it
        if self.proj is None:
            return MapError(source, self.error or Msg(N_("No map can be drawn for these points.")))
        p = self.proj
        return MapView(source, p.coords.astype(np.float32), p.method, tuple(p.axes), p.status,
                       not p.running, p.tsne.iteration if p.tsne is not None else 0,
                       self.builds, p.tsne.movement if p.tsne is not None else 0.0,
                       self.message)

    def _build(self, key: tuple, X: np.ndarray, n: int, cfg) -> None:
        self.key, self.proj, self.error = key, None, None
        self.builds += 1
        method, perplexity, self.message = plan_projection(cfg.projection, n, cfg.perplexity)
        visit = self.builds == 1 and not self.soon and method == "tsne"  # a run's first map
        self.keep_as = FIRST_MAPS.key(X, method, perplexity, cfg) if visit else None
        if self.keep_as is not None:
            self.proj = FIRST_MAPS.get(self.keep_as)
            if self.proj is not None:  # drawn settled at once: nothing left to keep
                self.keep_as = None
                return
        try:
            self.proj = LiveProjection(X, method, perplexity=perplexity,
                                       learning_rate=cfg.tsne_lr or "auto", seed=cfg.seed)
        except ProjectionError as err:
            self.error = err.msg
            self.keep_as = None

    def _iterate(self, limit: int, deadline: float, chunk: int = CHUNK,
                 stop: Callable[[], bool] | None = None, whole: bool = False) -> None:
        """Up to ``limit`` t-SNE iterations in chunks, stopping at ``deadline`` (perf_counter),
        once settled, or after a chunk when ``stop()``. ``whole``: all or one chunk, i.e. also
        stop after a chunk if the iterations left (to the schedule's end) would not fit before
        the deadline at that chunk's pace: the frame is then drawn at once, not at the
        deadline, and the map settles over the next frames anyway."""
        t = self.proj.tsne
        done = 0
        while done < limit and not t.settled:
            left = deadline - time.perf_counter()
            if left <= 0 or (done and stop is not None and stop()):
                break
            if done and whole and self.per_iter * (t.total_iter - t.iteration) > left:
                break
            k = min(chunk, limit - done)
            if self.per_iter > 0:
                k = max(1, min(k, int(left / self.per_iter)))
            begin = time.perf_counter()
            ran = self.proj.advance(k)
            if not ran:
                break
            self.per_iter = (time.perf_counter() - begin) / ran
            done += ran
