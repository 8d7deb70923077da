"""A recurrent model small enough to plot, whose loss surface has a cliff.

After Pascanu, Mikolov and Bengio (2013), "On the difficulty of training recurrent neural
networks", section 3: one tanh unit with recurrent weight w and bias b, run for T steps from a
fixed h_0, with the squared error of h_T against a target:

    h_t = tanh(w h_{t-1} + b),    L(w, b) = (h_T - target)^2

For w > 1 the unit has two attractors; which one h_0 falls into flips along the curve where the
unstable fixed point crosses h_0 (tanh(w h_0 + b) = h_0, i.e. b = atanh(h_0) - w h_0). Near that
curve h_T, and so L, changes by a lot over a tiny distance: a wall whose gradient is huge. A
gradient step that lands on the wall is thrown far away; rescaling the gradient when its norm
exceeds a threshold (``seqviz.train.clip_gradients``, the paper's remedy) keeps the step small.

Gradients are exact: forward-mode derivatives carried along the T steps (two parameters), in
numpy over a whole grid at once or in plain floats along a path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from seqviz.i18n import _
from seqviz.train import clip_gradients

W_RANGE = (0.0, 4.0)
B_RANGE = (-2.0, 1.5)
START = (3.0, -0.5)  # on the upper side of the wall: descent walks towards it


@dataclass(frozen=True)
class Cliff:
    steps: int = 20  # T
    h0: float = 0.5
    target: float = 0.7

    def loss_grad(self, w, b):
        """(loss, dL/dw, dL/db), elementwise over broadcast numpy arrays (or floats)."""
        w, b = np.asarray(w, dtype=float), np.asarray(b, dtype=float)
        h = np.full(np.broadcast(w, b).shape, self.h0)
        dw, db = np.zeros_like(h), np.zeros_like(h)
        for _ in range(self.steps):
            nxt = np.tanh(w * h + b)
            d = 1 - nxt * nxt  # tanh'
            dw, db = d * (h + w * dw), d * (1 + w * db)  # forward-mode dh_t/dw, dh_t/db
            h = nxt
        r = h - self.target
        return r * r, 2 * r * dw, 2 * r * db

    def point(self, w: float, b: float) -> tuple[float, float, float]:
        """The same for one point, in plain floats (fast inside a descent loop)."""
        h, dw, db = self.h0, 0.0, 0.0
        for _ in range(self.steps):
            nxt = math.tanh(w * h + b)
            d = 1 - nxt * nxt
            dw, db = d * (h + w * dw), d * (1 + w * db)
            h = nxt
        r = h - self.target
        return r * r, 2 * r * dw, 2 * r * db

    def grid(self, w_range=W_RANGE, b_range=B_RANGE, n: int = 161):
        """ws (n,), bs (n,), loss (n_b, n_w) over the rectangle."""
        ws, bs = np.linspace(*w_range, n), np.linspace(*b_range, n)
        loss, _, _ = self.loss_grad(ws[None, :], bs[:, None])
        return ws, bs, loss

    def wall(self, w_range=W_RANGE) -> tuple[np.ndarray, np.ndarray]:
        """The curve where the attractor h_0 falls into flips: b = atanh(h_0) - w h_0, w > 1."""
        ws = np.linspace(max(1.0, w_range[0]), w_range[1], 50)
        return ws, math.atanh(self.h0) - ws * self.h0


@dataclass(frozen=True)
class DescentPath:
    clip: str  # "none", "norm" or "value"
    threshold: float
    w: np.ndarray  # (n + 1,) parameters after each step, start first
    b: np.ndarray
    loss: np.ndarray  # (n + 1,)
    grad_norm: np.ndarray  # (n,) before clipping
    clipped: np.ndarray  # (n,) bool

    @property
    def name(self) -> str:
        """The run it stands for: "without clipping" or "with clipping"."""
        return "without clipping" if self.clip == "none" else "with clipping"

    @property
    def label(self) -> str:
        """Its name in the current language, with the clipping rule when it clips."""
        if self.clip == "none":
            return _("without clipping")
        rule = ("‖g‖" if self.clip == "norm" else "|g_i|") + f" ≤ {self.threshold:g}"
        return _("with clipping ({rule})").format(rule=rule)

    @property
    def largest_step(self) -> float:
        return float(np.max(np.hypot(np.diff(self.w), np.diff(self.b)), initial=0.0))


def descend(cliff: Cliff, start=START, lr: float = 0.3, steps: int = 60, clip: str = "none",
            threshold: float = 1.0) -> DescentPath:
    """Plain gradient descent from ``start``; the gradient goes through seqviz's own
    ``clip_gradients`` (clip "none", "norm" or "value"), exactly as in training."""
    params = [torch.nn.Parameter(torch.zeros((), dtype=torch.float64)) for _ in range(2)]
    w, b = float(start[0]), float(start[1])
    ws, bs, losses, norms, clipped = [w], [b], [], [], []
    for _ in range(int(steps)):
        loss, gw, gb = cliff.point(w, b)
        losses.append(loss)
        for p, g in zip(params, (gw, gb)):
            p.grad = torch.tensor(g, dtype=torch.float64)
        before, _, was_clipped = clip_gradients(params, clip, threshold)
        if not math.isfinite(before):
            break
        norms.append(before)
        clipped.append(was_clipped)
        w, b = w - lr * float(params[0].grad), b - lr * float(params[1].grad)
        ws.append(w)
        bs.append(b)
    losses.append(cliff.point(w, b)[0])
    return DescentPath(clip, float(threshold), np.array(ws), np.array(bs), np.array(losses),
                       np.array(norms), np.array(clipped, dtype=bool))


def compare(cliff: Cliff, lr: float, threshold: float, clip: str = "norm", steps: int = 60,
            start=START) -> list[DescentPath]:
    """The same start and learning rate, without and with clipping."""
    return [descend(cliff, start, lr, steps, "none", threshold),
            descend(cliff, start, lr, steps, clip, threshold)]
