"""Backpropagation through time, step by step: per-timestep gradients and why they vanish.

For a one-layer recurrent net with loss L, BPTT (Werbos 1990) writes

    dL/dh_t    = dL/dout_t + (dh_{t+1}/dh_t)^T dL/dh_{t+1}          (the total gradient at t)
    dL/dW_hh   = sum_t  delta_t^T h_{t-1}                             (the BPTT sum)

with delta_t = dL/d(W_hh h_{t-1} + b_hh), (B, G*H). Each term of the sum is the step-t
contribution the textbook histograms show. When the Jacobians dh_t/dh_{t-1} have norms below 1
the total gradient shrinks geometrically with distance (0.9^50 ~ 0.005); above 1 it grows
(1.1^50 ~ 117): Bengio, Simard and Frasconi (1994); Pascanu, Mikolov and Bengio (2013), "On the
difficulty of training recurrent neural networks". Gates (Hochreiter & Schmidhuber 1997;
Cho et al. 2014) add a path whose gain is a product of gate values instead.

How it is computed (``bptt``): torch's fused kernel gives every h_t; the GRU / LSTM gates of
all steps are recomputed from them in one batched matmul (the RNN's act' is read off h itself);
the adjoint recurrence, the only sequential part, runs 2-6 small no-grad ops per step; the step
terms of dL/dW_hh come from batched matmuls, a few steps at a time, and every step's histogram
from one ``bincount`` per chunk. Tests check every number against ``torch.autograd.grad``
through seqviz's loop path. Shapes are time-major: (T, B, H).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import Tensor

REACH_RATIO = 1e-3  # "the gradient reaches back N steps": until it falls below 1e-3 of its max
HIST_BINS = 41


@dataclass
class BPTT:
    """Everything one backward pass through time produced, time-major. t = 0 .. T-1."""

    cell: str
    h_prev: Tensor  # (T, B, H) h_{t-1}; h_prev[0] = h_0
    dh: Tensor  # (T, B, H) total dL/dh_t through the recurrence
    delta: Tensor  # (T, B, G*H) dL/d(W_hh h_{t-1} + b_hh) at step t
    gates: dict[str, Tensor]  # (T, B, H): RNN "act_grad"; GRU "r", "z", "n"; LSTM "i","f","g","o"
    w_hh: Tensor  # (G*H, H)

    def step_grads(self) -> Tensor:
        """dL/dh_t batch-first (B, T, H), like ``Internals.step_grads``."""
        return self.dh.transpose(0, 1)

    def weight_hh_terms(self) -> Tensor:
        """The step-t terms of the BPTT sum for dL/dW_hh, (T, G*H, H); they sum to dL/dW_hh."""
        return torch.bmm(self.delta.transpose(1, 2), self.h_prev)  # (T, GH, B) @ (T, B, H)

    def bias_hh_terms(self) -> Tensor:
        return self.delta.sum(1)  # (T, G*H)


def _check_layer(layer) -> None:
    if layer.num_layers != 1 or layer.bidirectional or not layer.batch_first:
        raise ValueError("bptt handles one unidirectional batch_first layer, got "
                         f"num_layers={layer.num_layers}, bidirectional={layer.bidirectional}, "
                         f"batch_first={layer.batch_first}")


def _zero_state(layer, x: Tensor) -> Tensor:
    return x.new_zeros(x.size(0), layer.hidden_size)  # (B, H)


@torch.no_grad()
def _fused_hidden(layer, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor]:
    """Every h_t from torch's fused kernel: h (T, B, H) and h_prev (T, B, H), h_prev[0] = h_0."""
    state = (h0[None], c0[None]) if c0 is not None else h0[None]
    out, _ = layer(x, state)  # (B, T, H)
    h = out.transpose(0, 1)  # (T, B, H)
    return h, torch.cat([h0[None], h[:-1]], dim=0)


@torch.no_grad()
def _projections(layer, x: Tensor, h_prev: Tensor, split: bool) -> tuple[Tensor, Tensor | None]:
    """Input and recurrent projections of all steps in two matmuls: (T, B, G*H) each.

    split=False adds them (LSTM needs only the sum, one addmm); the GRU needs them apart.
    """
    T, B, H = h_prev.shape
    b_ih, b_hh = (layer.bias_ih_l0, layer.bias_hh_l0) if layer.bias else (None, None)
    gi = torch.nn.functional.linear(x.transpose(0, 1), layer.weight_ih_l0, b_ih)  # (T, B, GH)
    if split:
        return gi, torch.nn.functional.linear(h_prev, layer.weight_hh_l0, b_hh)
    if b_hh is not None:
        gi += b_hh
    pre = torch.addmm(gi.view(T * B, -1), h_prev.reshape(T * B, H), layer.weight_hh_l0.t())
    return pre.view(T, B, -1), None


def bptt(layer, x: Tensor, loss_of_output: Callable[[Tensor], Tensor],
         h0: Tensor | None = None, c0: Tensor | None = None) -> tuple[Tensor, BPTT]:
    """One backward pass through time for ``loss_of_output(out)``, out = layer(x)[0] (B, T, H).

    Returns (loss, BPTT). Only the loss head runs under autograd (for dL/dout_t); the recurrence
    is differentiated by hand below, in batch wherever the recurrence allows.
    """
    _check_layer(layer)
    cell = layer.cell_name
    h0 = _zero_state(layer, x) if h0 is None else h0
    if cell == "lstm":
        c0 = _zero_state(layer, x) if c0 is None else c0
    h, h_prev = _fused_hidden(layer, x, h0, c0)
    out = h.transpose(0, 1).detach().requires_grad_(True)  # (B, T, H)
    with torch.enable_grad():
        loss = loss_of_output(out)
        (direct,) = torch.autograd.grad(loss, out, allow_unused=True)  # (B, T, H): dL/dout_t
    if direct is None:  # a loss that ignores the output
        direct = torch.zeros_like(out)
    direct = direct.transpose(0, 1).contiguous()  # (T, B, H)
    w = layer.weight_hh_l0.detach()  # (GH, H)
    with torch.no_grad():
        if cell == "rnn":  # act'(pre) follows from h itself: no recomputation needed
            dh, delta, gates = _rnn_adjoint(layer.nonlinearity, h, direct, w)
        elif cell == "gru":
            gi, gh = _projections(layer, x, h_prev, split=True)
            dh, delta, gates = _gru_adjoint(h_prev, gi, gh, direct, w)
        else:
            pre, _ = _projections(layer, x, h_prev, split=False)
            dh, delta, gates = _lstm_adjoint(c0, pre, direct, w)
    return loss.detach(), BPTT(cell, h_prev, dh, delta, gates, w)


def _rnn_adjoint(nonlinearity: str, h: Tensor, direct: Tensor, w: Tensor):
    """h_t = act(pre_t): delta_t = act'(pre_t) * dL/dh_t; dL/dh_{t-1} += delta_t W_hh.

    tanh' = 1 - h^2 and relu' = [h > 0], both read off h itself.
    """
    a = (h > 0).to(h.dtype) if nonlinearity == "relu" else 1 - h * h  # (T, B, H) act'
    dh, delta = torch.empty_like(direct), torch.empty_like(direct)
    T = direct.size(0)
    for t in range(T - 1, -1, -1):
        if t == T - 1:
            dh[t] = direct[t]
        else:
            torch.addmm(direct[t], delta[t + 1], w, out=dh[t])  # (B, H)
        torch.mul(dh[t], a[t], out=delta[t])
    return dh, delta, {"act_grad": a}


def _gru_adjoint(h_prev: Tensor, gi: Tensor, gh: Tensor, direct: Tensor, w: Tensor):
    """h_t = (1 - z) n + z h_{t-1}, n = tanh(x_n + r (W_hn h_{t-1} + b_hn)) (torch's GRU).

    delta_t over (r, z, n) is dL/dh_t times a per-step factor computable in batch:
    r: (1-z)(1-n^2) hn r(1-r);  z: (h_{t-1} - n) z(1-z);  n: (1-z)(1-n^2) r.
    """
    x_r, x_z, x_n = gi.chunk(3, dim=-1)  # (T, B, H) each
    h_r, h_z, h_n = gh.chunk(3, dim=-1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    dn_pre = (1 - z) * (1 - n * n)  # d n-pre-activation / dh_t
    factor = torch.stack([dn_pre * h_n * r * (1 - r), (h_prev - n) * z * (1 - z),
                          dn_pre * r], dim=2)  # (T, B, 3, H)
    T, B, H = direct.shape
    dh = torch.empty_like(direct)
    delta = direct.new_empty(T, B, 3, H)
    for t in range(T - 1, -1, -1):
        if t == T - 1:
            dh[t] = direct[t]
        else:
            torch.addmm(direct[t], delta[t + 1].view(B, 3 * H), w, out=dh[t])
            dh[t].addcmul_(dh[t + 1], z[t + 1])  # the gated carry path z * h_{t-1}
        torch.mul(dh[t].unsqueeze(1), factor[t], out=delta[t])
    return dh, delta.view(T, B, 3 * H), {"r": r, "z": z, "n": n}


def _lstm_adjoint(c0: Tensor, pre: Tensor, direct: Tensor, w: Tensor):
    """c_t = f c_{t-1} + i g, h_t = o tanh(c_t) (torch's LSTM, gates i, f, g, o).

    The cell states come from one cheap elementwise scan; the adjoint carries dL/dc_t:
    dc_t = dh_t o (1 - tanh^2 c_t) + dc_{t+1} f_{t+1}.
    """
    T, B, H = direct.shape
    s = torch.sigmoid(pre)  # (T, B, 4H); the g slice is replaced by tanh below
    i, f, o = s[..., :H], s[..., H:2 * H], s[..., 3 * H:]
    g = torch.tanh(pre[..., 2 * H:3 * H])
    ig = i * g
    c = torch.empty_like(ig)  # (T, B, H)
    prev = c0
    for t in range(T):
        prev = torch.addcmul(ig[t], f[t], prev, out=c[t])
    c_prev = torch.cat([c0[None], c[:-1]], dim=0)
    tc = torch.tanh(c)
    dc_from_dh = o * (1 - tc * tc)  # (T, B, H)
    # delta_t = (dc_t * [g i(1-i), c_{t-1} f(1-f), i (1-g^2)], dh_t * tanh(c_t) o(1-o))
    factor = torch.stack([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g)], dim=2)
    factor_o = tc * o * (1 - o)  # (T, B, H)
    dh = torch.empty_like(direct)
    delta = direct.new_empty(T, B, 4, H)
    dhs, deltas, flat = dh.unbind(0), delta.unbind(0), delta.view(T, B, 4 * H).unbind(0)
    carry = torch.zeros_like(c0)  # dc_{t+1} f_{t+1}
    dhs[T - 1].copy_(direct[T - 1])
    for t in range(T - 1, -1, -1):
        if t < T - 1:
            torch.addmm(direct[t], flat[t + 1], w, out=dhs[t])  # (B, H)
        dc = torch.addcmul(carry, dhs[t], dc_from_dh[t])  # (B, H)
        torch.mul(dc.unsqueeze(1), factor[t], out=deltas[t][:, :3])
        torch.mul(dhs[t], factor_o[t], out=deltas[t][:, 3])
        carry = dc * f[t]
    gates = {"i": i, "f": f, "g": g, "o": o}
    return dh, delta.view(T, B, 4 * H), gates


# ---- histograms: one bincount for every step -------------------------------------------------
@dataclass(frozen=True)
class StepHistogram:
    """Counts of the entries of a per-step tensor, one row per time step, bins chosen per call.

    scale "linear": equal-width bins over [-m, m], m = the largest finite |value| of this call.
    scale "log": equal-width bins over log10 |value|; exact zeros are counted in ``zeros``.
    NaN / inf entries are never binned: ``nonfinite`` counts them per step.
    """

    counts: np.ndarray  # (T, bins) int64
    edges: np.ndarray  # (bins + 1,) value (linear) or log10 |value| (log) bin edges
    scale: str
    nonfinite: np.ndarray  # (T,) NaN / inf entries per step, not in counts
    zeros: np.ndarray  # (T,) exact zeros per step (log scale only; linear bins hold them)
    per_step: int  # entries per step

    @property
    def width(self) -> float:
        return float(self.edges[1] - self.edges[0])

    def bins_text(self) -> str:
        """The bins and range in words, printed on the figure so a new range is never mistaken
        for vanishing."""
        bins = len(self.edges) - 1
        if self.scale == "log":
            return (f"{bins} bins of log10|g| from 1e{self.edges[0]:.1f} to "
                    f"1e{self.edges[-1]:.1f} ({self.width:.2g} decades each)")
        return f"{bins} bins over ±{self.edges[-1]:.3g}, width {self.width:.3g}"

    def aside_text(self) -> str:
        """What was counted but not binned ("" when nothing)."""
        extra = []
        if self.zeros.sum():
            extra.append(f"{int(self.zeros.sum()):,} exact zeros")
        if self.nonfinite.sum():
            extra.append(f"{int(self.nonfinite.sum()):,} NaN/inf entries")
        return f"not drawn: {', '.join(extra)}" if extra else ""

    def describe(self) -> str:
        return "; ".join(t for t in (self.bins_text(), self.aside_text()) if t)


def _prepare(v: Tensor, scale: str):
    """Rows of values -> (what to bin, entries to leave out or None, NaN/inf counts, zero
    counts, (min, max) of what is binned or None)."""
    v = v.detach().float()
    rows = v.size(0)
    nonfinite = zeros = np.zeros(rows, dtype=np.int64)
    if v.numel() == 0:
        return v, None, nonfinite, zeros, None
    lo, hi = (float(a) for a in torch.aminmax(v.abs() if scale == "log" else v))
    if scale == "log":
        v = v.abs()
        if lo > 0 and math.isfinite(hi):
            v = torch.log10(v)
            return v, None, nonfinite, zeros, _extent(v, None)
        finite = torch.isfinite(v)  # zeros or NaN/inf present: count them, bin the rest
        nonfinite, zeros = (~finite).sum(1).numpy(), (v == 0).sum(1).numpy()
        drop = ~finite | (v == 0)
        v = torch.log10(v.masked_fill(drop, 1.0))
        return v, drop, nonfinite, zeros, _extent(v, drop)
    if math.isfinite(lo) and math.isfinite(hi):
        return v, None, nonfinite, zeros, (lo, hi)  # the common case: one pass so far
    drop = ~torch.isfinite(v)
    v = v.masked_fill(drop, 0.0)
    return v, drop, drop.sum(1).numpy(), zeros, _extent(v, drop)


def _extent(v: Tensor, drop: Tensor | None) -> tuple[float, float] | None:
    """(min, max) of the entries that will be binned, None when there are none."""
    if drop is not None:
        v = v[~drop]
    if v.numel() == 0:
        return None
    lo, hi = torch.aminmax(v)
    return float(lo), float(hi)


def _bin_rows(v: Tensor, drop: Tensor | None, lo: float, hi: float, bins: int) -> np.ndarray:
    """Counts (rows, bins) in one bincount: entry -> slot row * (bins + 2) + 1 + k.

    Each row owns bins + 2 slots; the outer two catch rounding at the range ends (the maximum
    itself lands on the top edge). int32 truncation is several times faster than int64 here.
    """
    rows = v.size(0)
    slots = bins + 2
    scale = bins / (hi - lo)
    idx = torch.add(torch.tensor(1 - lo * scale), v, alpha=scale).to(torch.int32)  # (rows, N)
    idx += torch.arange(0, rows * slots, slots, dtype=torch.int32).unsqueeze(1)
    if drop is not None:
        idx = idx[~drop]  # left out of the picture; counted by the caller
    raw = torch.bincount(idx.flatten(), minlength=rows * slots)[: rows * slots]
    raw = raw.view(rows, slots).numpy()
    counts = raw[:, 1:-1].copy()
    counts[:, 0] += raw[:, 0]
    counts[:, -1] += raw[:, -1]
    return counts.astype(np.int64)


def _bin_range(extents: list, scale: str) -> tuple[float, float]:
    """Bins for this refresh: symmetric ±max|g| (linear) or min..max log10|g| (log)."""
    extents = [e for e in extents if e is not None]
    if not extents:
        return (-1.0, 1.0) if scale == "linear" else (-1.0, 0.0)
    lo, hi = min(e[0] for e in extents), max(e[1] for e in extents)
    if scale == "linear":
        m = max(-lo, hi)
        return (-m, m) if m > 0 else (-1.0, 1.0)
    return (lo - 0.5, hi + 0.5) if hi - lo < 1e-6 else (lo, hi)


def histogram_per_step(values: Tensor | Callable[[int, int], Tensor], bins: int = HIST_BINS,
                       scale: str = "linear", rows: int | None = None,
                       chunk_rows: int | None = None, keep: bool = True) -> StepHistogram:
    """A histogram of each row of values (T, N) on bins shared by all rows.

    ``values`` may instead be a function (start, stop) -> those rows, with ``rows`` and
    ``chunk_rows`` given: rows are then made a chunk at a time, so a big tensor (e.g. every
    W_hh term) need not exist whole. keep=False makes each chunk twice (once for the range,
    once for the counts) instead of holding all of them.
    """
    if scale not in ("linear", "log"):
        raise ValueError(f"scale must be 'linear' or 'log', got {scale!r}")
    if bins < 1:
        raise ValueError(f"need bins >= 1, got {bins}")
    if isinstance(values, Tensor):
        if values.dim() != 2:
            raise ValueError(f"need values (T, N), got shape {tuple(values.shape)}")
        rows, chunk_rows = values.size(0), max(values.size(0), 1)
        make = lambda a, b: values[a:b]  # noqa: E731
    else:
        make = values
    spans = [(a, min(a + chunk_rows, rows)) for a in range(0, rows, chunk_rows)]
    kept, extents, nonfinite, zeros, width = [], [], [], [], 0
    for a, b in spans:
        v, drop, nf, zs, extent = _prepare(make(a, b), scale)
        extents.append(extent)
        nonfinite.append(nf)
        zeros.append(zs)
        width = v.size(1)
        kept.append((v, drop) if keep else None)
    lo, hi = _bin_range(extents, scale)
    counts = [_bin_rows(*(part or _prepare(make(a, b), scale)[:2]), lo, hi, bins)
              for part, (a, b) in zip(kept, spans)]
    def cat(parts, shape):
        return np.concatenate(parts) if parts else np.zeros(shape, np.int64)

    return StepHistogram(counts=cat(counts, (0, bins)), edges=np.linspace(lo, hi, bins + 1),
                         scale=scale, nonfinite=cat(nonfinite, 0), zeros=cat(zeros, 0),
                         per_step=width)


CHUNK_ENTRIES = 1 << 18  # 1 MB of float32 per chunk of W_hh terms
KEEP_ENTRIES = 1 << 22  # up to 16 MB of terms are kept between the two passes, not remade


def weight_term_stats(tr: BPTT, bins: int = HIST_BINS, scale: str = "linear"
                      ) -> tuple[np.ndarray, StepHistogram]:
    """Frobenius norm (T,) and histogram of the step-t terms of dL/dW_hh, made a few steps at a
    time by batched matmuls rather than as one (T, G*H, H) tensor."""
    T, GH, H = tr.delta.size(0), tr.delta.size(2), tr.h_prev.size(2)
    chunk = max(1, CHUNK_ENTRIES // max(GH * H, 1))
    dt, hp = tr.delta.transpose(1, 2), tr.h_prev  # (T, GH, B), (T, B, H)
    norms = torch.empty(T, dtype=torch.float64)

    def terms(a: int, b: int) -> Tensor:
        out = torch.bmm(dt[a:b], hp[a:b])  # (b - a, GH, H)
        norms[a:b] = torch.linalg.vector_norm(out, dim=(1, 2), dtype=torch.float64)
        return out.view(b - a, GH * H)

    hist = histogram_per_step(terms, bins, scale, rows=T, chunk_rows=chunk,
                              keep=T * GH * H <= KEEP_ENTRIES)
    return norms.numpy(), hist


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
    # float64: the entries of an exploding gradient fit float32 long after their squares don't
    dh_norm = torch.linalg.vector_norm(tr.dh, dim=(1, 2), dtype=torch.float64).numpy()
    if not detail:
        return GradientSnapshot(tr.cell, float(loss), dh_norm, None, None, None, None)
    dh_hist = histogram_per_step(tr.dh.reshape(T, -1), bins, scale)
    dw_norm, dw_hist = weight_term_stats(tr, bins, scale)
    return GradientSnapshot(tr.cell, float(loss), dh_norm, dh_hist, dw_norm, dw_hist,
                            why(tr) if with_why else None)
