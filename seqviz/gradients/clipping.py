"""The same training run twice, with and without gradient clipping, advanced together.

Both runs start from identical weights and draw identical batches (two generators from one
seed). Clipping (Pascanu, Mikolov and Bengio 2013) rescales the gradient when its global norm
exceeds a threshold, or clamps each entry ("by value"); it is ``seqviz.train.clip_gradients``
inside ``seqviz.train.Trainer``, nothing new. Until the first step whose gradient exceeds the
threshold the two runs are bit-for-bit the same; from there on they part.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from seqviz.config import setting
from seqviz.gradients.tasks import (CELL_NAMES, TASKS, LockstepRuns, build_net, build_task,
                                    eval_batch, make_trainer)
from seqviz.figures.style import thin_evenly
from seqviz.i18n import N_
from seqviz.train import Trainer

RUNS = (N_("without clipping"), N_("with clipping"))  # keys; shown translated


@dataclass(frozen=True)
class ClipConfig:
    """The clipping page: a training run (rebuild fields) plus live knobs and the cliff."""

    task: str = setting("adding", choices=TASKS)
    cell: str = setting("rnn", choices=CELL_NAMES)
    activation: str = setting("tanh", choices=("tanh", "relu"))
    radius: float = setting(1.5, lo=0.3, hi=2.0)
    seq_len: int = setting(50, lo=2, hi=200)
    hidden_size: int = setting(32, lo=4, hi=256)
    optimizer: str = setting("sgd", choices=("sgd", "adam"))
    lr: float = setting(0.1, live=True, lo=1e-5, hi=10.0)
    clip: str = setting("norm", live=True, choices=("norm", "value"))
    clip_threshold: float = setting(1.0, live=True, lo=0.01, hi=100.0)
    cliff_lr: float = setting(0.3, live=True, lo=0.001, hi=10.0)
    cliff_threshold: float = setting(0.5, live=True, lo=0.01, hi=100.0)
    seed: int = setting(0, lo=0, hi=2**31 - 1)


@dataclass(frozen=True)
class RunSeries:
    """One run's history as arrays, for the figures."""

    steps: np.ndarray
    loss: np.ndarray  # nan where the step diverged
    grad_norm: np.ndarray  # before clipping
    clipped: np.ndarray  # bool
    divergences: np.ndarray  # steps that diverged (NaN / inf / loss limit), all or evenly thinned

    @property
    def share_clipped(self) -> float:
        ok = ~np.isnan(self.loss)
        return float(self.clipped[ok].mean()) if ok.any() else 0.0


MARKS = 2000  # divergence marks drawn at most: every one up to this, then evenly thinned (the
# legend gives the full count): the marks of a run that diverged thousands of times span it


class ClipComparison(LockstepRuns):
    """Two trainers from one set of initial weights, advanced in lockstep (``LockstepRuns``)."""

    def __init__(self, cfg: ClipConfig) -> None:
        self.cfg = cfg
        held_out = eval_batch(build_task(cfg.task, cfg.seq_len, seed=cfg.seed), cfg.seed)
        self.held_out = held_out
        net = None
        trainers: dict[str, Trainer] = {}
        for name in RUNS:
            task = build_task(cfg.task, cfg.seq_len, seed=cfg.seed)  # same batches for both
            if net is None:
                net = build_net(cfg.cell, task, cfg.hidden_size, cfg.activation, cfg.radius,
                                cfg.seed)
            model = copy.deepcopy(net)  # identical initial weights
            clip = cfg.clip if name == "with clipping" else "none"
            trainers[name] = make_trainer(model, task, held_out, optimizer=cfg.optimizer,
                                          lr=cfg.lr, clip=clip, clip_threshold=cfg.clip_threshold,
                                          eval_every=25)
        super().__init__(trainers)

    def apply_live(self, cfg: ClipConfig) -> None:
        """Learning rate for both runs, clip mode and threshold for the clipped one."""
        with self.lock:
            for name, trainer in self.trainers.items():
                with trainer.lock:
                    trainer.set_lr(cfg.lr)
                    trainer.set_clip(cfg.clip if name == "with clipping" else "none",
                                     cfg.clip_threshold)
            self.cfg = cfg

    def series(self, name: str) -> RunSeries:
        """The run's curves from its first step (the trainer's history: at most 2,000 steps,
        older ones thinned), diverged steps with a NaN loss."""
        trainer = self.trainers[name]
        with trainer.lock:
            hist = list(trainer.history)
            diverged = np.array([d.step for d in trainer.divergences], dtype=int)
        rows = np.array([(h.step, math.nan if h.diverged else h.loss, h.grad_norm, h.clipped)
                         for h in hist], dtype=float).reshape(-1, 4)
        (marks,) = thin_evenly(diverged, limit=MARKS)
        return RunSeries(steps=rows[:, 0].astype(int), loss=rows[:, 1], grad_norm=rows[:, 2],
                         clipped=rows[:, 3].astype(bool), divergences=marks)

    def accuracy(self, name: str) -> tuple[list[int], list[float]]:
        trainer = self.trainers[name]
        with trainer.lock:
            evals = list(trainer.evals)
        return [s for s, _ in evals], [v for _, v in evals]
