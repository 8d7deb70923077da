"""The Markov assumption's limit, measured: a linear autoregression
x̂_t = a_1 x_{t-1} + ... + a_tau x_{t-tau} + b fitted by least squares on the training span for
each tau, and its one-step and k-step validation errors (numpy only; milliseconds).

On a random walk, tau = 1 is already as good as it gets (the walk is Markov of order one); on
a noisy periodic signal the error falls as tau grows, because a longer window averages the
noise away and sees more of each period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TAUS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
RIDGE = 1e-6  # keeps the normal equations solvable for a constant stretch of data


@dataclass(frozen=True)
class MarkovCurve:
    taus: np.ndarray  # (M,)
    one_step: np.ndarray  # (M,) validation MSE of x̂_{t}
    k_step: np.ndarray  # (M,) validation MSE of x̂_{o+k}, predictions fed back
    k: int


def _design(x: np.ndarray, ends: np.ndarray, tau: int) -> np.ndarray:
    """(N, tau + 1): x[e - tau + 1 .. e] and a 1 for the bias, per end index e."""
    idx = ends[:, None] - tau + 1 + np.arange(tau)
    return np.hstack([x[idx], np.ones((len(ends), 1))])


def fit(x: np.ndarray, train_end: int, tau: int) -> np.ndarray:
    """Least-squares coefficients (tau + 1,) on targets tau .. train_end - 1."""
    ends = np.arange(tau - 1, train_end - 1)
    a = _design(x, ends, tau)
    return np.linalg.solve(a.T @ a + RIDGE * np.eye(tau + 1), a.T @ x[ends + 1])


def rollout(x: np.ndarray, coef: np.ndarray, origins: np.ndarray, k: int) -> np.ndarray:
    """(N, k) predictions from each origin, fed back."""
    tau = len(coef) - 1
    window = _design(x, origins, tau)[:, :tau].copy()
    out = np.empty((len(origins), k))
    for j in range(k):
        out[:, j] = window @ coef[:tau] + coef[tau]
        window = np.hstack([window[:, 1:], out[:, j:j + 1]])
    return out


def markov_curve(x: np.ndarray, train_end: int, origins: np.ndarray, k: int,
                 taus=TAUS) -> MarkovCurve:
    """Validation errors of the least-squares AR(tau) for each tau that the data allows."""
    usable = [t for t in taus if t < train_end - 2]
    one, many = [], []
    targets = np.arange(train_end, len(x))
    for tau in usable:
        coef = fit(x, train_end, tau)
        one.append(float(np.mean((_design(x, targets - 1, tau) @ coef - x[targets]) ** 2)))
        pred = rollout(x, coef, origins, k)[:, k - 1]
        many.append(float(np.mean((pred - x[origins + k]) ** 2)))
    return MarkovCurve(np.array(usable), np.array(one), np.array(many), k)
