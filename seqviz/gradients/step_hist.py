"""Histograms of every row of a (T, N) tensor on shared bins, one ``bincount`` per chunk.

The gradient-flow page draws, for every time step t, the distribution of the entries of a
per-step tensor (dL/dh_t, or the step-t term of dL/dW_hh) as a time x value density. Bins are
chosen per call and described in words, so a change of range is never mistaken for vanishing.
Also here: per-row norms that stay exact when float32 squares would overflow or underflow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from seqviz.i18n import _

HIST_BINS = 41


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
        """The bins and range in words (translated), printed on the figure so a new range is
        never mistaken for vanishing."""
        bins = len(self.edges) - 1
        if self.scale == "log":
            return _("{bins} bins of log10|g| from 1e{lo} to 1e{hi} ({width} decades each)"
                     ).format(bins=bins, lo=f"{self.edges[0]:.1f}", hi=f"{self.edges[-1]:.1f}",
                              width=f"{self.width:.2g}")
        return _("{bins} bins over ±{top}, width {width}").format(
            bins=bins, top=f"{self.edges[-1]:.3g}", width=f"{self.width:.3g}")

    def aside_text(self) -> str:
        """What was counted but not binned ("" when nothing)."""
        extra = []
        if self.zeros.sum():
            extra.append(_("{n} exact zeros").format(n=f"{int(self.zeros.sum()):,}"))
        if self.nonfinite.sum():
            extra.append(_("{n} NaN/inf entries").format(n=f"{int(self.nonfinite.sum()):,}"))
        return _("not drawn: {what}").format(what=" · ".join(extra)) if extra else ""

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
    """Counts (rows, bins) by ``bincount``: entry -> bin slot 1 + floor((v - lo) * bins / width).

    Each row owns bins + 2 slots; the outer two catch rounding at the range ends (the maximum
    itself lands on the top edge). Slots are int32, several times faster than int64 here.
    Without entries to leave out, entry k of a row's first half and entry k of its second half
    are counted as one pair (a, b) -> one slot of (bins + 2)^2: that halves the work of
    ``bincount``, the slowest step, and both halves are contiguous, so forming the pair is one
    vectorised pass.
    """
    rows, n = v.shape
    step = max(1, BIN_CHUNK_ENTRIES // max(n, 1))
    if rows > step:  # a few rows at a time: their temporaries stay small and in cache
        return np.concatenate([
            _bin_rows(v[a:a + step], None if drop is None else drop[a:a + step], lo, hi, bins)
            for a in range(0, rows, step)])
    slots = bins + 2
    scale = bins / (hi - lo)
    idx = torch.add(torch.tensor(1 - lo * scale, dtype=v.dtype), v, alpha=scale).to(torch.int32)
    if drop is None and n % 2 == 0 and rows * slots * slots <= PAIR_SLOTS:
        half = n // 2
        pair = torch.add(idx[:, half:], idx[:, :half], alpha=slots)  # (rows, n / 2): a S + b
        pair += torch.arange(0, rows * slots * slots, slots * slots,
                             dtype=torch.int32).unsqueeze(1)
        raw = torch.bincount(pair.view(-1), minlength=rows * slots * slots)
        raw = raw[: rows * slots * slots].view(rows, slots, slots)
        raw = (raw.sum(2) + raw.sum(1)).numpy()
    else:
        idx += torch.arange(0, rows * slots, slots, dtype=torch.int32).unsqueeze(1)
        if drop is not None:
            idx = idx[~drop]  # left out of the picture; counted by the caller
        raw = torch.bincount(idx.flatten(), minlength=rows * slots)[: rows * slots]
        raw = raw.view(rows, slots).numpy()
    counts = raw[:, 1:-1].copy()
    counts[:, 0] += raw[:, 0]
    counts[:, -1] += raw[:, -1]
    return counts.astype(np.int64)


BIN_CHUNK_ENTRIES = 1 << 18  # entries binned per call: 1 MB of float32
PAIR_SLOTS = 1 << 18  # pair counting while its table (int64) stays within 2 MB


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


SAFE_NORM = (1e-12, 1e18)  # float32 sums of squares are exact enough between these norms


def row_norms(v: Tensor) -> np.ndarray:
    """The 2-norm of every row of v (rows, N), as float64.

    Summed in float32, which is about 50x faster than converting every entry to float64 here.
    Rows whose float32 norm is outside ``SAFE_NORM`` (squares that overflow to inf or vanish
    below float32's range) are summed again after dividing by their largest |entry|, so an
    exploding or vanished gradient still gets its true norm. NaN entries give NaN, inf gives inf.
    """
    v = v.detach()
    if v.dtype == torch.float64 or v.size(0) == 0:
        return torch.linalg.vector_norm(v, dim=1, dtype=torch.float64).numpy()
    norms = torch.linalg.vector_norm(v, dim=1)
    redo = ~((norms >= SAFE_NORM[0]) & (norms <= SAFE_NORM[1])) & ~torch.isnan(norms)
    norms = norms.double()
    if bool(redo.any()):
        rows = v[redo]
        top = rows.abs().amax(dim=1, keepdim=True)  # inf when the row holds an inf entry
        unit = torch.linalg.vector_norm(rows / torch.where(top > 0, top, 1.0), dim=1)
        again = unit.double() * top.squeeze(1).double()
        norms[redo] = torch.where(torch.isinf(top.squeeze(1)), math.inf, again)
    return norms.numpy()
