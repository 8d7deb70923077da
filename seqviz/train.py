"""Training that advances by ``step(n)`` and returns, so Play, Pause and Step are one loop.

The trainer owns a model, an optimiser and a batch source and applies one update per step:
forward, backward, clip, optimiser step. Settings marked live (learning rate, clip mode and
threshold) change between steps without a rebuild; optimiser state persists, so
``step(5); step(5)`` gives the same numbers as ``step(10)`` (TensorFlow Playground's
``oneStep``, openTSNE's ``optimize(n)``).

Clipping follows Pascanu, Mikolov and Bengio (2013): rescale the whole gradient when its global
L2 norm exceeds a threshold (or clamp each entry, "by value"). A non-finite loss or gradient is
treated as divergence: the update is skipped, the last good weights and optimiser state are
restored and the event is recorded, so a run is never corrupted by NaN.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol

import torch
from torch import nn

CLIP_MODES = ("none", "norm", "value")
OPTIMIZERS = ("adam", "sgd")


class BatchSource(Protocol):
    def next(self) -> Any: ...


@dataclass(frozen=True)
class StepStats:
    step: int  # 1-based index of this step since the trainer was built
    loss: float  # nan when the step diverged
    grad_norm: float  # global L2 norm before clipping
    grad_norm_clipped: float  # global L2 norm after clipping (= grad_norm when not clipped)
    clipped: bool
    lr: float
    diverged: bool
    seconds: float


@dataclass(frozen=True)
class Divergence:
    step: int
    reason: str
    restored_to: int  # step whose weights were restored


def global_norm(grads: Iterable[torch.Tensor]) -> torch.Tensor:
    """sqrt(sum_i ||g_i||^2) over all gradient tensors, as a 0-d tensor."""
    norms = [g.detach().norm(2) for g in grads]
    if not norms:
        return torch.tensor(0.0)
    return torch.linalg.vector_norm(torch.stack(norms), 2)


def clip_gradients(params: Iterable[nn.Parameter], mode: str, threshold: float
                   ) -> tuple[float, float, bool]:
    """Clip ``.grad`` in place; returns (norm before, norm after, whether anything changed).

    "norm" rescales every gradient by min(1, threshold / (norm + 1e-6)), exactly as
    ``torch.nn.utils.clip_grad_norm_``; "value" clamps each entry to [-threshold, threshold]
    like ``clip_grad_value_``.
    """
    if mode not in CLIP_MODES:
        raise ValueError(f"clip mode must be one of {CLIP_MODES}, got {mode!r}")
    grads = [p.grad for p in params if p.grad is not None]
    before = float(global_norm(grads))
    if mode == "none" or not grads or not math.isfinite(before):
        return before, before, False
    if mode == "norm":
        coef = threshold / (before + 1e-6)
        clipped = coef < 1.0
        if clipped:
            for g in grads:
                g.mul_(coef)
    else:
        clipped = any(bool((g.abs() > threshold).any()) for g in grads)
        for g in grads:
            g.clamp_(-threshold, threshold)
    after = float(global_norm(grads)) if clipped else before
    return before, after, clipped


def make_optimizer(name: str, params: Iterable[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")


class Trainer:
    """One model, one optimiser, one batch stream; ``step(n)`` applies n updates.

    ``loss_fn(model, batch) -> scalar tensor``. A loss above ``max_loss`` (e.g. ten times that
    of a uniform guess) is treated like NaN: float32 rarely overflows, yet such a run has blown up. ``evaluate(model) -> float`` (e.g. validation
    perplexity) runs after every ``eval_every``-th step. A ``threading.Lock`` guards all state:
    Streamlit can run two script threads of one session at once.
    """

    def __init__(self, model: nn.Module, batches: BatchSource,
                 loss_fn: Callable[[nn.Module, Any], torch.Tensor], *,
                 optimizer: str = "adam", lr: float = 3e-3, clip: str = "norm",
                 clip_threshold: float = 1.0,
                 evaluate: Callable[[nn.Module], float] | None = None, eval_every: int = 100,
                 snapshot_every: int = 25, history: int = 2000, max_loss: float = math.inf):
        self.model, self.batches, self.loss_fn = model, batches, loss_fn
        self.optimizer_name = optimizer
        self.optimizer = make_optimizer(optimizer, model.parameters(), lr)
        self.lr = lr
        self.set_clip(clip, clip_threshold)
        self.evaluate_fn, self.eval_every = evaluate, max(1, int(eval_every))
        self.snapshot_every = max(1, int(snapshot_every))
        self.max_loss = max_loss  # a finite loss above this also counts as divergence
        self.lock = threading.Lock()
        self.steps = 0
        self.history: deque[StepStats] = deque(maxlen=history)
        self.evals: deque[tuple[int, float]] = deque(maxlen=history)
        self.divergences: list[Divergence] = []
        self._snapshot = self._take_snapshot()

    # -- live settings ---------------------------------------------------------------------
    def set_lr(self, lr: float) -> None:
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(f"learning rate must be a positive number, got {lr}")
        self.lr = float(lr)
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr

    def set_clip(self, mode: str, threshold: float) -> None:
        if mode not in CLIP_MODES:
            raise ValueError(f"clip mode must be one of {CLIP_MODES}, got {mode!r}")
        if not (threshold > 0 and math.isfinite(threshold)):
            raise ValueError(f"clip threshold must be a positive number, got {threshold}")
        self.clip, self.clip_threshold = mode, float(threshold)

    # -- stepping --------------------------------------------------------------------------
    def step(self, n: int = 1) -> list[StepStats]:
        """Apply n updates (blocking on the lock) and return their stats."""
        with self.lock:
            return [self._one_step() for _ in range(int(n))]

    def try_step(self, n: int = 1) -> list[StepStats] | None:
        """Like ``step`` but returns None at once when another thread is stepping."""
        if not self.lock.acquire(blocking=False):
            return None
        try:
            return [self._one_step() for _ in range(int(n))]
        finally:
            self.lock.release()

    def train_for(self, seconds: float, max_steps: int = 1000) -> list[StepStats] | None:
        """Steps until ``seconds`` of compute are used (at least one); None when busy."""
        if not self.lock.acquire(blocking=False):
            return None
        try:
            out, start = [], time.perf_counter()
            while len(out) < max_steps:
                out.append(self._one_step())
                if out[-1].diverged or time.perf_counter() - start >= seconds:
                    break
            return out
        finally:
            self.lock.release()

    def _one_step(self) -> StepStats:
        start = time.perf_counter()
        self.model.train()
        batch = self.batches.next()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model, batch)
        loss_value = float(loss.detach())
        self.steps += 1
        if not math.isfinite(loss_value):
            return self._diverge(start, loss_value, math.nan, "loss is " + str(loss_value))
        if loss_value > self.max_loss:
            return self._diverge(start, loss_value, math.nan,
                                 f"loss {loss_value:.3g} exceeds the limit {self.max_loss:.3g}")
        loss.backward()
        params = [p for p in self.model.parameters() if p.requires_grad]
        before, after, clipped = clip_gradients(params, self.clip, self.clip_threshold)
        if not math.isfinite(before):
            return self._diverge(start, loss_value, before, f"gradient norm is {before}")
        self.optimizer.step()
        stats = StepStats(self.steps, loss_value, before, after, clipped, self.lr, False,
                          time.perf_counter() - start)
        self.history.append(stats)
        if self.steps % self.snapshot_every == 0:
            self._snapshot = self._take_snapshot()
        if self.evaluate_fn is not None and self.steps % self.eval_every == 0:
            self.evaluate_now()
        return stats

    def _diverge(self, start: float, loss: float, norm: float, reason: str) -> StepStats:
        """Skip the update, restore the last good weights and record the event."""
        self.optimizer.zero_grad(set_to_none=True)
        restored = self._restore_snapshot()
        self.divergences.append(Divergence(self.steps, reason, restored))
        stats = StepStats(self.steps, loss, norm, norm, False, self.lr, True,
                          time.perf_counter() - start)
        self.history.append(stats)
        return stats

    # -- evaluation and snapshots ------------------------------------------------------------
    def evaluate_now(self) -> float | None:
        if self.evaluate_fn is None:
            return None
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            value = float(self.evaluate_fn(self.model))
        self.model.train(was_training)
        self.evals.append((self.steps, value))
        return value

    def _take_snapshot(self) -> dict:
        return {"step": self.steps,
                "model": copy.deepcopy(self.model.state_dict()),
                "optimizer": copy.deepcopy(self.optimizer.state_dict())}

    def _restore_snapshot(self) -> int:
        self.model.load_state_dict(self._snapshot["model"])
        self.optimizer.load_state_dict(copy.deepcopy(self._snapshot["optimizer"]))
        self.set_lr(self.lr)  # the restored optimiser state carries the old learning rate
        return int(self._snapshot["step"])

    @property
    def last_loss(self) -> float | None:
        for stats in reversed(self.history):
            if not stats.diverged:
                return stats.loss
        return None
