"""Connectionist temporal classification, written out: the blank, the collapse rule, the trellis
of alignments and its forward and backward variables (Graves, Fernández, Gomez and Schmidhuber
2006, "Connectionist temporal classification: labelling unsegmented sequence data with recurrent
neural networks"; Graves 2012, ch. 7).

A network reads T frames and gives per-frame log-probabilities over the K symbols plus a blank
(id 0). A *path* is one symbol or blank per frame; the collapse rule B merges repeats, then drops
blanks: B("aa-ab--b") = B("a-ab-b") = "aabb", but B("aab") = "ab". A repeat in the label ("aa")
therefore needs a blank between its two symbols on the path.
CTC's probability of a label l is the sum over every path that collapses to it:
``p(l | x) = sum_{pi: B(pi) = l} prod_t y_t(pi_t)``; the loss is ``-log p(l | x)``.

The sum runs on a trellis over the *extended* label l' = (-, l1, -, l2, ..., lL, -) of
S' = 2L + 1 states: from state s at frame t a path stays (s), moves on (s + 1), or skips a blank
(s + 2) when l'_{s+2} is a symbol different from l'_s. The forward variable
``alpha_t(s) = p(prefix l'_{1:s} emitted by frames 1..t, ending in state s)`` obeys
``alpha_t(s) = y_t(l'_s) * (alpha_{t-1}(s) + alpha_{t-1}(s-1) + [skip] alpha_{t-1}(s-2))``, and
``p(l | x) = alpha_T(S') + alpha_T(S'-1)``. Everything here runs in log space (float64 for the
figures and tests). The backward variable ``beta_t(s)`` (the frames after t, from state s at t)
gives each state's share of all alignments, ``gamma_t(s) = alpha_t(s) beta_t(s) / p(l | x)``:
its per-frame sum over the states of symbol k, minus y_t(k), is the gradient of the loss with
respect to the logits (tests check it against autograd). Training uses
``torch.nn.functional.ctc_loss`` (one fused kernel); ``ctc_loss`` here is the same number, the
readable way (tested in float64, values and gradients).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from seqviz.ctc.symbols import BLANK

NEG_INF = -math.inf
LOG_ZERO = -1e30  # "log 0" inside the recursions: finite, so no 0 * inf = nan in the gradients


def extend(label: Sequence[int], blank: int = BLANK) -> list[int]:
    """l -> l' = (blank, l1, blank, l2, ..., lL, blank): S' = 2L + 1 states."""
    out = [blank]
    for k in label:
        out += [int(k), blank]
    return out


def can_skip(ext: Sequence[int], blank: int = BLANK) -> list[bool]:
    """Whether state s may be entered from s - 2 (skipping the blank between two symbols): only
    onto a symbol that differs from the one two states back ("ab" may skip, "aa" may not)."""
    return [s >= 2 and ext[s] != blank and ext[s] != ext[s - 2] for s in range(len(ext))]


def collapse(path: Sequence[int], blank: int = BLANK) -> tuple[int, ...]:
    """The collapse rule B: merge runs of the same id, then drop blanks."""
    out, prev = [], None
    for k in path:
        k = int(k)
        if k != prev and k != blank:
            out.append(k)
        prev = k
    return tuple(out)


def min_frames(label: Sequence[int]) -> int:
    """The fewest frames a path for ``label`` needs: one per symbol plus a blank per repeat."""
    return len(label) + sum(1 for a, b in zip(label, label[1:]) if a == b)


def count_alignments(frames: int, label: Sequence[int]) -> int:
    """How many paths of ``frames`` frames collapse to ``label`` (the trellis with every y = 1;
    exact, Python integers)."""
    ext = extend(label)
    skip = can_skip(ext)
    a = [1, 1 if len(ext) > 1 else 0] + [0] * (len(ext) - 2)
    if frames < 1:
        return 0
    for _t in range(1, frames):
        a = [a[s] + (a[s - 1] if s >= 1 else 0) + (a[s - 2] if skip[s] else 0)
             for s in range(len(ext))]
    return a[-1] + (a[-2] if len(ext) > 1 else 0)


# ---- the batched recursions (torch, log space) ------------------------------------------------
def _extended_batch(targets: Tensor, target_lengths: Tensor, blank: int
                    ) -> tuple[Tensor, Tensor, Tensor]:
    """(ext (B, S'), skip (B, S') bool, valid (B, S') bool) for padded targets (B, L_max)."""
    batch, lmax = targets.size(0), targets.size(1) if targets.dim() == 2 else 0
    ext = torch.full((batch, 2 * lmax + 1), blank, dtype=torch.long, device=targets.device)
    if lmax:
        ext[:, 1::2] = targets
    skip = torch.zeros_like(ext, dtype=torch.bool)
    if lmax > 1:
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    valid = torch.arange(2 * lmax + 1, device=targets.device)[None, :] \
        < (2 * target_lengths[:, None] + 1)  # (B, S') states of each item's own label
    return ext, skip, valid


def _shift(x: Tensor, k: int) -> Tensor:
    """x[:, s - k] with -inf for s < k (the states a path comes from)."""
    if k >= x.size(1):  # e.g. the empty label: one state, nothing to come from
        return torch.full_like(x, LOG_ZERO)
    return torch.cat([x.new_full((x.size(0), k), LOG_ZERO), x[:, :-k]], dim=1)


def forward_variables(log_probs: Tensor, targets: Tensor, input_lengths: Tensor,
                      target_lengths: Tensor, blank: int = BLANK) -> Tensor:
    """log alpha (T, B, S') for log_probs (T, B, C), padded targets (B, L_max).

    alpha_t(s) = y_t(l'_s) (alpha_{t-1}(s) + alpha_{t-1}(s-1) + [skip_s] alpha_{t-1}(s-2)).
    Frames past an item's own length keep its last alpha (so alpha[T-1] holds its final one).
    """
    T, batch, _c = log_probs.shape
    ext, skip, valid = _extended_batch(targets, target_lengths, blank)
    emit = log_probs.gather(2, ext[None].expand(T, -1, -1))  # (T, B, S') log y_t(l'_s)
    start = torch.full_like(emit[0], LOG_ZERO)  # (B, S'): a path starts in state 0 or 1
    start[:, 0] = emit[0, :, 0]
    if ext.size(1) > 1:
        start[:, 1] = emit[0, :, 1]
    alpha = [start.masked_fill(~valid, LOG_ZERO)]
    for t in range(1, T):
        prev = alpha[-1]
        inflow = torch.logsumexp(torch.stack([
            prev, _shift(prev, 1), _shift(prev, 2).masked_fill(~skip, LOG_ZERO)]), dim=0)
        nxt = (inflow + emit[t]).masked_fill(~valid, LOG_ZERO)  # (B, S')
        live = (t < input_lengths)[:, None]  # (B, 1) items still reading frames
        alpha.append(torch.where(live, nxt, prev))
    return torch.stack(alpha)


def backward_variables(log_probs: Tensor, targets: Tensor, input_lengths: Tensor,
                       target_lengths: Tensor, blank: int = BLANK) -> Tensor:
    """log beta (T, B, S'): beta_t(s) = p(frames t+1..T finish the label | state s at t),
    the emission of frame t excluded, so gamma_t(s) = alpha_t(s) beta_t(s) / p(l | x).

    beta_t(s) = sum over s' in {s, s + 1, s + 2 if it may be skipped to} of
    y_{t+1}(l'_{s'}) beta_{t+1}(s'); at an item's last frame beta is 1 in the final two states.
    """
    T, batch, _c = log_probs.shape
    ext, skip, valid = _extended_batch(targets, target_lengths, blank)
    emit = log_probs.gather(2, ext[None].expand(T, -1, -1))  # (T, B, S')
    states = torch.arange(ext.size(1), device=ext.device)[None, :]
    last = 2 * target_lengths[:, None]  # (B, 1) index of the final blank
    end = torch.where((states == last) | (states == last - 1), 0.0, LOG_ZERO).to(emit.dtype)
    end = end.expand(batch, -1).masked_fill(~valid, LOG_ZERO)  # (B, S') at each last frame
    skip_to = torch.zeros_like(skip)  # (B, S') skip[s + 2]: may s + 2 be entered from s?
    if skip.size(1) > 2:
        skip_to[:, :-2] = skip[:, 2:]
    beta = [end] * T
    for t in range(T - 2, -1, -1):
        into = beta[t + 1] + emit[t + 1]  # (B, S') beta_{t+1}(s') y_{t+1}(l'_{s'})
        back = torch.logsumexp(torch.stack([
            into, _unshift(into, 1), _unshift(into, 2).masked_fill(~skip_to, LOG_ZERO)]), dim=0)
        done = (t >= input_lengths - 1)[:, None]  # (B, 1) frames at or past an item's end
        beta[t] = torch.where(done, end, back.masked_fill(~valid, LOG_ZERO))
    return torch.stack(beta)


def _unshift(x: Tensor, k: int) -> Tensor:
    """x[:, s + k] with -inf past the end (the states a path goes to)."""
    if k >= x.size(1):
        return torch.full_like(x, LOG_ZERO)
    return torch.cat([x[:, k:], x.new_full((x.size(0), k), LOG_ZERO)], dim=1)


def label_log_prob(log_alpha: Tensor, input_lengths: Tensor, target_lengths: Tensor) -> Tensor:
    """log p(l | x) (B,): alpha at each item's last frame, in its last two states."""
    final = log_alpha[input_lengths - 1, torch.arange(log_alpha.size(1))]  # (B, S')
    last = 2 * target_lengths
    two = torch.stack([final.gather(1, last[:, None])[:, 0],
                       final.gather(1, (last - 1).clamp(min=0)[:, None])[:, 0]
                       .masked_fill(target_lengths == 0, LOG_ZERO)])
    return torch.logsumexp(two, dim=0)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Tensor, target_lengths: Tensor,
             blank: int = BLANK, reduction: str = "mean") -> Tensor:
    """``-log p(l | x)`` per item, like ``torch.nn.functional.ctc_loss``: ``"mean"`` divides
    each by its label length, then averages; ``"sum"`` adds; ``"none"`` returns (B,)."""
    alpha = forward_variables(log_probs, targets, input_lengths, target_lengths, blank)
    nll = -label_log_prob(alpha, input_lengths, target_lengths)
    nll = torch.where(nll > -LOG_ZERO / 2, math.inf, nll)  # no alignment fits: p = 0
    if reduction == "none":
        return nll
    if reduction == "sum":
        return nll.sum()
    if reduction == "mean":
        return (nll / target_lengths.clamp(min=1).to(nll.dtype)).mean()
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


# ---- one utterance's trellis, for the figures ---------------------------------------------------
@dataclass(frozen=True)
class Trellis:
    """One utterance's trellis: rows are the extended label's states, columns frames."""

    ext: tuple[int, ...]  # (S',) the extended label
    log_alpha: np.ndarray  # (T, S') float64
    log_beta: np.ndarray  # (T, S')
    gamma: np.ndarray  # (T, S') state occupancy: each row sums to 1 (when p > 0)
    log_p: float  # log p(l | x)
    alignments: int  # how many paths collapse to the label (exact)

    @property
    def reachable(self) -> np.ndarray:
        """(T, S') cells that lie on at least one complete alignment."""
        return np.isfinite(self.log_alpha) & np.isfinite(self.log_beta)


def trellis(log_probs, label: Sequence[int]) -> Trellis:
    """Forward and backward variables of one utterance: log_probs (T, C), label (L,)."""
    lp = torch.as_tensor(np.asarray(log_probs, dtype=np.float64))[:, None, :]  # (T, 1, C)
    T = lp.size(0)
    tgt = torch.tensor([list(label)], dtype=torch.long).reshape(1, len(label))
    lens, tlens = torch.tensor([T]), torch.tensor([len(label)])
    alpha = forward_variables(lp, tgt, lens, tlens)[:, 0]  # (T, S')
    beta = backward_variables(lp, tgt, lens, tlens)[:, 0]
    log_p = float(label_log_prob(alpha[:, None], lens, tlens)[0])
    if log_p < LOG_ZERO / 2:  # too few frames for this label: no alignment at all
        log_p = NEG_INF
    gamma = torch.exp(alpha + beta - log_p) if math.isfinite(log_p) else torch.zeros_like(alpha)
    real = lambda x: np.where(x.numpy() < LOG_ZERO / 2, NEG_INF, x.numpy())  # noqa: E731
    return Trellis(tuple(extend(label)), real(alpha), real(beta), gamma.numpy(), log_p,
                   count_alignments(T, label))


@dataclass(frozen=True)
class Alignment:
    states: tuple[int, ...]  # (T,) the trellis state at each frame
    path: tuple[int, ...]  # (T,) the symbol or blank emitted at each frame
    log_prob: float


def best_alignments(log_probs, label: Sequence[int], k: int = 3) -> list[Alignment]:
    """The ``k`` most likely alignments of ``label`` (k-best Viterbi on the trellis: each cell
    keeps its k best partial paths), best first. Fewer when fewer exist."""
    lp = np.asarray(log_probs, dtype=np.float64)  # (T, C)
    ext = extend(label)
    skip = can_skip(ext)
    T, S = lp.shape[0], len(ext)
    emit = lp[:, ext]  # (T, S)
    # score[t][s] = list of (log p, previous state, rank at the previous state), best first
    score: list[list[list[tuple[float, int, int]]]] = [[[] for _s in range(S)] for _t in range(T)]
    score[0][0] = [(emit[0, 0], -1, -1)]
    if S > 1:
        score[0][1] = [(emit[0, 1], -1, -1)]
    for t in range(1, T):
        for s in range(S):
            cands = [(v + emit[t, s], src, r) for src in (s, s - 1, s - 2)
                     if src >= 0 and (src != s - 2 or skip[s])
                     for r, (v, _p, _q) in enumerate(score[t - 1][src])]
            cands.sort(key=lambda c: -c[0])
            score[t][s] = [c for c in cands[:k] if c[0] > NEG_INF]
    ends = [(v, s, r) for s in ({S - 1, S - 2} if S > 1 else {0})
            for r, (v, _p, _q) in enumerate(score[T - 1][s])]
    ends.sort(key=lambda c: -c[0])
    out = []
    for v, s, r in ends[:k]:
        states = [s]
        for t in range(T - 1, 0, -1):
            _v, s, r = score[t][s][r]
            states.append(s)
        states.reverse()
        out.append(Alignment(tuple(states), tuple(ext[x] for x in states), float(v)))
    return out
