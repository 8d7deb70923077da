"""The attention lesson as engine runs: seq2seq training in a worker, drawn from ``S2SView``.

Worker side: ``build_run`` (``"seqviz.attention.live:build_run"``) builds an ``S2STrainingRun``
around an ``S2SExperiment``, fresh or from a bundled checkpoint; ``build_study`` builds the
long-input study as a second run. Server side: ``LiveS2S`` is what the attention page keeps in
its session (the beam-search page decodes with ``LiveS2S.model()``, a copy of the latest
weights) and ``LiveStudy`` the study's.

Analysis has its own pace. The probe's attention for the replay timeline is taken every
``snapshot_every`` steps while it costs at most ``PROBE_SHARE`` of the training time (a smaller
interval than that affords is stretched). Held-out exact match, BLEU, sharpness and the probe
"now" run in ``view()``: at most every ``ANALYSE_EVERY`` seconds while playing, and no more often
than keeps them under ``ANALYSIS_SHARE`` of the run's own training time (a worker that steps other
runs too, or a machine whose cores are busy elsewhere, gives a run fewer training seconds per
second of wall time, and a wall-clock pace alone would then take a larger share of them); at once
after a Step, a Pause, a live change or a divergence, so a paused page shows the model as it is.
"""

from __future__ import annotations

import copy
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from seqviz.attention.checkpoint import load_s2s_payload
from seqviz.attention.experiment import InputResult, S2SConfig, S2SExperiment, task_spec
from seqviz.attention.study import LongInputStudy
from seqviz.attention.tasks import S2SData, TaskSpec, build_task, tokenize
from seqviz.checkpoint import spec_from_dict
from seqviz.engine.live import STEP_WAIT, LiveExperiment
from seqviz.engine.pool import Engine
from seqviz.engine.protocol import Snapshot
from seqviz.models.seq2seq import Seq2Seq
from seqviz.train import Divergence, DivergenceWatch

ANALYSE_EVERY = 1.0  # seconds of play between held-out evaluations (the page draws ~1/s)
ANALYSIS_SHARE = 0.07  # an evaluation that took c s waits for c / ANALYSIS_SHARE s of training
PROBE_SHARE = 0.04  # timeline snapshots may cost at most this share of the training time
DATA_CACHE = 6  # built tasks kept per process
FACTORY = "seqviz.attention.live:build_run"
STUDY_FACTORY = "seqviz.attention.live:build_study"

_data: OrderedDict[TaskSpec, S2SData] = OrderedDict()


def task_data(spec: TaskSpec) -> S2SData:
    """A built task, cached in this (worker) process: a rebuild with a new model reuses it."""
    if spec in _data:
        _data.move_to_end(spec)
        return _data[spec]
    data = _data[spec] = build_task(spec)
    while len(_data) > DATA_CACHE:
        _data.popitem(last=False)
    return data


def warm() -> None:
    """Engine preload (``seqviz.ui.startup``): the default task, built, in this worker."""
    task_data(task_spec(S2SConfig()))


@dataclass(frozen=True)
class Timeline:
    """The probe's teacher-forced attention at kept steps, oldest first; the last is newest."""

    steps: np.ndarray  # (K,) training steps
    weights: np.ndarray  # (K, T, S) float32: reference tokens + </s> x probe input tokens
    outputs: tuple[str, ...]  # (K,) the model's own greedy output for the probe at each step


@dataclass(frozen=True)
class S2SView:
    cfg: S2SConfig
    steps: np.ndarray  # (N,) steps of the kept loss history, diverged steps excluded
    loss: np.ndarray  # (N,)
    diverged_steps: tuple[int, ...]
    divergence: Divergence | None  # the latest one
    eval_steps: np.ndarray  # (M,) steps of the held-out evaluations
    exact: np.ndarray  # (M,) exact match, 0-1
    bleu: np.ndarray  # (M,) corpus BLEU, 0-100
    entropy: np.ndarray  # (M,) mean attention row entropy in nats (nan without attention)
    uniform: float  # the entropy of uniform attention on the same rows (nan without)
    timeline: Timeline
    probe: tuple[str, str]  # (input, reference)
    src_tokens: tuple[str, ...]  # (S,) the heatmap's columns
    rows: tuple[str, ...]  # (T,) its rows: reference tokens + </s>
    train_s: float  # seconds in training steps, this build
    analysis_s: float  # seconds in timeline snapshots and evaluations, this build


class S2STrainingRun:
    """Worker side: an ``S2SExperiment`` that records at its own pace; views, inputs, weights."""

    def __init__(self, exp: S2SExperiment):
        exp.record_by_hand()
        self.exp = exp
        self.train_s = self.probe_s = self.eval_s = 0.0
        self._analysed = exp.trainer.steps  # building recorded this step already
        self._now = exp.current_snapshot()
        self._next_analysis = 0.0  # monotonic time ...
        self._train_due = 0.0  # ... and training seconds (train_s) from which one is due
        self._refresh = False
        self._diverged = DivergenceWatch(self.exp.trainer)
        self._stack: tuple[tuple, Timeline] | None = None

    @property
    def steps(self) -> int:
        return self.exp.trainer.steps

    def step(self, n: int = 1) -> None:
        for _ in range(int(n)):
            start = time.perf_counter()
            stats = self.exp.trainer.step(1)[-1]
            done = time.perf_counter()
            self.train_s += done - start
            if (not stats.diverged and stats.step % self.exp.cfg.snapshot_every == 0
                    and self.probe_s <= PROBE_SHARE * self.train_s):
                self.exp.record(snapshot=True, evaluation=False)
                self.probe_s += time.perf_counter() - done

    def apply_live(self, cfg: S2SConfig) -> None:
        """Live settings from the next step; the next view is analysed at once (the server
        sends one after Step and Pause too, so a paused page shows the model as it is)."""
        self.exp.apply_live(cfg)
        self._refresh = True

    def halt(self) -> str | None:
        reason = self._diverged()
        if reason:
            self._refresh = True
        return reason

    def analyse(self) -> None:
        """Held-out evaluation and the probe now; a snapshot-step probe joins the timeline."""
        start = time.perf_counter()
        step = self.steps
        self.exp.record(snapshot=step % self.exp.cfg.snapshot_every == 0, evaluation=True)
        self._now = self.exp.current_snapshot()
        cost = time.perf_counter() - start
        self.eval_s += cost
        self._analysed, self._refresh = step, False
        self._next_analysis = time.monotonic() + ANALYSE_EVERY
        self._train_due = self.train_s + cost / ANALYSIS_SHARE

    def timeline(self) -> Timeline:
        snaps = self.exp.snapshots
        now = self._now
        key = (len(snaps), snaps[-1].step if snaps else -1, now.step)
        if self._stack is None or self._stack[0] != key:
            kept = snaps + [now] if not snaps or now.step > snaps[-1].step else snaps
            self._stack = (key, Timeline(np.array([s.step for s in kept], dtype=np.int64),
                                         np.stack([s.weights for s in kept]).astype(np.float32),
                                         tuple(s.output for s in kept)))
        return self._stack[1]

    def view(self) -> S2SView:
        due = time.monotonic() >= self._next_analysis and self.train_s >= self._train_due
        if self.steps != self._analysed and (self._refresh or due):
            self.analyse()
        exp, tr = self.exp, self.exp.trainer
        ok = [h for h in tr.history if not h.diverged]
        evals = exp.evals
        src, ref = exp.probe
        level = exp.data.level
        return S2SView(
            cfg=exp.cfg,
            steps=np.array([h.step for h in ok], dtype=np.int64),
            loss=np.array([h.loss for h in ok], dtype=np.float64),
            diverged_steps=tuple(d.step for d in tr.divergences),
            divergence=tr.divergences[-1] if tr.divergences else None,
            eval_steps=np.array([e.step for e in evals], dtype=np.int64),
            exact=np.array([e.exact for e in evals], dtype=np.float64),
            bleu=np.array([e.bleu for e in evals], dtype=np.float64),
            entropy=np.array([e.entropy for e in evals], dtype=np.float64),
            uniform=evals[-1].uniform if evals else float("nan"),
            timeline=self.timeline(), probe=(src, ref),
            src_tokens=tuple(tokenize(src, level)), rows=tuple(tokenize(ref, level) + ["</s>"]),
            train_s=self.train_s, analysis_s=self.probe_s + self.eval_s)

    def fork_state(self) -> dict:
        """The run as it is now, for a copy that goes on from here (``load_fork_state``): the
        trainer, the batch generator's position (the batches keep it apart from the trainer's
        own state, so a divergence here does not replay batches), evaluations and timeline."""
        exp = self.exp
        return {"cfg": exp.cfg, "trainer": exp.trainer.state_dict(),
                "batches": copy.deepcopy(exp.trainer.batches.rng.bit_generator.state),
                "evals": list(exp.evals), "snapshots": list(exp.snapshots)}

    def load_fork_state(self, state: dict) -> None:
        exp = self.exp
        exp.trainer.load_state_dict(state["trainer"])
        exp.apply_live(state["cfg"])
        exp.trainer.batches.rng.bit_generator.state = copy.deepcopy(state["batches"])
        exp.evals[:] = state["evals"]
        exp.snapshots = list(state["snapshots"])
        self._analysed, self._now = self.steps, exp.current_snapshot()
        self._stack, self._refresh = None, True
        self._diverged = DivergenceWatch(exp.trainer)  # old divergences are not news

    def run_input(self, text: str) -> tuple[int, InputResult]:
        """(the step it ran at, greedy output and attention for a typed input)."""
        return self.steps, self.exp.run_input(str(text)[:200])

    def weights(self) -> dict:
        """The model's spec and weights (CPU tensors), for pages that decode with it."""
        model = self.exp.model
        return {"spec": model.spec, "state_dict": {k: v.detach().cpu().clone()
                                                   for k, v in model.state_dict().items()},
                "step": self.steps}

    # -- exports (``seqviz.attention.export``) ------------------------------------------------
    def export_script(self, steps: int | None = None) -> str:
        """A standalone PyTorch script of this run."""
        from seqviz.attention.export import attention_script

        return attention_script(self.exp, steps)

    def checkpoint_state(self) -> dict:
        from seqviz.attention.export import run_state

        with self.exp.trainer.lock:
            return run_state(self.exp)

    def restore(self, state: dict, step: int) -> int:
        """Re-open a checkpoint's weights in this run (paused), counting on from ``step``."""
        from seqviz.attention.export import restore

        restore(self.exp, state, step)
        self._diverged = DivergenceWatch(self.exp.trainer)  # old divergences are not news
        self._analysed, self._now = self.steps, self.exp.current_snapshot()
        self._stack, self._refresh = None, False
        return self.steps


def build_run(cfg: S2SConfig, checkpoint: str | None = None) -> S2STrainingRun:
    """A fresh model for ``cfg``, or the bundled checkpoint at ``checkpoint`` (with its
    training history and timeline) carrying ``cfg``'s live settings."""
    if checkpoint is None:
        return S2STrainingRun(S2SExperiment.build(cfg, task_data(task_spec(cfg))))
    payload = load_s2s_payload(checkpoint)
    data = task_data(spec_from_dict(TaskSpec, payload["task"]))
    return S2STrainingRun(S2SExperiment.from_checkpoint(payload, cfg, data))


# ---- the long-input study ------------------------------------------------------------------------
@dataclass(frozen=True)
class StudyView:
    steps_done: int  # both models together
    total: int  # 2 x steps per model
    result: dict | None  # scores per input length once trained (``LongInputStudy.result``)

    @property
    def progress(self) -> float:
        return self.steps_done / max(1, self.total)


class StudyRun:
    """Worker side: a ``LongInputStudy``; halts (pauses) when both models are trained."""

    def __init__(self, study: LongInputStudy):
        self.study = study

    @property
    def steps(self) -> int:
        return self.study.steps_done

    def step(self, n: int = 1) -> None:
        self.study.step(n)

    def apply_live(self, cfg) -> None:
        pass  # the study's settings are fixed when it starts

    def halt(self) -> str | None:
        return "the study has finished" if self.study.done else None

    def view(self) -> StudyView:
        s = self.study
        return StudyView(s.steps_done, s.steps * len(s.runs), s.result() if s.done else None)


def build_study(cfg: S2SConfig, task: TaskSpec, steps: int, per_length: int) -> StudyRun:
    return StudyRun(LongInputStudy(cfg, steps, per_length, data=task_data(task)))


# ---- server side ---------------------------------------------------------------------------------
class LiveS2S(LiveExperiment):
    """The attention page's run in the engine, with the task data the page draws labels from
    and a checkpoint's metadata (``meta``: steps, seconds, scores) when it is a bundled one."""

    def __init__(self, handle, cfg: S2SConfig, data: S2SData, meta: dict | None = None):
        super().__init__(handle, cfg)
        self.data, self.meta = data, dict(meta or {})
        self._last_command = 0  # sequence number of the last command sent (not calls)

    @classmethod
    def open(cls, engine: Engine, cfg: S2SConfig, data: S2SData, *,
             checkpoint: str | None = None, meta: dict | None = None, playing: bool = False
             ) -> "LiveS2S":
        kwargs = {"cfg": cfg, "checkpoint": None if checkpoint is None else str(checkpoint)}
        return cls(engine.open(FACTORY, kwargs, playing=playing), cfg, data, meta)

    @property
    def probe(self) -> tuple[str, str]:
        return self.data.probe

    def settled(self) -> bool:
        """Whether the latest snapshot shows every command sent so far (Pause, Step, live
        settings): a paused page that drew an older one must keep polling until it is here."""
        snap = self.handle.snapshot()
        return snap is not None and snap.acked >= self._last_command

    def apply_live(self, cfg: S2SConfig) -> None:
        self.cfg = cfg
        self._last_command = self.handle.apply_live(cfg)

    def play(self) -> None:
        self._last_command = self.handle.play()

    def _fresh(self, wait: bool) -> Snapshot | None:
        """Send the live settings again: the run analyses its current step before the worker
        publishes; with ``wait``, block (briefly) until that snapshot is here (on a busy
        machine it may come later: ``settled`` says so)."""
        seq = self._last_command = self.handle.apply_live(self.cfg)
        if wait:
            try:
                return self.handle.wait_acked(seq, STEP_WAIT)
            except TimeoutError:
                pass
        return self.handle.snapshot()

    def step(self, n: int = 1) -> Snapshot | None:
        self.handle.step(n)
        return self._fresh(wait=True)

    def pause(self) -> None:
        self.handle.pause()
        self._fresh(wait=True)  # the page redraws next: with the paused, analysed step

    def run_input(self, text: str, timeout: float = 30.0) -> tuple[int, InputResult]:
        """(step, greedy output and attention) for a typed input, run by the worker between
        two steps (one greedy decode: milliseconds)."""
        return self.handle.call("run_input", text, timeout=timeout)

    def model(self, timeout: float = 10.0) -> Seq2Seq:
        """A copy of the run's latest weights (see ``LiveExperiment.model_copy``)."""
        return self.model_copy(Seq2Seq, timeout)


class LiveStudy:
    """The long-input study's run in the engine; it plays until both models are trained."""

    def __init__(self, handle):
        self.handle = handle

    @classmethod
    def open(cls, engine: Engine, cfg: S2SConfig, task: TaskSpec, steps: int,
             per_length: int) -> "LiveStudy":
        kwargs = {"cfg": cfg, "task": task, "steps": int(steps), "per_length": int(per_length)}
        return cls(engine.open(STUDY_FACTORY, kwargs, playing=True))

    @property
    def view(self) -> StudyView | None:
        snap = self.handle.snapshot()
        return snap.payload if snap is not None else None

    @property
    def error(self) -> str | None:
        snap = self.handle.snapshot()
        return snap.error if snap is not None else None

    @property
    def done(self) -> bool:
        view = self.view
        return view is not None and view.result is not None

    def keep_going(self) -> None:
        """Play again if the engine paused it while nobody looked (an idle page)."""
        if not self.done and not self.handle.wants_play and self.error is None:
            self.handle.play()

    def close(self) -> None:
        self.handle.close()
