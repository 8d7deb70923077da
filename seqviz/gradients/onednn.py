"""Float32 matrix products through oneDNN where torch has it, else through ``F.linear``.

On the machines we measure (AMD EPYC, torch 2.13 CPU wheel) torch's ``mm`` goes to MKL's sgemm,
which runs these RNN-sized products (a few thousand rows, 128-512 columns) at about half the
speed oneDNN reaches on the same core: 2.46 vs 1.05 ms for (2048 x 128) @ (128 x 512), and
2.8 vs 1.8 ms for 64 sequential (32 x 512) @ (512 x 128) products with a pre-packed weight.
torch's fused RNN kernels already use oneDNN; this module lets the hand-written backward in
``seqviz.gradients.bptt`` use it too.

Used only without autograd (the oneDNN op has no derivative here). Anything it does not handle,
or a build without oneDNN, falls back to ``torch.nn.functional.linear``; the first use checks
the oneDNN result against that fallback once and gives up on oneDNN if they disagree.
"""

from __future__ import annotations

import threading

import torch
from torch import Tensor
from torch.nn import functional as F

_state: dict[str, bool] = {}
_lock = threading.Lock()


def _ops():
    ops = getattr(torch.ops, "mkldnn", None)
    return getattr(ops, "_linear_pointwise", None), getattr(ops, "_reorder_linear_weight", None)


def available() -> bool:
    """True when oneDNN products are usable and agree with ``F.linear`` (checked once)."""
    with _lock:
        if "ok" not in _state:
            _state["ok"] = _self_check()
        return _state["ok"]


def _self_check() -> bool:
    product, reorder = _ops()
    if product is None or reorder is None or not torch.backends.mkldnn.is_available():
        return False
    try:
        g = torch.Generator().manual_seed(0)
        x, w, b = (torch.randn(s, generator=g) for s in ((7, 33), (19, 33), (19,)))
        want = F.linear(x, w, b)
        got = [product(x, w, b, "none", [], ""), product(x, reorder(w, 7), b, "none", [], "")]
        return all(torch.allclose(r, want, rtol=1e-4, atol=1e-4) for r in got)
    except (RuntimeError, NotImplementedError):
        return False


def _eligible(*tensors: Tensor) -> bool:
    """float32 CPU tensors with autograd off (the oneDNN op records no graph)."""
    return (not torch.is_grad_enabled() and all(
        t.dtype == torch.float32 and t.device.type == "cpu" for t in tensors) and available())


def linear(x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
    """``F.linear(x, w, b)`` = x @ w.T + b, through oneDNN for float32 CPU tensors."""
    if _eligible(x, w, *([] if b is None else [b])):
        return _ops()[0](x, w, b, "none", [], "")
    return F.linear(x, w, b)


PACK_MIN_ENTRIES = 40_000  # below this MKL's mm wins: (32 x 128) @ (128 x 128) 12 vs 16 us


class Packed:
    """A weight used for many products with the same number of rows, e.g. every step of a
    recurrence: oneDNN reorders it once into its blocked layout. ``packed(x)`` = x @ w.T.

    Small weights (an RNN's 128 x 128) stay with ``F.linear``, which is faster there; from
    (512 x 128), an LSTM's W_hh, oneDNN is 1.5x faster (1.9 vs 2.9 ms for 64 steps)."""

    def __init__(self, w: Tensor, rows: int) -> None:
        self.w = w
        self.fast = _eligible(w) and w.numel() >= PACK_MIN_ENTRIES
        self.packed = _ops()[1](w, rows) if self.fast else None

    def __call__(self, x: Tensor) -> Tensor:
        if self.fast:
            return _ops()[0](x, self.packed, None, "none", [], "")
        return F.linear(x, self.w)
