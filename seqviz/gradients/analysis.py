"""Why recurrent gradients vanish or explode: per-step norms, histograms, Jacobians, gates.

``seqviz.gradients.bptt`` differentiates a recurrent layer through time by hand; this module
turns one such pass into what the gradient-flow page draws. When the Jacobians dh_t/dh_{t-1} have
norms below 1 the total gradient shrinks geometrically with distance (0.9^50 ~ 0.005); above 1 it
grows (1.1^50 ~ 117): Bengio, Simard and Frasconi (1994); Pascanu, Mikolov and Bengio (2013),
"On the difficulty of training recurrent neural networks". Gates (Hochreiter & Schmidhuber
1997; Cho et al. 2014) add a path whose gain is a product of gate values instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from seqviz.gradients.bptt import BPTT, bptt
from seqviz.gradients.step_hist import HIST_BINS, StepHistogram, histogram_per_step, row_norms

__all__ = ["BPTT", "bptt", "HIST_BINS", "StepHistogram", "histogram_per_step", "row_norms",
           "REACH_RATIO", "weight_term_stats", "reach", "Why", "why", "spectral_radius",
           "recurrent_radii", "set_spectral_radius", "GradientSnapshot", "snapshot"]

REACH_RATIO = 1e-3  # "the gradient reaches back N steps": until it falls below 1e-3 of its max


CHUNK_ENTRIES = 1 << 18  # 1 MB of float32 per chunk of W_hh terms
KEEP_ENTRIES = 1 << 22  # up to 16 MB of terms are kept between the two passes, not remade


def weight_term_stats(tr: BPTT, bins: int = HIST_BINS, scale: str = "linear"
                      ) -> tuple[np.ndarray, StepHistogram]:
    """Frobenius norm (T,) and histogram of the step-t terms of dL/dW_hh, made a few steps at a
    time by batched matmuls rather than as one (T, G*H, H) tensor."""
    T, GH, H = tr.delta.size(0), tr.delta.size(2), tr.h_prev.size(2)
    chunk = max(1, CHUNK_ENTRIES // max(GH * H, 1))
    dt, hp = tr.delta.transpose(1, 2), tr.h_prev  # (T, GH, B), (T, B, H)
    norms = np.empty(T)

    def terms(a: int, b: int) -> Tensor:
        out = torch.bmm(dt[a:b], hp[a:b]).view(b - a, GH * H)  # (b - a) steps' terms
        norms[a:b] = row_norms(out)  # while the chunk is still in cache
        return out

    hist = histogram_per_step(terms, bins, scale, rows=T, chunk_rows=chunk,
                              keep=T * GH * H <= KEEP_ENTRIES)
    return norms, hist


# ---- why: distance, Jacobians, gates, spectral radius ------------------------------------------
def reach(norms: np.ndarray, ratio: float = REACH_RATIO) -> tuple[int, int | None]:
    """norms[d] = ||dL/dh|| at distance d = 0 .. T-1 back from the last step.

    Returns (reach, cut): cut is the first distance beyond the maximum where the norm falls
    below ``ratio`` times the maximum (None if it never does), reach = cut - 1 ("the gradient
    reaches back N steps"), or T - 1 when it never falls. Non-finite norms count as large.
    """
    norms = np.asarray(norms, dtype=float)
    finite = np.isfinite(norms)
    if not finite.any():
        return len(norms) - 1, None
    top = int(np.argmax(np.where(finite, norms, -np.inf)))
    below = np.flatnonzero(finite[top:] & (norms[top:] < ratio * norms[top]))
    if below.size == 0:
        return len(norms) - 1, None
    cut = top + int(below[0])
    return cut - 1, cut


@dataclass(frozen=True)
class Why:
    """Why the gradient shrinks or grows, per time step."""

    cell: str
    steps: np.ndarray  # time steps t where ``value`` was computed
    value: np.ndarray  # RNN: largest singular value of dh_t/dh_{t-1}; GRU: mean z_t; LSTM: mean f_t
    carry: np.ndarray | None  # (T,) gated cells: mean over units of prod_{k>t} gate_k
    label: str


def jacobian_budget(hidden_size: int) -> int:
    """How many (H, H) SVDs to spend per refresh (~25 ms on one core)."""
    return max(4, int(32 * (128 / max(hidden_size, 1)) ** 3))


def why(tr: BPTT, max_jacobians: int | None = None) -> Why:
    """RNN: sigma_max(diag(act'(pre_t)) W_hh) for the first sequence, at evenly spaced steps;
    gated cells: the gate on the carry path (LSTM forget f, GRU update z) and its product from
    each step to the end, the gain of that path (Hochreiter & Schmidhuber 1997)."""
    T, B, H = tr.dh.shape
    if tr.cell == "rnn":
        n = min(T, max_jacobians or jacobian_budget(H))
        steps = np.unique(np.linspace(0, T - 1, n).round().astype(int))
        jac = tr.gates["act_grad"][steps, 0].unsqueeze(-1) * tr.w_hh  # (n, H, H)
        sigma = torch.full((len(steps),), math.nan)
        ok = torch.isfinite(jac).flatten(1).all(1)
        if bool(ok.any()):
            sigma[ok] = torch.linalg.matrix_norm(jac[ok].double(), ord=2).float()
        return Why(tr.cell, steps, sigma.numpy(), None,
                   "largest singular value of the Jacobian dh_t/dh_{t-1}")
    gate = tr.gates["f" if tr.cell == "lstm" else "z"].double()  # (T, B, H)
    logs = torch.log(gate.clamp_min(1e-300))
    after = logs.flip(0).cumsum(0).flip(0) - logs  # sum_{k>t} log gate_k, (T, B, H)
    carry = torch.exp(after).mean(dim=(1, 2))
    name = "forget gate f" if tr.cell == "lstm" else "update gate z"
    return Why(tr.cell, np.arange(T), gate.mean(dim=(1, 2)).float().numpy(), carry.numpy(),
               f"mean {name}")


def spectral_radius(w: Tensor) -> float:
    """max |eigenvalue| of a square matrix, in float64."""
    return float(torch.linalg.eigvals(w.detach().double()).abs().max())


BLOCKS = {"rnn": ("W_hh",), "gru": ("W_hr", "W_hz", "W_hn"),
          "lstm": ("W_hi", "W_hf", "W_hg", "W_ho")}


def recurrent_radii(layer) -> dict[str, float]:
    """Spectral radius of each gate's (H, H) block of weight_hh_l0 (one block for the RNN)."""
    w = layer.weight_hh_l0.detach()
    blocks = w.split(w.size(1), dim=0)
    return {name: spectral_radius(b) for name, b in zip(BLOCKS[layer.cell_name], blocks)}


@torch.no_grad()
def set_spectral_radius(layer, radius: float) -> None:
    """Scale each gate's (H, H) block of every ``weight_hh`` so its spectral radius is
    ``radius`` (one block for the RNN, three for the GRU, four for the LSTM). An all-zero
    block is left alone."""
    if not (radius > 0 and math.isfinite(radius)):
        raise ValueError(f"spectral radius must be a positive number, got {radius}")
    for name, w in layer.named_parameters():
        if name.startswith("weight_hh"):
            for block in w.split(w.size(1), dim=0):  # views into w
                rho = spectral_radius(block)
                if rho > 0:
                    block.mul_(radius / rho)


# ---- one refresh of the page ------------------------------------------------------------------
@dataclass(frozen=True)
class GradientSnapshot:
    """Detached numpy results of one BPTT pass. Distances run back from the last step."""

    cell: str
    loss: float
    dh_norm: np.ndarray  # (T,) ||dL/dh_t|| over batch and units, indexed by t
    dh_hist: StepHistogram | None
    dw_norm: np.ndarray | None  # (T,) Frobenius norm of the step-t term of dL/dW_hh
    dw_hist: StepHistogram | None
    why: Why | None

    @property
    def norm_by_distance(self) -> np.ndarray:
        return self.dh_norm[::-1].copy()


def snapshot(layer, x: Tensor, loss_of_output: Callable[[Tensor], Tensor], *,
             detail: bool = True, bins: int = HIST_BINS, scale: str = "linear",
             with_why: bool = True) -> GradientSnapshot:
    """BPTT on one batch: per-step norms; with detail, both histograms and (with_why) the
    Jacobian / gate analysis. detail=False is for the side-by-side curves."""
    loss, tr = bptt(layer, x, loss_of_output)
    T = tr.dh.size(0)
    dh_norm = row_norms(tr.dh.reshape(T, -1))
    if not detail:
        return GradientSnapshot(tr.cell, float(loss), dh_norm, None, None, None, None)
    dh_hist = histogram_per_step(tr.dh.reshape(T, -1), bins, scale)
    dw_norm, dw_hist = weight_term_stats(tr, bins, scale)
    return GradientSnapshot(tr.cell, float(loss), dh_norm, dh_hist, dw_norm, dw_hist,
                            why(tr) if with_why else None)
