"""GloVe (Pennington, Socher and Manning 2014): word vectors from the log co-occurrence counts.

``cooccurrence`` counts x_ij over the page's corpus as the paper does: every pair of words at most
``window`` apart in a sentence adds 1/d, d their distance, in both directions. Only the nonzero
x_ij are kept (sparse: a few per cent of V², sorted and summed with ``np.unique``).

``GloVe`` minimises J = Σ_{x_ij>0} f(x_ij) (θ_iᵀ e_j + b_i + b'_j − log x_ij)² with the weight
f(x) = min(1, (x / x_max)^α) (x_max = 100, α = 3/4 in the paper) and AdaGrad (initial rate
0.05), the gradients written out and vectorised over a minibatch of nonzero entries (one step);
the word vectors it reports are θ + e, the sum of its two sets (the paper's choice).
``glove_loss_direct`` evaluates the formula with loops, for tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

X_MAX = 100.0
ALPHA = 0.75
LR = 0.05
BATCH = 2048  # nonzero x_ij per step
MAX_PAIRS = 20_000_000  # (word, context) pairs counted at most: a long upload is cut (memory)


@dataclass(frozen=True)
class Cooccurrence:
    """The nonzero x_ij of a V x V co-occurrence matrix, as parallel arrays (i, j, x_ij)."""

    rows: np.ndarray  # (Z,) int64
    cols: np.ndarray  # (Z,) int64
    counts: np.ndarray  # (Z,) float64 > 0
    vocab_size: int

    def dense(self) -> np.ndarray:
        """The full (V, V) matrix (tests and tiny vocabularies only)."""
        x = np.zeros((self.vocab_size, self.vocab_size))
        np.add.at(x, (self.rows, self.cols), self.counts)
        return x


def cooccurrence(ids, sentence, vocab_size: int, window: int) -> Cooccurrence:
    """x_ij = Σ 1/d over the positions where word j stands d ≤ ``window`` words from word i in the
    same sentence (symmetric). ``ids`` and ``sentence`` are (N,) word ids and sentence indices."""
    ids = np.asarray(ids, dtype=np.int64)
    sent = np.asarray(sentence, dtype=np.int64)
    n = len(ids)
    if len(sent) != n:
        raise ValueError(f"{n} word ids but {len(sent)} sentence indices")
    window = max(1, int(window))
    keys, weights = [], []
    budget = MAX_PAIRS // 2
    for d in range(1, window + 1):
        same = np.flatnonzero(sent[: n - d] == sent[d:])[:budget]  # positions t with t + d inside
        budget -= len(same)
        a, b = ids[same], ids[same + d]
        keys += [a * vocab_size + b, b * vocab_size + a]
        weights += [np.full(2 * len(same), 1.0 / d)]
        if budget <= 0:
            break
    if not keys:
        return Cooccurrence(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), vocab_size)
    uniq, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate(weights), minlength=len(uniq))
    return Cooccurrence(uniq // vocab_size, uniq % vocab_size, counts, vocab_size)


def weighting(x, x_max: float = X_MAX, alpha: float = ALPHA):
    """f(x) = (x / x_max)^α, capped at 1 (numpy or torch, elementwise)."""
    if isinstance(x, torch.Tensor):
        return torch.clamp(x / x_max, max=1.0) ** alpha
    return np.minimum(np.asarray(x, dtype=np.float64) / x_max, 1.0) ** alpha


def glove_loss_direct(x: np.ndarray, theta: np.ndarray, e: np.ndarray, b: np.ndarray,
                      b2: np.ndarray, x_max: float = X_MAX, alpha: float = ALPHA) -> float:
    """J written as in the paper, summed with loops over the nonzero x_ij of a dense (V, V) x."""
    total = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if x[i, j] > 0:
                f = min(1.0, (x[i, j] / x_max) ** alpha)
                total += f * (theta[i] @ e[j] + b[i] + b2[j] - math.log(x[i, j])) ** 2
    return float(total)


class GloVe:
    """The parameters θ (V, E), e (V, E), b (V,), b' (V,) and their AdaGrad sums."""

    def __init__(self, cooc: Cooccurrence, embed_size: int, *, x_max: float = X_MAX,
                 alpha: float = ALPHA, lr: float = LR, batch: int = BATCH, seed: int = 0,
                 dtype=torch.float32):
        v, d = cooc.vocab_size, int(embed_size)
        self.gen = torch.Generator().manual_seed(int(seed))
        # uniform in ±0.5 / E, as the reference implementation starts
        init = lambda *shape: (torch.rand(*shape, generator=self.gen, dtype=dtype) - 0.5) / d
        self.theta, self.e = init(v, d), init(v, d)
        self.b, self.b2 = init(v), init(v)
        # AdaGrad's running sums of squared gradients; 1 as in the reference glove.c
        self.g2 = [torch.ones_like(p) for p in (self.theta, self.e, self.b, self.b2)]
        self.rows = torch.as_tensor(cooc.rows)
        self.cols = torch.as_tensor(cooc.cols)
        x = torch.as_tensor(cooc.counts, dtype=dtype)
        self.logx = torch.log(x)
        self.f = weighting(x, x_max, alpha)
        self.x_max, self.alpha, self.lr, self.batch = float(x_max), float(alpha), lr, int(batch)
        self.nonzeros = len(cooc.counts)
        self._order = torch.empty(0, dtype=torch.long)
        self._pos = 0
        self.epoch = 0.0  # passes over the nonzero entries so far

    @property
    def params(self) -> list[torch.Tensor]:
        return [self.theta, self.e, self.b, self.b2]

    def _next_batch(self) -> torch.Tensor:
        """The next ``batch`` nonzero entries of a shuffled pass (a new shuffle every pass)."""
        if self._pos >= len(self._order):
            self._order = torch.randperm(self.nonzeros, generator=self.gen)
            self._pos = 0
        k = self._order[self._pos: self._pos + self.batch]
        self._pos += len(k)
        self.epoch += len(k) / max(self.nonzeros, 1)
        return k

    def residual(self, k: torch.Tensor) -> torch.Tensor:
        """θ_iᵀ e_j + b_i + b'_j − log x_ij over the entries ``k`` (B,)."""
        i, j = self.rows[k], self.cols[k]
        return (self.theta[i] * self.e[j]).sum(1) + self.b[i] + self.b2[j] - self.logx[k]

    def loss(self, k: torch.Tensor | None = None) -> float:
        """J over the entries ``k`` (all nonzero x_ij when None)."""
        k = torch.arange(self.nonzeros) if k is None else k
        return float((self.f[k] * self.residual(k) ** 2).sum())

    def gradients(self, k: torch.Tensor) -> tuple[float, list[torch.Tensor]]:
        """J over the entries ``k`` and ∂J/∂(θ, e, b, b') (dense, rows summed over repeats)."""
        i, j = self.rows[k], self.cols[k]
        r = self.residual(k)  # (B,)
        fr = self.f[k] * r
        g = 2 * fr  # ∂J/∂r
        d_theta = torch.zeros_like(self.theta).index_add_(0, i, g[:, None] * self.e[j])
        d_e = torch.zeros_like(self.e).index_add_(0, j, g[:, None] * self.theta[i])
        d_b = torch.zeros_like(self.b).index_add_(0, i, g)
        d_b2 = torch.zeros_like(self.b2).index_add_(0, j, g)
        return float((fr * r).sum()), [d_theta, d_e, d_b, d_b2]

    def step(self) -> float:
        """One AdaGrad update on the next minibatch; returns its mean weighted squared error."""
        k = self._next_batch()
        loss, grads = self.gradients(k)
        for p, g, s in zip(self.params, grads, self.g2):
            s += g * g
            p -= self.lr * g / torch.sqrt(s)
        return loss / max(len(k), 1)

    def vectors(self) -> np.ndarray:
        """θ + e, (V, E) float32: the word vectors GloVe reports."""
        return (self.theta + self.e).numpy().astype(np.float32)
