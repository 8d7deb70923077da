"""The gradient lessons as engine runs: trained in a worker, drawn from ``FlowView`` / ``ClipView``.

Worker side: ``build_flow`` and ``build_clipping`` are the factories the engine's worker calls
(``FLOW_FACTORY``, ``CLIP_FACTORY``); ``FlowRun`` and ``ClipRun`` are what it steps. Server
side: ``LiveFlow`` and ``LiveClipping`` are what the two pages keep in their sessions.

A gradient capture (BPTT by hand on the probe batch for each cell, histograms of dL/dh_t and of
the W_hh terms) costs about two training rounds at the default size and more than one at the
largest, so ``FlowRun.view()`` redoes it while playing at most every ``ANALYSIS_EVERY`` seconds
of wall time, and never more often than keeps it under ``ANALYSIS_SHARE`` of the worker's time.
The "why" analysis (Jacobian SVDs or gate products) and the spectral radii change slowly: they
ride along every ``SLOW_EVERY`` seconds. A fresh capture is made at once when the page asks
for it: ``LiveFlow`` re-sends its config after Pause and Step (``apply_live`` with any config
means "draw this step"), and a live change of the cell or the scale is a new key.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from seqviz.engine.live import STEP_WAIT, LiveExperiment
from seqviz.engine.pool import Engine
from seqviz.engine.protocol import Snapshot
from seqviz.engine.rewind import ModuleHistory
from seqviz.gradients.analysis import GradientSnapshot, Why, snapshot
from seqviz.gradients.clipping import RUNS, ClipComparison, ClipConfig, RunSeries
from seqviz.gradients.tasks import CELL_NAMES, PROBE_SIZE, GFConfig, GradientLab
from seqviz.i18n import N_, Msg
from seqviz.train import Divergence, Trainer

ANALYSIS_EVERY = 1.0  # s of wall time between gradient captures while playing, at least
ANALYSIS_SHARE = 0.08  # a capture that took c s waits c / ANALYSIS_SHARE s before the next
SLOW_EVERY = 3.0  # s between "why" analyses and spectral radii while playing, at least

FLOW_FACTORY = "seqviz.gradients.live:build_flow"
CLIP_FACTORY = "seqviz.gradients.live:build_clipping"


@dataclass(frozen=True)
class Diverged:
    """A run's divergences: how many, and the latest (None when it never diverged)."""

    count: int
    last: Divergence | None

    @classmethod
    def of(cls, trainer: Trainer) -> "Diverged":
        divs = trainer.divergences
        return cls(len(divs), divs[-1] if divs else None)


@dataclass(frozen=True)
class Capture:
    """One gradient capture of the probe batch at training step ``step``."""

    version: int  # grows with every capture of this run
    step: int
    detail: GradientSnapshot  # the chosen cell, histograms included (its ``why`` is in WhyView)
    norms: dict[str, np.ndarray]  # cell -> (T,) ||dL/dh_t||, indexed by t


@dataclass(frozen=True)
class WhyView:
    """The slowly refreshed charts: the "why" of one cell and the history of its W_hh radii."""

    version: int
    step: int
    cell: str
    why: Why
    radius_steps: np.ndarray  # (K,) steps where the radii were measured
    radii: dict[str, np.ndarray]  # W_hh block name -> (K,) spectral radius


@dataclass(frozen=True)
class FlowView:
    cfg: GFConfig
    cell_steps: tuple[int, ...]  # each run's own steps, in CELL_NAMES order (lockstep: equal)
    lrs: tuple[float, ...]  # each run's learning rate, as its trainer holds it
    accuracy: dict[str, tuple[np.ndarray, np.ndarray]]  # cell -> (steps (M,), accuracy (M,))
    chance: float  # nan for the adding problem
    probe_size: int
    diverged: dict[str, Diverged]
    capture: Capture
    why: WhyView


class FlowRun:
    """Worker side: a ``GradientLab`` (RNN, GRU, LSTM in lockstep) and its captures."""

    def __init__(self, cfg: GFConfig):
        self.lab = GradientLab(cfg)
        self._capture: Capture | None = None
        self._why: WhyView | None = None
        self._key: tuple | None = None  # (cell, scale, step) of the last capture
        self._fresh = True  # the next view captures at once (a pause, a step, a halt)
        self._version = 0
        self._fast_at = self._slow_at = -math.inf  # perf_counter at the start of the last ones
        self._cost = 0.0  # seconds the last capture took
        self.rewind = ModuleHistory(self.lab.nets)  # the three nets at past steps
        self.rewind.keep(self.steps)

    @property
    def steps(self) -> int:
        return self.lab.runs.steps

    def step(self, n: int = 1) -> None:
        for _ in range(int(n)):
            self.lab.step(1)
            self.rewind.keep(self.steps)

    def norms_at(self, step: int) -> tuple[int, dict[str, np.ndarray]]:
        """(kept step nearest ``step``, cell -> (T,) ||dL/dh_t|| on the probe batch with the
        weights of that step): the gradient-norm chart as it was then."""
        kept, nets = self.rewind.modules_at(step)
        x, y = self.lab.probe
        return kept, {c: snapshot(net.rnn, x, net.head_loss(self.lab.task, y), detail=False,
                                  with_why=False).dh_norm for c, net in nets.items()}

    def apply_live(self, cfg: GFConfig) -> None:
        """New live settings (learning rate, cell drawn, scale); any call also asks the next
        view for a capture of the current step (the page re-sends its config after Pause)."""
        self.lab.apply_live(cfg)
        self._fresh = True

    def halt(self) -> Msg | None:
        """Pause when every run diverged at this step: none of them can train any more."""
        last = [t.history[-1] for t in self.lab.runs.trainers.values() if t.history]
        if len(last) == len(CELL_NAMES) and all(s.diverged for s in last):
            self._fresh = True
            return Msg(N_("all three runs diverged at step {step}: none can train at these "
                          "settings"), step=self.steps)
        return None

    def _analyse(self) -> None:
        """A new capture when it is stale and due; the why too when that is stale and due."""
        lab, now = self.lab, time.perf_counter()
        cell, steps = lab.cfg.cell, self.steps
        every = max(ANALYSIS_EVERY, self._cost / ANALYSIS_SHARE)
        fast = self._key != (cell, lab.cfg.scale, steps) and (
            self._fresh or now - self._fast_at >= every)
        w = self._why
        slow = (w is None or w.cell != cell) or (w.step != steps and (
            self._fresh or now - self._slow_at >= max(SLOW_EVERY, 3 * every)))
        if not (fast or slow):
            self._fresh = False  # nothing is stale: a request for this step is met
            return
        detail = lab.snapshot(cell, with_why=slow)
        norms = {c: detail.dh_norm if c == cell else lab.snapshot(c, detail=False).dh_norm
                 for c in CELL_NAMES}
        self._version += 1
        self._capture = Capture(self._version, steps, dataclasses.replace(detail, why=None), norms)
        self._key, self._fast_at, self._fresh = (cell, lab.cfg.scale, steps), now, False
        if slow:
            history = lab.record_radii(cell)
            names = list(history[0][1])
            self._why = WhyView(self._version, steps, cell, detail.why,
                                np.array([s for s, _ in history], dtype=np.int64),
                                {n: np.array([r[n] for _, r in history]) for n in names})
            self._slow_at = now
        self._cost = time.perf_counter() - now

    def view(self) -> FlowView:
        self._analyse()
        lab = self.lab
        trainers = lab.runs.trainers
        acc = {}
        for cell, trainer in trainers.items():
            evals = list(trainer.evals)
            acc[cell] = (np.array([s for s, _ in evals], dtype=np.int64),
                         np.array([v for _, v in evals], dtype=np.float64))
        return FlowView(
            cfg=lab.cfg, cell_steps=tuple(trainers[c].steps for c in CELL_NAMES),
            lrs=tuple(trainers[c].lr for c in CELL_NAMES), accuracy=acc,
            chance=float(lab.task.chance), probe_size=PROBE_SIZE,
            diverged={c: Diverged.of(t) for c, t in trainers.items()},
            capture=self._capture, why=self._why)

    def export_script(self, steps: int | None = None) -> str:
        """A standalone PyTorch script of the three runs (``seqviz.gradients.export``)."""
        from seqviz.gradients.export import flow_script

        with self.lab.runs.lock:
            return flow_script(self.lab, steps)

    def checkpoint_state(self) -> dict:
        """The three runs for a checkpoint (``seqviz.gradients.export``)."""
        from seqviz.gradients.export import trainers_state

        with self.lab.runs.lock:
            return trainers_state(self.lab.runs.trainers)

    def restore(self, state: dict, step: int) -> int:
        """Re-open a checkpoint's three runs here (paused), counting on from ``step``."""
        from seqviz.gradients.analysis import recurrent_radii
        from seqviz.gradients.export import restore_trainers

        lab = self.lab
        with lab.runs.lock:
            restore_trainers(lab.runs.trainers, state, step)
            lab.radii = {c: [(step, recurrent_radii(n.rnn))] for c, n in lab.nets.items()}
        self._capture = self._why = self._key = None
        self._fresh = True
        return self.steps


    def fork_state(self) -> dict:
        """The run as it is now, for a copy that goes on from here (``load_fork_state``): the
        three trainers (weights, optimiser, batch position, history) and the radii so far."""
        lab = self.lab
        with lab.runs.lock:
            return {"cfg": lab.cfg,
                    "trainers": {c: t.state_dict() for c, t in lab.runs.trainers.items()},
                    "radii": {c: list(r) for c, r in lab.radii.items()}}

    def load_fork_state(self, state: dict) -> None:
        lab = self.lab
        lab.apply_live(state["cfg"])
        with lab.runs.lock:
            for cell, trainer in lab.runs.trainers.items():
                trainer.load_state_dict(state["trainers"][cell])
        lab.radii = {c: list(r) for c, r in state["radii"].items()}
        self._capture, self._why, self._key, self._fresh = None, None, None, True


def build_flow(cfg: GFConfig) -> FlowRun:
    return FlowRun(cfg)


@dataclass(frozen=True)
class ClipView:
    cfg: ClipConfig
    series: dict[str, RunSeries]  # run name -> its kept history (losses nan where it diverged)
    diverged: dict[str, Diverged]
    settings: dict[str, tuple[str, float, float]]  # run name -> (clip mode, threshold, lr)


@dataclass(frozen=True)
class ClipPast:
    """Both runs at one past step, on the probe batch (the first ``PROBE_SIZE`` held-out
    sequences): loss, gradient norm before clipping, and ||dL/dh_t|| per time step."""

    loss: dict[str, float]  # run name -> loss
    grad_norm: dict[str, float]  # run name -> ||g|| over every weight
    dh_norm: dict[str, np.ndarray]  # run name -> (T,) ||dL/dh_t||


class ClipRun:
    """Worker side: a ``ClipComparison`` (one run with, one without clipping, in lockstep)."""

    def __init__(self, cfg: ClipConfig):
        self.comp = ClipComparison(cfg)
        self.rewind = ModuleHistory({n: t.model for n, t in self.comp.trainers.items()})
        self.rewind.keep(self.steps)

    @property
    def steps(self) -> int:
        return self.comp.steps

    def step(self, n: int = 1) -> None:
        for _ in range(int(n)):
            self.comp.step(1)
            self.rewind.keep(self.steps)

    def past(self, step: int) -> tuple[int, ClipPast]:
        """(kept step nearest ``step``, both runs on the probe batch with its weights)."""
        kept, nets = self.rewind.modules_at(step)
        x, y = (t[:PROBE_SIZE] for t in self.comp.held_out)
        task = next(iter(self.comp.trainers.values())).batches  # the task (same for both)
        loss, norm, dh = {}, {}, {}
        for name, net in nets.items():
            net.zero_grad(set_to_none=True)
            value = task.loss(net(x), y)
            value.backward()
            grads = [p.grad.detach().reshape(-1) for p in net.parameters() if p.grad is not None]
            norm[name] = float(torch.linalg.vector_norm(torch.cat(grads)))
            net.zero_grad(set_to_none=True)
            loss[name] = float(value.detach())
            dh[name] = snapshot(net.rnn, x, net.head_loss(task, y), detail=False,
                                with_why=False).dh_norm
        return kept, ClipPast(loss, norm, dh)

    def apply_live(self, cfg: ClipConfig) -> None:
        self.comp.apply_live(cfg)

    def halt(self) -> str | None:
        """Never: the unclipped run is meant to diverge (its weights are restored each time),
        and the comparison goes on beside it."""
        return None

    def view(self) -> ClipView:
        trainers = self.comp.trainers
        return ClipView(
            cfg=self.comp.cfg, series={name: self.comp.series(name) for name in RUNS},
            diverged={name: Diverged.of(t) for name, t in trainers.items()},
            settings={name: (t.clip, t.clip_threshold, t.lr) for name, t in trainers.items()})

    def export_script(self, steps: int | None = None) -> str:
        """A standalone PyTorch script of both runs (``seqviz.gradients.export``)."""
        from seqviz.gradients.export import clipping_script

        with self.comp.lock:
            return clipping_script(self.comp, steps)

    def checkpoint_state(self) -> dict:
        """Both runs for a checkpoint (``seqviz.gradients.export``)."""
        from seqviz.gradients.export import trainers_state

        with self.comp.lock:
            return trainers_state(self.comp.trainers)

    def restore(self, state: dict, step: int) -> int:
        """Re-open a checkpoint's two runs here (paused), counting on from ``step``."""
        from seqviz.gradients.export import restore_trainers

        with self.comp.lock:
            restore_trainers(self.comp.trainers, state, step)
        return self.steps

    def fork_state(self) -> dict:
        """The run as it is now, for a copy that goes on from here (``load_fork_state``)."""
        comp = self.comp
        with comp.lock:
            return {"cfg": comp.cfg,
                    "trainers": {n: t.state_dict() for n, t in comp.trainers.items()}}

    def load_fork_state(self, state: dict) -> None:
        comp = self.comp
        with comp.lock:
            for name, trainer in comp.trainers.items():
                trainer.load_state_dict(state["trainers"][name])
        comp.apply_live(state["cfg"])


def build_clipping(cfg: ClipConfig) -> ClipRun:
    return ClipRun(cfg)


# ---- server side -------------------------------------------------------------------------------
def _settle(handle, seq: int) -> Snapshot | None:
    """The snapshot that has seen command ``seq``, waited for briefly (a Pause or Step click
    blocks on it: nothing redraws a paused page by itself, so the rerun after the click must
    draw the step the run stopped on)."""
    try:
        return handle.wait_acked(seq, STEP_WAIT)
    except TimeoutError:
        return handle.snapshot()


class LiveFlow(LiveExperiment):
    """Server side of the gradient-flow page: Pause and Step also ask for a capture of the step
    they stop on (re-sending the config is that request) and wait for it, so a paused page
    never shows gradients older than its step counter."""

    @classmethod
    def open(cls, engine: Engine, cfg: GFConfig, *, playing: bool = False) -> "LiveFlow":
        return cls(engine.open(FLOW_FACTORY, {"cfg": cfg}, playing=playing), cfg)

    def pause(self) -> None:
        self.handle.pause()
        _settle(self.handle, self.handle.apply_live(self.cfg))

    def step(self, n: int = 1) -> Snapshot | None:
        self.handle.step(n)
        return _settle(self.handle, self.handle.apply_live(self.cfg))


class LiveClipping(LiveExperiment):
    """Server side of the clipping page: Pause waits for the worker to stop."""

    @classmethod
    def open(cls, engine: Engine, cfg: ClipConfig, *, playing: bool = False
             ) -> "LiveClipping":
        return cls(engine.open(CLIP_FACTORY, {"cfg": cfg}, playing=playing), cfg)

    def pause(self) -> None:
        _settle(self.handle, self.handle.pause())
