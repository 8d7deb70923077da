"""Attention scores and a masked softmax: how much each output step looks at each input.

For a decoder query h_t (Hq) and encoder outputs (keys) k_s (Hk), a score e_{t,s} is turned into
weights alpha_{t,s} = softmax_s(e_{t,s}) over the *real* (unpadded) positions and a context
c_t = sum_s alpha_{t,s} k_s. Scores (Luong, Pham and Manning 2015, "Effective approaches to
attention-based neural machine translation", Sec. 3.1; Bahdanau, Cho and Bengio 2015):

- ``dot``:      e = h_t . k_s                        (needs Hq = Hk)
- ``general``:  e = h_t . (W_a k_s)                   (bilinear, "general" in Luong et al.)
- ``additive``: e = v_a . tanh(W_q h_t + W_k k_s)     (Bahdanau et al.'s alignment model)

Padded positions are filled with -inf before the softmax, so their weight is exactly 0; a row
with no real position at all (an empty input) gets all-zero weights instead of NaN.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

SCORES = ("dot", "general", "additive")


def masked_softmax(scores: Tensor, mask: Tensor) -> Tensor:
    """softmax over the last axis of ``scores`` (..., S) where ``mask`` (..., S) is True.

    Masked entries are exactly 0 and each row with at least one real entry sums to 1; rows with
    none are all 0 (and their gradient is 0, never NaN).
    """
    mask = mask.to(torch.bool).expand_as(scores)
    any_real = mask.any(dim=-1, keepdim=True)  # (..., 1)
    filled = scores.masked_fill(~mask, float("-inf"))
    filled = filled.masked_fill(~any_real, 0.0)  # an all-masked row would be softmax(-inf) = NaN
    weights = torch.softmax(filled, dim=-1)
    return weights.masked_fill(~mask, 0.0)


def row_entropy(weights: Tensor, eps: float = 1e-12) -> Tensor:
    """-sum_s a_s log a_s per row (nats), with 0 log 0 = 0: low = sharp, log S = uniform."""
    return -(weights * torch.log(weights.clamp_min(eps))).sum(dim=-1)


class Attention(nn.Module):
    """Scores queries (B, T, Hq) against keys (B, S, Hk); returns context and weights."""

    def __init__(self, kind: str, query_size: int, key_size: int, attn_size: int | None = None):
        super().__init__()
        if kind not in SCORES:
            raise ValueError(f"unknown attention {kind!r}; choose one of {', '.join(SCORES)}")
        if kind == "dot" and query_size != key_size:
            raise ValueError(f"dot attention needs equal query and key sizes, got "
                             f"{query_size} and {key_size}")
        self.kind = kind
        if kind == "general":
            self.W_a = nn.Linear(key_size, query_size, bias=False)
        elif kind == "additive":
            attn_size = attn_size or query_size
            self.W_q = nn.Linear(query_size, attn_size, bias=False)
            self.W_k = nn.Linear(key_size, attn_size, bias=True)
            self.v_a = nn.Linear(attn_size, 1, bias=False)

    def project_keys(self, keys: Tensor) -> Tensor:
        """The part of the scores that depends on the keys alone, (B, S, ·): W_k k_s
        (additive), W_a k_s (general), the keys themselves (dot). A decoder computes it once
        per input and hands it to every output step (``projected``)."""
        if self.kind == "additive":
            return self.W_k(keys)
        if self.kind == "general":
            return self.W_a(keys)
        return keys

    def scores(self, query: Tensor, keys: Tensor, projected: Tensor | None = None) -> Tensor:
        """query (B, T, Hq), keys (B, S, Hk) -> e (B, T, S); ``projected``:
        ``project_keys(keys)`` if already computed."""
        k = self.project_keys(keys) if projected is None else projected
        if self.kind != "additive":
            return query @ k.transpose(1, 2)  # (B, T, Hq) x (B, Hq, S)
        q = self.W_q(query).unsqueeze(2)  # (B, T, 1, A)
        return self.v_a(torch.tanh(q + k.unsqueeze(1))).squeeze(-1)  # (B, T, S)

    def forward(self, query: Tensor, keys: Tensor, mask: Tensor,
                projected: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """mask (B, S) True at real positions. Returns context (B, T, Hk), weights (B, T, S)."""
        weights = masked_softmax(self.scores(query, keys, projected), mask.unsqueeze(1))
        return weights @ keys, weights
