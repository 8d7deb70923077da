"""word2vec as an engine run: trained and mapped in a worker, drawn from ``EmbView``.

Worker side: ``build_run`` (``"seqviz.embeddings.live:build_run"``) builds a ``W2VRun`` around
a ``W2VExperiment``; its ``view()`` carries the curves, the probe words' neighbours, the analogy
the page asked about and the map (``seqviz.embeddings.livemap``), which advances there at the
pace it is drawn. Server side: ``LiveEmbeddings`` is what the page keeps in its session. It
holds the corpus the page built too (labels, counts, categories), so snapshots carry numbers
only; word vectors for queries and exports are fetched from the worker once per step shown.

The curves keep their whole history in bounded memory (``Thinned``): training runs about a
thousand steps a second, so keeping every step would grow without end.
"""

from __future__ import annotations

import copy
import hashlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import numpy as np

from seqviz.embeddings.experiment import (MAX_VOCAB, EmbConfig, W2VExperiment, corpus_label,
                                          corpus_text)
from seqviz.embeddings.grammars import TEACHING, category_of
from seqviz.embeddings.livemap import LiveMap, MapError, MapView
from seqviz.embeddings.queries import Index, QueryError, analogy, unit_rows
from seqviz.engine.live import STEP_WAIT, LiveExperiment
from seqviz.engine.pool import Engine
from seqviz.engine.rewind import WeightHistory
from seqviz.engine.protocol import Snapshot
from seqviz.i18n import N_, Msg
from seqviz.models.word2vec import W2VCorpus, build_w2v_corpus
from seqviz.train import Divergence, DivergenceWatch

FACTORY = "seqviz.embeddings.live:build_run"
WORD2VEC = ("word2vec",)  # the map's source when it shows this run's own vectors
CURVE_POINTS = 1000  # a curve keeps between this many and twice as many points
CORPUS_CACHE = 8  # tokenised texts kept per process


class Thinned:
    """Rows of a growing series, at most ``2 * limit`` kept: when full, every second row goes
    and from then on only every ``stride``-th row is added, so the whole history stays drawn."""

    def __init__(self, width: int, limit: int = CURVE_POINTS):
        self.rows = np.empty((2 * limit, width))
        self.n, self.stride, self.count = 0, 1, 0

    def add(self, *values: float) -> None:
        i = self.count
        self.count += 1
        if i % self.stride:
            return
        if self.n == len(self.rows):
            self.rows[: self.n // 2] = self.rows[: self.n: 2]
            self.n //= 2
            self.stride *= 2
            if i % self.stride:
                return
        self.rows[self.n] = values
        self.n += 1

    def array(self) -> np.ndarray:
        return self.rows[: self.n].copy()


@dataclass(frozen=True)
class EmbView:
    cfg: EmbConfig
    name: Msg  # "word2vec skip-gram · Toy grammar (English)", translated where shown
    loss_steps: np.ndarray  # (N,) int64, finite steps only, thinned evenly
    loss: np.ndarray  # (N,) loss per pair at those steps
    loss_smooth: np.ndarray  # (N,) bias-corrected EMA (beta 0.9) over every step
    eval_steps: np.ndarray  # (M,) int64
    accuracy: np.ndarray  # (M, 3) analogy accuracy: all and the grammar's two relations
    #                       (``TEACHING[cfg.corpus].relations``; NaN: not scored)
    has_analogies: bool
    probes: dict  # probe word -> [(neighbour, cosine)] * 5, at ``probes_step``
    probes_step: int
    quad: tuple[str, str, str, str] | None  # the page's a - b + c with its best answer d
    diverged_steps: tuple[int, ...]
    divergence: Divergence | None  # the latest one
    map: MapView | MapError | None
    eval_s: float  # seconds of analysis inside training steps (analogy accuracy)
    tsne_s: float  # seconds of projecting (t-SNE, PCA) inside views


_corpora: OrderedDict[tuple[str, int], W2VCorpus] = OrderedDict()


def text_of(cfg: EmbConfig, upload_text: str | None) -> str:
    return upload_text if cfg.corpus == "upload" and upload_text else corpus_text(
        "grammar" if cfg.corpus == "upload" else cfg.corpus)


def corpus_for(text: str, min_count: int) -> W2VCorpus:
    """The tokenised corpus, cached in this process by (text digest, minimum count)."""
    key = (hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest(), int(min_count))
    if key in _corpora:
        _corpora.move_to_end(key)
        return _corpora[key]
    corpus = _corpora[key] = build_w2v_corpus(text, min_count=min_count, max_vocab=MAX_VOCAB)
    while len(_corpora) > CORPUS_CACHE:
        _corpora.popitem(last=False)
    return corpus


def warm(frames: int = 20) -> None:
    """Engine preload (``seqviz.ui.startup``): the default corpus, tokenised, in this worker,
    and the default run's first map, settled (``livemap.FIRST_MAPS``): a first visit's map is
    then drawn at once (0.15-0.5 s of t-SNE less before the page's first chart)."""
    cfg = EmbConfig()
    corpus_for(text_of(cfg, None), cfg.min_count)
    run = build_run(cfg)
    for _ in range(frames):  # a paused run's frames settle its map; the first one usually does
        if run.view().map.settled:
            break


class W2VRun:
    """Worker side: a ``W2VExperiment`` plus its curves, probes, analogy answer and map."""

    def __init__(self, exp: W2VExperiment, soon: bool = False):
        self.exp = exp
        self.loss = Thinned(3)  # step, loss, EMA
        self.acc = Thinned(4)  # step, all, gender, plural
        self._ema = (0.0, 0.0)  # running average, its weight (bias correction)
        self._evals_seen = -1
        self._record_evals()
        self.eval_s = 0.0
        evaluate = exp.trainer.evaluate_fn

        def timed(model):
            start = time.perf_counter()
            try:
                return evaluate(model)
            finally:
                self.eval_s += time.perf_counter() - start

        exp.trainer.evaluate_fn = timed
        self.map = LiveMap(soon)
        self.source, self.points, self.points_version = WORD2VEC, None, 0
        self.query: tuple[str, str, str] | None = None
        self.rerun = 0
        self._probes: tuple[tuple, dict] | None = None
        # set by the engine's worker: whether a command is waiting (settling t-SNE yields to it)
        self.interrupted: Callable[[], bool] = lambda: False
        self._diverged = DivergenceWatch(self.exp.trainer)
        self.rewind = WeightHistory()  # the vectors at past steps, for the page's timeline
        self.rewind.offer(self.steps, self._kept)

    @property
    def steps(self) -> int:
        return self.exp.trainer.steps

    def step(self, n: int = 1) -> None:
        for s in self.exp.step(n):
            if s.diverged:
                continue
            avg, weight = self._ema
            avg, weight = 0.9 * avg + 0.1 * s.loss, 0.9 * weight + 0.1
            self._ema = (avg, weight)
            self.loss.add(s.step, s.loss, avg / weight)
        self._record_evals()
        self.rewind.offer(self.steps, self._kept)  # the engine steps one at a time

    def _kept(self) -> dict:
        return {"vectors": self.exp.vectors()}

    def weights_at(self, step: int) -> dict:
        """The word vectors (V, E) at the kept step nearest ``step``."""
        kept, weights = self.rewind.get(step)
        return {"step": kept, "weights": weights}

    def _record_evals(self) -> None:
        """The evaluations since the last call (after every step: usually none or one)."""
        new = []
        for e in reversed(self.exp.evals):
            if e.step <= self._evals_seen:
                break
            new.append(e)
        teaching = TEACHING.get(self.exp.cfg.corpus)
        for e in reversed(new):
            a = e.analogy
            scored = a is not None and a.total and teaching is not None
            self.acc.add(e.step, *((a.accuracy, *(a.relation_accuracy(r.key)
                                                  for r in teaching.relations)) if scored
                                   else (math.nan,) * 3))
            self._evals_seen = e.step

    def apply_live(self, cfg: EmbConfig) -> None:
        self.exp.apply_live(cfg)

    def fork_state(self) -> dict:
        """The run as it is now, for a copy that goes on from here (``load_fork_state``): the
        trainer, the batch stream's position (its generator, epoch order and buffers), the
        curves and the analogy asked for. The map starts again in the copy."""
        exp = self.exp  # the worker calls this between two steps: nothing moves meanwhile
        batches = {k: v for k, v in vars(exp.batches).items()
                   if k not in ("corpus", "generator")}
        return {"cfg": exp.cfg, "trainer": exp.trainer.state_dict(),
                "batches": copy.deepcopy(batches),
                "generator": exp.batches.generator.get_state(),
                "evals": list(exp.evals), "loss": copy.deepcopy(self.loss),
                "acc": copy.deepcopy(self.acc), "ema": self._ema,
                "evals_seen": self._evals_seen, "query": self.query}

    def load_fork_state(self, state: dict) -> None:
        exp = self.exp
        exp.trainer.load_state_dict(state["trainer"])
        vars(exp.batches).update(copy.deepcopy(state["batches"]))
        exp.batches.generator.set_state(state["generator"])
        exp.apply_live(state["cfg"])
        exp.evals[:] = state["evals"]
        self.loss, self.acc = copy.deepcopy(state["loss"]), copy.deepcopy(state["acc"])
        self._ema, self._evals_seen, self.query = state["ema"], state["evals_seen"], state["query"]
        self._probes = None
        self._diverged = DivergenceWatch(exp.trainer)  # old divergences are not news

    def halt(self) -> str | None:
        return self._diverged()

    # -- what the page asks for ------------------------------------------------------------
    def set_query(self, a: str, b: str, c: str) -> None:
        """The analogy a - b + c whose parallelogram the map draws."""
        self.query = (str(a).strip(), str(b).strip(), str(c).strip())

    def show_points(self, source: tuple | None, version=0, points: np.ndarray | None = None
                    ) -> None:
        """Map other points (a language model's embeddings or states, (n, D), rows in drawing
        order) under the name ``source``; ``None`` maps this run's own word vectors again."""
        if source is None or points is None:
            self.source, self.points = WORD2VEC, None
        else:
            self.source, self.points_version = tuple(source), version
            self.points = np.asarray(points, dtype=np.float64)

    def restart_map(self) -> None:
        self.rerun += 1

    def vectors(self) -> tuple[int, np.ndarray]:
        """(step, the word vectors (V, E) float32) for queries and exports."""
        return self.steps, self.exp.vectors()

    def export_script(self, steps: int | None = None) -> str:
        """A standalone PyTorch script of this run (``seqviz.embeddings.script``)."""
        from seqviz.embeddings.script import embeddings_script

        with self.exp.trainer.lock:
            return embeddings_script(self.exp, steps)

    def checkpoint_state(self) -> dict:
        """The run for a checkpoint (``seqviz.embeddings.reopen``)."""
        from seqviz.embeddings.reopen import run_state

        with self.exp.trainer.lock:
            return run_state(self.exp)

    def restore(self, state: dict, step: int) -> int:
        """Re-open a checkpoint's vectors in this run (paused), counting on from ``step``: its
        loss curve comes back, the analogy curve and the timeline start again there."""
        from seqviz.embeddings.reopen import restore

        self._evals_seen = -1
        restore(self.exp, state, step)
        self.loss, self.acc, self._ema = Thinned(3), Thinned(4), (0.0, 0.0)
        for s in self.exp.trainer.history:
            avg, weight = self._ema
            avg, weight = 0.9 * avg + 0.1 * s.loss, 0.9 * weight + 0.1
            self._ema = (avg, weight)
            self.loss.add(s.step, s.loss, avg / weight)
        self._record_evals()
        self._probes = None
        self._diverged = DivergenceWatch(self.exp.trainer)
        self.rewind = WeightHistory()
        self.rewind.offer(self.steps, self._kept)
        return self.steps

    # -- the view --------------------------------------------------------------------------
    def _map(self):
        cfg = self.exp.cfg
        if self.points is not None:
            return self.map.tick(self.source, self.points_version, lambda n: self.points[:n],
                                 len(self.points), cfg, self.rerun, stop=self.interrupted)
        words = self.exp.corpus.vocab_size
        return self.map.tick(WORD2VEC, self.steps, lambda n: unit_rows(self.exp.vectors()[:n]),
                             words, cfg, self.rerun, stop=self.interrupted)

    def _probe_neighbours(self) -> dict:
        key = (self.steps, self.exp.cfg.probes)
        if self._probes is None or self._probes[0] != key:
            self._probes = (key, self.exp.probe_neighbours())
        return self._probes[1]

    def _quad(self) -> tuple[str, str, str, str] | None:
        if self.query is None:
            return None
        try:
            best = analogy(self.exp.index(), *self.query, k=1)
        except QueryError:
            return None
        return (*self.query, best[0][0]) if best else None

    def view(self) -> EmbView:
        loss, acc = self.loss.array(), self.acc.array()
        exp, tr = self.exp, self.exp.trainer
        name = {"skipgram": "skip-gram", "cbow": "CBOW"}[exp.cfg.algorithm]
        return EmbView(
            cfg=exp.cfg, name=Msg(N_("word2vec {algorithm} · {corpus}"), algorithm=name,
                                  corpus=corpus_label(exp.cfg.corpus)),
            loss_steps=loss[:, 0].astype(np.int64), loss=loss[:, 1], loss_smooth=loss[:, 2],
            eval_steps=acc[:, 0].astype(np.int64), accuracy=acc[:, 1:],
            has_analogies=exp.has_analogies, probes=self._probe_neighbours(),
            probes_step=self.steps, quad=self._quad(),
            diverged_steps=tuple(d.step for d in tr.divergences),
            divergence=tr.divergences[-1] if tr.divergences else None,
            map=self._map(), eval_s=self.eval_s, tsne_s=self.map.tsne_s)


def build_run(cfg: EmbConfig, upload_text: str | None = None, soon: bool = False) -> W2VRun:
    """``soon``: the run replaces one the page has drawn (a rebuild, a Reset): its first map is
    drawn after one chunk of t-SNE and settles on the page, instead of settling (up to
    ``FIRST_VISIT_BUDGET``) before the page can draw anything."""
    corpus = corpus_for(text_of(cfg, upload_text), cfg.min_count)
    return W2VRun(W2VExperiment.build(cfg, corpus=corpus), soon)


class LiveEmbeddings(LiveExperiment):
    """Server side: the page's word2vec run in the engine, with the corpus it was built from.

    What the page shows besides training (the analogy on the map, another source's points, a
    fresh map) is sent once per build; ``poke()`` makes a paused run draw one more frame, which
    is how its map goes on settling."""

    def __init__(self, handle, cfg: EmbConfig, corpus: W2VCorpus):
        super().__init__(handle, cfg)
        self.corpus = corpus
        self.groups = [category_of(w) or "other" for w in corpus.words]
        self._sent: dict[str, tuple] = {"points": (handle.generation, WORD2VEC)}
        self._poke_seq = 0
        self._asked = 0  # the last command whose frame the page is to draw
        self._vectors: tuple[tuple[int, int], np.ndarray, Index | None] | None = None

    @classmethod
    def open(cls, engine: Engine, cfg: EmbConfig, corpus: W2VCorpus, *,
             upload_text: str | None = None, playing: bool = False,
             soon: bool = False) -> "LiveEmbeddings":
        kwargs = {"cfg": cfg, "upload_text": upload_text if cfg.corpus == "upload" else None}
        if soon:  # replaces a run the page has drawn (``build_run``)
            kwargs["soon"] = True
        return cls(engine.open(FACTORY, kwargs, playing=playing), cfg, corpus)

    # -- commands ----------------------------------------------------------------------------
    def _shown(self, seq: int, wait: bool = False) -> None:
        """A paused page draws once per rerun: let the rerun that made the change draw its
        result (at most ``STEP_WAIT``). A playing page draws each tick anyway."""
        self._asked = max(self._asked, seq)
        if wait or not self.handle.wants_play:
            try:
                self.handle.wait_acked(seq, STEP_WAIT)
            except TimeoutError:
                pass

    def apply_live(self, cfg: EmbConfig) -> None:
        self.cfg = cfg
        self._shown(self.handle.apply_live(cfg))

    def pause(self) -> Snapshot | None:
        """Pause, then one more frame with the vectors standing still: the map settles in it,
        so the page redraws the settled map (waits at most ``STEP_WAIT`` for each)."""
        try:
            self.handle.wait_acked(self.handle.pause(), STEP_WAIT)
            return self.handle.wait_acked(self._poke(), STEP_WAIT)
        except TimeoutError:
            return self.handle.snapshot()

    def _poke(self) -> int:
        self._poke_seq = self.handle.apply_live(self.cfg)
        return self._poke_seq

    def poke(self) -> None:
        """One more frame of a paused run (the map advances in it), unless one is pending."""
        snap = self.snapshot()
        if snap is not None and snap.acked >= self._poke_seq:
            self._poke()

    def _tell(self, what: str, value: tuple, method: str, *args, wait: bool = False) -> None:
        """``run.method(*args)`` once per build and value, then a frame that shows it (waited
        for when paused, or with ``wait``)."""
        sent = (self.handle.generation, value)
        if self._sent.get(what) == sent:
            return
        self._sent[what] = sent
        self.handle.submit(method, *args)
        seq = self._poke()
        if wait or not self.settling():
            self._shown(seq, wait)
        else:  # the page ticks while the map settles: the next tick draws the change, and this
            # rerun does not wait for a t-SNE frame (a new corpus or model is drawn sooner)
            self._asked = max(self._asked, seq)

    def settling(self) -> bool:
        """Whether the page has no frame yet or its last frame's map had not settled: a paused
        page then ticks (``seqviz.ui.embeddings.panel``) until it has."""
        snap = self.handle.snapshot()
        m = snap.payload.map if snap is not None and snap.payload is not None else None
        return snap is None or (isinstance(m, MapView) and not m.settled)

    def frame_pending(self, snap: Snapshot | None) -> bool:
        """A change this page sent has not reached a frame yet (``snap`` is older): a paused
        page ticks until it has."""
        return snap is not None and snap.acked < getattr(self, "_asked", 0)

    def set_query(self, a: str, b: str, c: str) -> None:
        self._tell("query", (a, b, c), "set_query", a, b, c)

    def show_points(self, source: tuple, version, points) -> None:
        """Map another source's points (waits for the first frame of the new map)."""
        self._tell("points", (source, version, len(points)), "show_points", source, version,
                   np.asarray(points, dtype=np.float32), wait=True)

    def show_word2vec(self) -> None:
        self._tell("points", WORD2VEC, "show_points", None, wait=True)

    def restart_map(self) -> None:
        """A fresh projection of the current points (the "Re-run" button)."""
        self._sent.pop("restart", None)
        self._tell("restart", (), "restart_map", wait=True)

    # -- reading -----------------------------------------------------------------------------
    def vectors(self, timeout: float = 10.0) -> np.ndarray:
        """The run's word vectors (V, E), fetched when the run has moved since the last copy."""
        return self._fetch(timeout)[1]

    @property
    def vectors_step(self) -> int | None:
        """The step of the vectors the last ``vectors`` or ``index`` call gave (None before)."""
        return None if self._vectors is None else self._vectors[0][1]

    def index(self, timeout: float = 10.0) -> Index:
        got = self._fetch(timeout)
        if got[2] is None:
            got = self._vectors = (got[0], got[1], Index.build(got[1], self.corpus.words))
        return got[2]

    def _fetch(self, timeout: float):
        now = (self.handle.generation, self.steps)
        if self._vectors is None or self._vectors[0] != now:
            _, vectors = self.handle.call("vectors", timeout=timeout)
            self._vectors = (now, vectors, None)  # at least as new as the snapshot shown
        return self._vectors
