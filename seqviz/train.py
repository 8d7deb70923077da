"""Training that advances by ``step(n)`` and returns, so Play, Pause and Step are one loop.

The trainer owns a model, an optimiser and a batch source and applies one update per step:
forward, backward, clip, optimiser step. Settings marked live (learning rate, clip mode and
threshold) change between steps without a rebuild; optimiser state persists, so
``step(5); step(5)`` gives the same numbers as ``step(10)`` (TensorFlow Playground's
``oneStep``, openTSNE's ``optimize(n)``).

Clipping follows Pascanu, Mikolov and Bengio (2013): rescale the whole gradient when its global
L2 norm exceeds a threshold (or clamp each entry, "by value"). A non-finite loss or gradient is
treated as divergence: the update is skipped and the run is rolled back to its last good step
(a non-finite or exploding loss also undoes the update whose weights produced it, weights,
optimiser state, batch position and history alike); a diverged attempt is not counted as a step
and never enters the loss history, so a run is never corrupted by NaN and its curves stay
clean.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol

import torch
from torch import nn

from seqviz.i18n import N_, Msg

CLIP_MODES = ("none", "norm", "value")
OPTIMIZERS = ("adam", "sgd")


class BatchSource(Protocol):
    def next(self) -> Any: ...


class StepLog:
    """A trainer's history: its ``StepStats`` from the first step on, in at most ``maxlen``
    entries: every ``stride``-th step, the stride doubling as the run grows (as TensorBoard
    thins a long run's scalars), and the steps since the last of those, so the newest step is
    always there. Evenly thinned from end to end: a chart of the per-step loss is as dense at
    its right end as at its left. A deque of the last 2,000 steps would show a page that trains
    100 steps a second only its last 20 seconds, on an axis that starts at 0. Reads like that
    deque: iteration in step order, ``[-1]``, ``len``, ``append``, ``pop`` (a rolled-back step
    comes off the end), ``extend``, ``clear``, ``maxlen``."""

    def __init__(self, maxlen: int = 2000):
        if maxlen < 4:
            raise ValueError(f"maxlen must be >= 4, got {maxlen}")
        self.maxlen = int(maxlen)
        self.clear()

    def clear(self) -> None:
        self._kept: list = []  # the steps on the stride
        self._tail: list = []  # the steps after the last of them (fewer than ``stride``)
        self.stride, self._first = 1, None

    def _on_stride(self, stats) -> bool:
        return (stats.step - self._first) % self.stride == 0

    def _place(self, stats) -> None:
        if self._first is None:
            self._first = stats.step
        if self._on_stride(stats):
            self._kept.append(stats)
            self._tail.clear()
        else:
            self._tail.append(stats)

    def append(self, stats) -> None:
        self._place(stats)
        while len(self._kept) + self.stride - 1 > self.maxlen:
            self.stride *= 2
            self._kept = [s for s in self._kept if self._on_stride(s)]

    def extend(self, items: Iterable) -> None:
        for stats in items:
            self.append(stats)

    def load(self, items: Iterable, stride: int = 1) -> None:
        """The entries of another log with its stride (``list(log)``, ``log.stride``): the
        same log, which thins on alike."""
        self.clear()
        self.stride = max(1, int(stride))
        for stats in items:
            self._place(stats)

    def pop(self):
        if self._tail:
            return self._tail.pop()
        return self._kept.pop()

    def __len__(self) -> int:
        return len(self._kept) + len(self._tail)

    def __iter__(self):
        yield from self._kept
        yield from self._tail

    def __reversed__(self):
        yield from reversed(self._tail)
        yield from reversed(self._kept)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return list(self)[i]
        n = len(self)
        i = i + n if i < 0 else i
        if not 0 <= i < n:
            raise IndexError("StepLog index out of range")
        kept = len(self._kept)
        return self._kept[i] if i < kept else self._tail[i - kept]

    def __repr__(self) -> str:
        return f"StepLog({len(self)} of steps {self[0].step}..{self[-1].step})" if self else \
            "StepLog()"


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
    reason: Msg  # translated where it is shown
    restored_to: int  # step whose weights were restored


class DivergenceWatch:
    """For an engine run's ``halt()``: the reason of a divergence not reported yet, else None."""

    def __init__(self, trainer: "Trainer"):
        self.trainer, self.seen = trainer, len(trainer.divergences)

    def __call__(self) -> str | None:
        divs = self.trainer.divergences
        if len(divs) > self.seen:
            self.seen = len(divs)
            return divs[-1].reason
        return None


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


class LastGood:
    """The run before its latest update: weights, optimiser state, batch position, history
    length. Kept in buffers allocated once and refilled in place each step (one copy of the
    weights and the optimiser's moments: 1.4 MB for the LM page's default model), so a
    divergence rolls back exactly one update instead of to a snapshot many steps old."""

    def __init__(self):
        self.step: int | None = None
        self._weights: list[torch.Tensor] = []
        self._moments: list[torch.Tensor] = []
        self._other: list[tuple[Any, str, Any]] = []
        self._sampler = None
        self._had_state: set = set()

    @staticmethod
    def _tensors(optimizer) -> tuple[list[torch.Tensor], list[tuple[Any, str, Any]]]:
        tensors, other = [], []
        for param, state in optimizer.state.items():
            for name in sorted(state):
                value = state[name]
                if isinstance(value, torch.Tensor):
                    tensors.append(value)
                else:
                    other.append((param, name, value))
        return tensors, other

    @staticmethod
    def _refill(buffers: list[torch.Tensor], sources: list[torch.Tensor]) -> list[torch.Tensor]:
        if len(buffers) != len(sources) or any(b.shape != s.shape or b.dtype != s.dtype
                                               for b, s in zip(buffers, sources)):
            return [s.detach().clone() for s in sources]
        if buffers:
            with torch.no_grad():
                torch._foreach_copy_(buffers, [s.detach() for s in sources])
        return buffers

    def save(self, step: int, model: nn.Module, optimizer, sampler_state) -> None:
        self.step = step
        self._weights = self._refill(self._weights, list(model.parameters()))
        moments, self._other = self._tensors(optimizer)
        self._moments = self._refill(self._moments, moments)
        self._had_state = set(optimizer.state)
        self._sampler = sampler_state

    def restore_weights(self, model: nn.Module, optimizer) -> None:
        """Weights and optimiser state as before the latest update (batches and history
        untouched)."""
        with torch.no_grad():
            for param, saved in zip(model.parameters(), self._weights):
                param.copy_(saved)
        for param in [p for p in optimizer.state if p not in self._had_state]:
            del optimizer.state[param]  # state the rolled-back update created (first step)
        moments, _other = self._tensors(optimizer)
        if moments:
            with torch.no_grad():
                torch._foreach_copy_(moments, self._moments)
        for param, name, value in self._other:
            optimizer.state[param][name] = value

    def restore(self, model: nn.Module, optimizer, batches, history: StepLog,
                evals: deque) -> int:
        """The whole run as at its last good step: weights, optimiser, batches, history."""
        self.restore_weights(model, optimizer)
        if self._sampler is not None:
            batches.load_state_dict(self._sampler)
        while history and history[-1].step > self.step:
            history.pop()
        while evals and evals[-1][0] > self.step:
            evals.pop()
        return int(self.step)


def evaluation_due(step: int, every: int, early: Iterable[int] = (),
                   later: tuple[int, int] | None = None) -> bool:
    """Whether an evaluation runs after ``step``: at each step in ``early``, every ``every``-th
    step, and past step ``later[0]`` only every ``later[1]``-th. By step, not by time, so a
    run's curve has the same points on any machine and under any load."""
    if step in early:
        return True
    if later is not None and step > later[0]:
        return step % later[1] == 0
    return step % every == 0


class Trainer:
    """One model, one optimiser, one batch stream; ``step(n)`` applies n updates.

    ``loss_fn(model, batch) -> scalar tensor``. A loss above ``max_loss`` (e.g. ten times that
    of a uniform guess) is treated like NaN: float32 rarely overflows, yet such a run has blown
    up. ``evaluate(model) -> float`` (e.g. validation perplexity) runs after every
    ``eval_every``-th step, and after each step in ``eval_early`` (so a curve moves in the first
    seconds of Play); ``eval_later=(after, every)`` thins it out once the curve has slowed
    down: past step ``after``, only every ``every``-th step. A ``threading.Lock`` guards all
    state: Streamlit can run two script threads of one session at once.

    ``rewind=False`` is for runs compared in lockstep (the clipping and gradient-flow pages): a
    divergence still restores the last good weights and optimiser state, but the batch stream
    and the step counter go on (step k of every run sees batch k), and the diverged attempt is
    kept in the history as a marked gap. Rewinding those runs would replay the same batch on
    the same weights and diverge again forever.
    """

    def __init__(self, model: nn.Module, batches: BatchSource,
                 loss_fn: Callable[[nn.Module, Any], torch.Tensor], *,
                 optimizer: str = "adam", lr: float = 3e-3, clip: str = "norm",
                 clip_threshold: float = 1.0,
                 evaluate: Callable[[nn.Module], float] | None = None, eval_every: int = 100,
                 eval_early: Iterable[int] = (), eval_later: tuple[int, int] | None = None,
                 history: int = 2000, max_loss: float = math.inf, rewind: bool = True):
        self.rewind = rewind
        self.model, self.batches, self.loss_fn = model, batches, loss_fn
        self.optimizer_name = optimizer
        self.optimizer = make_optimizer(optimizer, model.parameters(), lr)
        self.lr = lr
        self.set_clip(clip, clip_threshold)
        self.evaluate_fn, self.eval_every = evaluate, max(1, int(eval_every))
        self.eval_early = frozenset(int(s) for s in eval_early)
        self.eval_later = None if eval_later is None else (int(eval_later[0]),
                                                           max(1, int(eval_later[1])))
        self.max_loss = max_loss  # a finite loss above this also counts as divergence
        self.lock = threading.Lock()
        self.steps = 0
        self.history = StepLog(history)  # the whole run, thinned past ``history`` steps
        self.evals: deque[tuple[int, float]] = deque(maxlen=history)
        self.divergences: list[Divergence] = []
        self._good = LastGood()  # the run as it was before its latest update
        self._weights_step = 0  # the step whose update made the current weights

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

    def resume_at(self, step: int) -> None:
        """Count on from ``step`` (a model loaded from a checkpoint trained that far)."""
        self.steps = self._weights_step = int(step)

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
        """One attempt. A diverged attempt is not a step: it is not counted, not in the history
        (so smoothed curves never see it), and the run is rolled back to its last good step."""
        start = time.perf_counter()
        self.model.train()
        sampler_before = self._sampler_state()
        batch = self.batches.next()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model, batch)
        loss_value = float(loss.detach())
        attempt = self.steps + 1
        if not math.isfinite(loss_value) or loss_value > self.max_loss:
            # The weights of the last update produce this loss: that update goes too.
            reason = Msg(N_("loss is {value}"), value=str(loss_value)) \
                if not math.isfinite(loss_value) else \
                Msg(N_("loss {value} exceeds the limit {limit}"), value=f"{loss_value:.3g}",
                    limit=f"{self.max_loss:.3g}")
            return self._diverge(start, attempt, loss_value, math.nan, reason, undo_last=True)
        loss.backward()
        params = [p for p in self.model.parameters() if p.requires_grad]
        before, after, clipped = clip_gradients(params, self.clip, self.clip_threshold)
        if not math.isfinite(before):
            # The weights are fine (their loss is): only this update is skipped.
            return self._diverge(start, attempt, loss_value, before,
                                 Msg(N_("gradient norm is {value}"), value=str(before)),
                                 undo_last=False)
        self._good.save(self.steps, self.model, self.optimizer, sampler_before)
        self.optimizer.step()
        self.steps = self._weights_step = attempt
        stats = StepStats(self.steps, loss_value, before, after, clipped, self.lr, False,
                          time.perf_counter() - start)
        self.history.append(stats)
        if self.evaluate_fn is not None and self.evaluation_due(self.steps):
            self.evaluate_now()
        return stats

    def evaluation_due(self, step: int) -> bool:
        return evaluation_due(step, self.eval_every, self.eval_early, self.eval_later)

    def _diverge(self, start: float, attempt: int, loss: float, norm: float, reason: Msg, *,
                 undo_last: bool) -> StepStats:
        """Skip the update; with ``undo_last`` also roll back the previous one (weights,
        optimiser state, batches, history): the run is exactly as at its last good step."""
        self.optimizer.zero_grad(set_to_none=True)
        if undo_last and self._good.step is not None:
            if self.rewind:
                self.steps = self._good.restore(self.model, self.optimizer, self.batches,
                                                self.history, self.evals)
            else:
                self._good.restore_weights(self.model, self.optimizer)
            self._weights_step = int(self._good.step)
            self.set_lr(self.lr)  # the restored optimiser state carries no learning rate
        self.divergences.append(Divergence(attempt, reason, self._weights_step))
        stats = StepStats(attempt, loss, norm, norm, False, self.lr, True,
                          time.perf_counter() - start)
        if not self.rewind:  # the batch clock goes on; the gap stays visible
            self.steps = attempt
            self.history.append(stats)
        return stats

    def _sampler_state(self):
        get = getattr(self.batches, "state_dict", None)
        return get() if get is not None else None

    # -- the whole run, for a copy (a student's fork of a shared run) ------------------------
    def state_dict(self) -> dict:
        """Everything the next steps depend on, copied: weights, optimiser state, batch
        position, step count, live settings, history, evaluations, divergences. A trainer of
        the same build given ``load_state_dict(state)`` makes the same next steps."""
        with self.lock:
            return {
                "model": {k: v.detach().clone() for k, v in self.model.state_dict().items()},
                "optimizer": _clone(self.optimizer.state_dict()),
                "optimizer_name": self.optimizer_name,
                "sampler": _clone(self._sampler_state()),
                "steps": self.steps, "weights_step": self._weights_step,
                "lr": self.lr, "clip": self.clip, "clip_threshold": self.clip_threshold,
                "history": list(self.history), "history_stride": self.history.stride,
                "evals": list(self.evals),
                "divergences": list(self.divergences),
            }

    def load_state_dict(self, state: dict) -> None:
        if state["optimizer_name"] != self.optimizer_name:
            raise ValueError(f"the state is of a {state['optimizer_name']} run, this trainer "
                             f"uses {self.optimizer_name}")
        with self.lock:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(_clone(state["optimizer"]))
            if state["sampler"] is not None:
                self.batches.load_state_dict(_clone(state["sampler"]))
            self.steps, self._weights_step = int(state["steps"]), int(state["weights_step"])
            self.set_lr(state["lr"])
            self.set_clip(state["clip"], state["clip_threshold"])
            self.history.load(state["history"], state.get("history_stride", 1))
            self.evals.clear()
            self.evals.extend(state["evals"])
            self.divergences[:] = state["divergences"]
            self._good = LastGood()

    # -- evaluation ------------------------------------------------------------------------
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

    @property
    def last_loss(self) -> float | None:
        for stats in reversed(self.history):
            if not stats.diverged:
                return stats.loss
        return None


def _clone(value: Any) -> Any:
    """A deep copy of nested dicts / lists / tuples whose tensors are cloned (state dicts)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_clone(v) for v in value)
    return value
