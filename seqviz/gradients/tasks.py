"""Memory tasks whose difficulty is a distance in time, and a small model to learn them.

- ``RecallTask``: "recall the first symbol at the end". Step 0 shows one of K symbols with a
  start marker, the next T-2 steps random symbols of the same alphabet, the last step a recall
  cue; the answer is the first symbol, so the loss at step T depends on what was seen T-1 steps
  earlier (after the long-lag problems of Hochreiter & Schmidhuber 1997, "Long short-term
  memory").
- ``AddingTask``: the adding problem of Hochreiter & Schmidhuber (1997), as used by Le, Jaitly
  and Hinton (2015): each step carries a random value in [0, 1) and a marker; exactly two steps
  are marked, one in each half, and the target is the sum of their values. Predicting 1.0
  always gives a mean squared error of 1/6; "solved" means an error below 0.04.

Both are seeded generators of (B, T, I) batches with a ``next()`` method, the batch source
``seqviz.train.Trainer`` expects. ``MemoryNet`` is one seqviz recurrent layer with a linear head
on its last hidden state; ``LockstepRuns`` trains several such nets (RNN, GRU, LSTM) from the
same seed on the same batches, one step each in turn, so their curves compare like for like.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqviz.config import setting
from seqviz.gradients.analysis import (GradientSnapshot, recurrent_radii, set_spectral_radius,
                                       snapshot)
from seqviz.models import build_recurrent
from seqviz.models.seeding import seeded
from seqviz.train import Trainer

TASKS = ("recall", "adding")
BATCH_SIZE = 32
EVAL_SIZE = 256
EVAL_SEED_OFFSET = 1_000_003  # the held-out batch never coincides with a training batch


class RecallTask:
    """Inputs one-hot over K symbols, a start marker and a recall cue: I = K + 2.

    The distractors are drawn from the same K symbols as the answer, so later steps write the
    same input directions as the first one: a plain RNN's memory is overwritten, while a gated
    cell can learn to open its input gate on the start marker and close it afterwards.
    """

    name = "recall"
    regression = False

    def __init__(self, seq_len: int, batch_size: int = BATCH_SIZE, seed: int = 0,
                 num_symbols: int = 4) -> None:
        if seq_len < 2:
            raise ValueError(f"recall needs seq_len >= 2 (a symbol and a cue), got {seq_len}")
        self.seq_len, self.batch_size = int(seq_len), int(batch_size)
        self.num_symbols = int(num_symbols)
        self.input_size = self.num_symbols + 2
        self.output_size = self.num_symbols
        self.chance = 1.0 / self.num_symbols
        self.gen = torch.Generator().manual_seed(int(seed))

    def sample(self, batch_size: int, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        B, T, K = batch_size, self.seq_len, self.num_symbols
        ids = torch.randint(K, (B, T), generator=gen)  # (B, T): the answer, then distractors
        x = F.one_hot(ids, self.input_size).float()  # (B, T, I)
        x[:, -1] = 0.0
        x[:, 0, K] = 1.0  # start marker next to the symbol to remember
        x[:, -1, K + 1] = 1.0  # the recall cue replaces the last distractor
        return x, ids[:, 0]  # (B, T, I), (B,)

    def next(self) -> tuple[Tensor, Tensor]:
        return self.sample(self.batch_size, self.gen)

    def state_dict(self) -> Tensor:
        """The batch position (its generator's state), so a copied run draws the same batches."""
        return self.gen.get_state()

    def load_state_dict(self, state: Tensor) -> None:
        self.gen.set_state(state)

    def loss(self, pred: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(pred, target)  # pred (B, K) logits

    def correct(self, pred: Tensor, target: Tensor) -> Tensor:
        return pred.argmax(-1) == target  # (B,)


class AddingTask:
    """Inputs (value, marker) per step: I = 2. The target is the sum of the two marked values."""

    name = "adding"
    regression = True
    tolerance = 0.04  # Hochreiter & Schmidhuber's criterion for a correct answer

    def __init__(self, seq_len: int, batch_size: int = BATCH_SIZE, seed: int = 0) -> None:
        if seq_len < 2:
            raise ValueError(f"the adding problem needs seq_len >= 2, got {seq_len}")
        self.seq_len, self.batch_size = int(seq_len), int(batch_size)
        self.input_size, self.output_size = 2, 1
        self.chance = math.nan  # no "guess" accuracy: the answer is continuous
        self.gen = torch.Generator().manual_seed(int(seed))

    def sample(self, batch_size: int, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        B, T = batch_size, self.seq_len
        half = T // 2
        values = torch.rand((B, T), generator=gen)  # (B, T)
        first = torch.randint(half, (B,), generator=gen)  # in [0, T/2)
        second = half + torch.randint(T - half, (B,), generator=gen)  # in [T/2, T)
        marks = torch.zeros(B, T)
        rows = torch.arange(B)
        marks[rows, first] = 1.0
        marks[rows, second] = 1.0
        target = values[rows, first] + values[rows, second]  # (B,)
        return torch.stack([values, marks], dim=-1), target  # (B, T, 2), (B,)

    def next(self) -> tuple[Tensor, Tensor]:
        return self.sample(self.batch_size, self.gen)

    def state_dict(self) -> Tensor:
        """The batch position (its generator's state), so a copied run draws the same batches."""
        return self.gen.get_state()

    def load_state_dict(self, state: Tensor) -> None:
        self.gen.set_state(state)

    def loss(self, pred: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(pred.squeeze(-1), target)  # pred (B, 1)

    def correct(self, pred: Tensor, target: Tensor) -> Tensor:
        return (pred.squeeze(-1) - target).abs() < self.tolerance  # (B,)


Task = RecallTask | AddingTask


def build_task(name: str, seq_len: int, batch_size: int = BATCH_SIZE, seed: int = 0) -> Task:
    if name == "recall":
        return RecallTask(seq_len, batch_size, seed)
    if name == "adding":
        return AddingTask(seq_len, batch_size, seed)
    raise ValueError(f"unknown task {name!r}; valid: {', '.join(TASKS)}")


def eval_batch(task: Task, seed: int, size: int = EVAL_SIZE) -> tuple[Tensor, Tensor]:
    """A fixed held-out batch (its own generator), for accuracy and gradient snapshots."""
    return task.sample(size, torch.Generator().manual_seed(int(seed) + EVAL_SEED_OFFSET))


class MemoryNet(nn.Module):
    """x (B, T, I) -> one seqviz recurrent layer (B, T, H) -> linear head on h_T -> (B, O)."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, output_size: int,
                 nonlinearity: str = "tanh") -> None:
        super().__init__()
        self.cell = cell
        self.rnn = build_recurrent(cell, input_size, hidden_size, nonlinearity=nonlinearity)
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.rnn(x)  # (B, T, H), torch's fused kernel
        return self.head(out[:, -1])  # (B, O)

    def head_loss(self, task: Task, target: Tensor) -> Callable[[Tensor], Tensor]:
        """The loss as a function of the layer's output sequence (B, T, H), for gradients.py."""
        return lambda out: task.loss(self.head(out[:, -1]), target)


CARRY_BIAS = 1.0  # added to the LSTM forget-gate and GRU update-gate biases at init


def build_net(cell: str, task: Task, hidden_size: int, nonlinearity: str, radius: float,
              seed: int, carry_bias: float = CARRY_BIAS) -> MemoryNet:
    """Same seed, same initial weights: torch's init, W_hh blocks scaled to ``radius``.

    Gated cells start with their carry path open: ``carry_bias`` is added to the bias of the
    LSTM forget gate (Gers, Schmidhuber & Cummins 2000; Jozefowicz, Zaremba & Sutskever 2015)
    and of the GRU update gate z (which keeps h_{t-1}), so memory is not halved every step.
    """
    with seeded(seed):
        net = MemoryNet(cell, task.input_size, hidden_size, task.output_size, nonlinearity)
    set_spectral_radius(net.rnn, radius)
    gate = {"lstm": 1, "gru": 1}.get(cell)  # f is block 1 of (i, f, g, o); z block 1 of (r, z, n)
    if gate is not None and carry_bias:
        with torch.no_grad():
            net.rnn.bias_ih_l0[gate * hidden_size:(gate + 1) * hidden_size] += carry_bias
    return net


@torch.no_grad()
def accuracy(model: MemoryNet, task: Task, batch: tuple[Tensor, Tensor]) -> float:
    """Share of the batch answered correctly (argmax for recall, |error| < 0.04 for adding)."""
    x, y = batch
    pred = model(x)
    if not torch.isfinite(pred).all():
        return 0.0
    return float(task.correct(pred, y).float().mean())


def make_trainer(net: MemoryNet, task: Task, held_out: tuple[Tensor, Tensor], *,
                 optimizer: str = "adam", lr: float = 3e-3, clip: str = "none",
                 clip_threshold: float = 1.0, eval_every: int = 10) -> Trainer:
    """A ``seqviz.train.Trainer`` on the task's own batch stream; accuracy as its evaluation."""
    # A loss far above what any sane model reaches has blown up: treat it like NaN.
    max_loss = 10 * math.log(task.output_size) if not task.regression else 1e4
    return Trainer(net, task, lambda m, b: task.loss(m(b[0]), b[1]), optimizer=optimizer, lr=lr,
                   clip=clip, clip_threshold=clip_threshold,
                   evaluate=lambda m: accuracy(m, task, held_out), eval_every=eval_every,
                   max_loss=max_loss, rewind=False)


class LockstepRuns:
    """Several trainers advanced one step each in turn, e.g. RNN, GRU and LSTM on the same task.

    Every run has its own task generator built from the same seed, so step k of every run sees
    the same batch (a Trainer draws one batch per step, diverged or not).
    """

    def __init__(self, trainers: dict[str, Trainer]) -> None:
        self.trainers = trainers
        self.lock = threading.Lock()

    @property
    def steps(self) -> int:
        return min(t.steps for t in self.trainers.values())

    def _round(self) -> list:
        return [t.step(1)[0] for t in self.trainers.values()]

    def step(self, n: int = 1) -> None:
        with self.lock:
            for _ in range(int(n)):
                self._round()

    def train_for(self, seconds: float, max_rounds: int = 1000) -> int | None:
        """Rounds (one step of every run) until ``seconds`` are used; None when busy."""
        if not self.lock.acquire(blocking=False):
            return None
        try:
            start, rounds = time.perf_counter(), 0
            while rounds < max_rounds:
                self._round()
                rounds += 1
                if time.perf_counter() - start >= seconds:
                    break
            return rounds
        finally:
            self.lock.release()


CELL_NAMES = ("rnn", "gru", "lstm")
PROBE_SIZE = 32  # sequences in the fixed batch whose gradients the page draws


@dataclass(frozen=True)
class GFConfig:
    """The gradient-flow page. ``cell`` only chooses which of the three runs is drawn in
    detail (all three always train side by side), so it applies live."""

    task: str = setting("recall", choices=TASKS)
    cell: str = setting("rnn", live=True, choices=CELL_NAMES)
    activation: str = setting("tanh", choices=("tanh", "relu"))
    radius: float = setting(1.0, lo=0.3, hi=2.0)
    seq_len: int = setting(50, lo=2, hi=200)
    hidden_size: int = setting(64, lo=4, hi=256)
    optimizer: str = setting("adam", choices=("adam", "sgd"))
    lr: float = setting(0.003, live=True, lo=1e-5, hi=10.0)
    scale: str = setting("linear", live=True, choices=("linear", "log"))
    seed: int = setting(0, lo=0, hi=2**31 - 1)


@dataclass(frozen=True)
class Refresh:
    """What the page draws after a tick: the chosen run in detail, norms of all three."""

    steps: int
    detail: GradientSnapshot
    norms: dict[str, np.ndarray]  # cell -> (T,) ||dL/dh_t||


class GradientLab:
    """RNN, GRU and LSTM from the same seed on the same batches of one memory task."""

    def __init__(self, cfg: GFConfig) -> None:
        self.cfg = cfg
        task = build_task(cfg.task, cfg.seq_len, seed=cfg.seed)
        self.held_out = eval_batch(task, cfg.seed)
        self.probe = (self.held_out[0][:PROBE_SIZE], self.held_out[1][:PROBE_SIZE])
        self.tasks, self.nets, trainers = {}, {}, {}
        for cell in CELL_NAMES:
            self.tasks[cell] = build_task(cfg.task, cfg.seq_len, seed=cfg.seed)  # same batches
            self.nets[cell] = build_net(cell, task, cfg.hidden_size, cfg.activation,
                                        cfg.radius, cfg.seed)
            trainers[cell] = make_trainer(self.nets[cell], self.tasks[cell], self.held_out,
                                          optimizer=cfg.optimizer, lr=cfg.lr)
            trainers[cell].evaluate_now()
        self.runs = LockstepRuns(trainers)
        self.radii = {c: [(0, recurrent_radii(n.rnn))] for c, n in self.nets.items()}
        self._refresh: tuple | None = None

    @property
    def task(self) -> Task:
        return self.tasks[CELL_NAMES[0]]

    def apply_live(self, cfg: GFConfig) -> None:
        with self.runs.lock:
            for trainer in self.runs.trainers.values():
                trainer.set_lr(cfg.lr)
            self.cfg = cfg

    def step(self, n: int = 1) -> None:
        self.runs.step(n)

    def snapshot(self, cell: str, detail: bool = True, with_why: bool = True
                 ) -> GradientSnapshot:
        net, trainer = self.nets[cell], self.runs.trainers[cell]
        x, y = self.probe
        with trainer.lock:  # no update may land halfway through the pass
            return snapshot(net.rnn, x, net.head_loss(self.task, y), detail=detail,
                            scale=self.cfg.scale, with_why=with_why)

    def record_radii(self, cell: str) -> list[tuple[int, dict[str, float]]]:
        """Append the spectral radii of ``cell``'s W_hh blocks at its current step (once per
        step); returns that cell's history of (step, {block: radius})."""
        history, trainer = self.radii[cell], self.runs.trainers[cell]
        if history[-1][0] != trainer.steps:
            with trainer.lock:
                history.append((trainer.steps, recurrent_radii(self.nets[cell].rnn)))
        return history

    def latest(self) -> Refresh:
        """The last refresh, without new work (or a fresh one if there is none yet)."""
        return self._refresh[1] if self._refresh is not None else self.refresh()

    def refresh(self) -> Refresh:
        """The chosen run in detail and every run's norms; cached until something changes."""
        cell, steps = self.cfg.cell, self.runs.steps
        key = (cell, self.cfg.scale, tuple(t.steps for t in self.runs.trainers.values()))
        if self._refresh is not None and self._refresh[0] == key:
            return self._refresh[1]
        detail = self.snapshot(cell)
        norms = {c: detail.dh_norm if c == cell else self.snapshot(c, detail=False).dh_norm
                 for c in CELL_NAMES}
        self.record_radii(cell)
        out = Refresh(steps, detail, norms)
        self._refresh = (key, out)
        return out
