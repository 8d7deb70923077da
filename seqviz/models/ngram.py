"""Count-based n-gram language models: the classical baseline an RNN has to beat.

An order-n model factorises P(w_1..w_m) = prod_i P(w_i | w_{i-n+1} .. w_{i-1}) and estimates
each factor from counts, smoothed so that unseen events keep some probability:

- ``"add-k"``: P(w | h) = (c(h w) + k) / (c(h) + k V), where c(h) = sum_w c(h w) counts h as a
  context. A history never seen in training backs off to the longest shorter history that was
  seen (the unigram level always is), again add-k smoothed. Every level sums to one.
- ``"kn"``: interpolated Kneser-Ney (Kneser & Ney 1995; Chen & Goodman 1998, eq. 26 with a
  single absolute discount D):

      P_k(w | h) = max(c_k(h w) - D, 0) / c_k(h) + D N1+(h .) / c_k(h) * P_{k-1}(w | h')

  where h' drops the oldest word of h. The highest order uses raw counts c; lower orders use
  continuation counts N1+(. h w) (the number of distinct words seen before h w), and the base
  case P_0(w) = 1 / V is uniform, so every token, including ``<unk>`` and tokens never seen,
  has non-zero probability. A history with c_k(h) = 0 passes all its mass to P_{k-1}.

Start-of-text convention: there is no ``<s>`` padding. Token i is predicted from the
``min(i, n - 1)`` tokens before it, by the model of that shorter order (so the first token gets
the unigram estimate, with raw counts at its top level for Kneser-Ney): position i < n - 1 is
scored exactly as an (i + 1)-gram model fitted on the same data would score it.

Implementation: each level's n-grams get dense ids by ``np.unique`` on ``history_id * V + w``
keys, which are therefore sorted, so fitting and scoring are vectorised (``searchsorted``)
rather than Python dicts: order 5 on 400k characters fits in well under a second.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

SMOOTHINGS = ("kn", "add-k")
MAX_ORDER = 9  # the feed-forward LM of the LM page reads up to 8 tokens: its n-gram is 9


def _as_array(ids) -> np.ndarray:
    if hasattr(ids, "detach"):  # torch tensor, without importing torch here
        ids = ids.detach().cpu().numpy()
    arr = np.asarray(ids, dtype=np.int64)
    if arr.ndim != 1:
        raise ValueError(f"Expected a 1-D sequence of token ids, got shape {arr.shape}")
    return arr


class NGramLM:
    """An order-``order`` n-gram LM over ids ``0 .. V-1``; ``fit`` then score or ``prob_dist``."""

    def __init__(self, order: int, smoothing: str = "kn", k: float = 1.0, discount: float = 0.75):
        if not (isinstance(order, (int, np.integer)) and 1 <= order <= MAX_ORDER):
            raise ValueError(f"order must be an integer from 1 to {MAX_ORDER}, got {order!r}")
        if smoothing not in SMOOTHINGS:
            raise ValueError(f"smoothing must be one of {SMOOTHINGS}, got {smoothing!r}")
        if not k > 0:
            raise ValueError(f"add-k needs k > 0, got {k}")
        if not 0 < discount <= 1:
            raise ValueError(f"Kneser-Ney needs a discount in (0, 1], got {discount}")
        self.order, self.smoothing = int(order), smoothing
        self.k, self.discount = float(k), float(discount)
        self.vocab_size = 0
        self._levels: list[dict[str, np.ndarray]] = []  # index k-1 holds level k

    @property
    def name(self) -> str:
        how = "Kneser-Ney" if self.smoothing == "kn" else f"add-{self.k:g}"
        return f"{self.order}-gram ({how})"

    @property
    def num_ngrams(self) -> list[int]:
        """Distinct k-grams seen in training, for k = 1 .. order."""
        return [len(lv["keys"]) for lv in self._levels]

    def fit(self, ids: Sequence[int], vocab_size: int) -> "NGramLM":
        """Count all 1..order-grams of the stream ``ids`` (values in ``0 .. vocab_size-1``)."""
        arr = _as_array(ids)
        self._check_ids(arr, vocab_size)
        if len(arr) == 0:
            raise ValueError("Cannot fit an n-gram model on an empty token stream.")
        V, n = int(vocab_size), len(arr)
        self.vocab_size, self._levels = V, []
        g_prev = None  # g_prev[i] = id of the (k-1)-gram ending at position i, or -1
        for k in range(1, self.order + 1):
            if k == 1:
                keys_at = arr  # (n,) the unigram key is the token itself (history id 0)
            else:
                keys_at = g_prev[k - 2 : n - 1] * V + arr[k - 1 :]  # (n-k+1,)
            keys, first, inv, counts = np.unique(
                keys_at, return_index=True, return_inverse=True, return_counts=True
            )
            if k >= 2:
                # The suffix of a distinct k-gram first seen ending at p is the (k-1)-gram
                # ending at p: one more distinct left context for that (k-1)-gram.
                below = self._levels[-1]
                suffix = g_prev[first + k - 1]
                below["cont"] = np.bincount(suffix, minlength=len(below["keys"])).astype(float)
                self._add_context_totals(below, "cont")
            g = np.full(n, -1, dtype=np.int64)
            g[k - 1 :] = inv.reshape(-1)
            n_hist = 1 if k == 1 else len(self._levels[-1]["keys"])
            level = {"keys": keys, "count": counts.astype(float), "hist": keys // V,
                     "n_hist": np.array(n_hist)}
            self._add_context_totals(level, "count")
            self._levels.append(level)
            g_prev = g
        return self

    @staticmethod
    def _add_context_totals(level: dict, which: str) -> None:
        # Per history id: c(h) = sum_w c(h w) and N1+(h .) = #{w : c(h w) > 0}.  (n_hist,)
        hist, c, n_hist = level["hist"], level[which], int(level["n_hist"])
        level[which + "_total"] = np.bincount(hist, weights=c, minlength=n_hist)
        level[which + "_types"] = np.bincount(hist, weights=(c > 0), minlength=n_hist)

    def _check_ids(self, arr: np.ndarray, vocab_size: int) -> None:
        if vocab_size < 1:
            raise ValueError(f"vocab_size must be >= 1, got {vocab_size}")
        if len(arr) and (arr.min() < 0 or arr.max() >= vocab_size):
            raise ValueError(
                f"Token ids must be in [0, {vocab_size}), got [{arr.min()}, {arr.max()}]"
            )

    def _require_fit(self) -> None:
        if not self._levels:
            raise RuntimeError("Call fit(ids, vocab_size) before scoring.")

    # ---- scoring a stream, vectorised over positions ----------------------------------------

    def _lookup_stream(self, arr: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per level k: history ids and k-gram ids at every position (-1 = unseen).  (m,) each."""
        V, m = self.vocab_size, len(arr)
        hists, grams = [], []
        prev = None
        for k, lv in enumerate(self._levels, start=1):
            if k == 1:
                hist = np.zeros(m, dtype=np.int64)  # the empty history always exists
            else:
                hist = np.full(m, -1, dtype=np.int64)
                hist[1:] = prev[:-1]  # history of the k-gram ending at i = (k-1)-gram at i-1
            gram = np.full(m, -1, dtype=np.int64)
            ok = hist >= 0
            key = hist[ok] * V + arr[ok]
            pos = np.searchsorted(lv["keys"], key)
            found = pos < len(lv["keys"])
            found[found] = lv["keys"][pos[found]] == key[found]
            gram[np.flatnonzero(ok)[found]] = pos[found]
            hists.append(hist)
            grams.append(gram)
            prev = gram
        return hists, grams

    def _kn_level(self, p_low, hist, gram, lv, which):
        """One interpolated KN step for arrays of positions; ``which`` = "count" or "cont"."""
        D = self.discount
        seen = hist >= 0
        hs = np.where(seen, hist, 0)
        total = np.where(seen, lv[which + "_total"][hs], 0.0)
        types = np.where(seen, lv[which + "_types"][hs], 0.0)
        c = np.where(gram >= 0, lv[which][np.where(gram >= 0, gram, 0)], 0.0)
        safe = np.where(total > 0, total, 1.0)
        p = np.maximum(c - D, 0.0) / safe + D * types / safe * p_low
        return np.where(total > 0, p, p_low)

    def log_probs(self, ids: Sequence[int]) -> np.ndarray:
        """``out[i] = ln P(ids[i] | ids[max(0, i-n+1):i])`` (see the start-of-text convention)."""
        self._require_fit()
        arr = _as_array(ids)
        self._check_ids(arr, self.vocab_size)
        m, V = len(arr), self.vocab_size
        hists, grams = self._lookup_stream(arr)
        top = np.minimum(np.arange(m) + 1, self.order)  # (m,) order used at each position
        out = np.empty(m)
        if self.smoothing == "add-k":
            for k, (lv, hist, gram) in enumerate(zip(self._levels, hists, grams), start=1):
                seen = hist >= 0
                total = np.where(seen, lv["count_total"][np.where(seen, hist, 0)], 0.0)
                c = np.where(gram >= 0, lv["count"][np.where(gram >= 0, gram, 0)], 0.0)
                use = (total > 0) & (k <= top)  # the highest usable level wins (back-off)
                out = np.where(use, (c + self.k) / (total + self.k * V), out)
            return np.log(out)
        p_low = np.full(m, 1.0 / V)  # P_0 = uniform
        for k, (lv, hist, gram) in enumerate(zip(self._levels, hists, grams), start=1):
            is_top = top == k
            if is_top.any():  # raw counts where this level is the top one
                out[is_top] = self._kn_level(p_low[is_top], hist[is_top], gram[is_top], lv,
                                             "count")
            if k < self.order:
                p_low = self._kn_level(p_low, hist, gram, lv, "cont")
        return np.log(out)

    def perplexity(self, ids: Sequence[int]) -> float:
        """``exp(-mean ln P)`` over every token of ``ids``, computed exactly."""
        lp = self.log_probs(ids)
        if len(lp) == 0:
            raise ValueError("Cannot compute the perplexity of an empty token stream.")
        return float(math.exp(-lp.mean()))

    # ---- one full next-token distribution ------------------------------------------------

    def _history_ids(self, ctx: np.ndarray) -> list[int]:
        """Id of the history of each level 1..len(ctx)+1 (the last k-1 tokens), or -1."""
        V, ids = self.vocab_size, [0]
        for k in range(2, len(ctx) + 2):
            gid = 0  # walk the chain: id of ctx[-(k-1)], then extend one token at a time
            for j, tok in enumerate(ctx[len(ctx) - (k - 1) :], start=1):
                keys = self._levels[j - 1]["keys"]
                key = (gid * V if j > 1 else 0) + int(tok)
                pos = int(np.searchsorted(keys, key))
                if pos >= len(keys) or keys[pos] != key:
                    gid = -1
                    break
                gid = pos
            ids.append(gid)
        return ids

    def _row(self, lv: dict, hid: int, which: str) -> tuple[np.ndarray, np.ndarray]:
        """Words seen after history ``hid`` and their counts (raw or continuation)."""
        V = self.vocab_size
        lo, hi = np.searchsorted(lv["keys"], [hid * V, hid * V + V])
        return lv["keys"][lo:hi] - hid * V, lv[which][lo:hi]

    def prob_dist(self, context: Sequence[int]) -> np.ndarray:
        """P(. | context) over the whole vocabulary, shape (V,), summing to 1."""
        self._require_fit()
        ctx = _as_array(context)
        self._check_ids(ctx, self.vocab_size)
        ctx = ctx[len(ctx) - min(len(ctx), self.order - 1) :]  # last n-1 tokens at most
        V, top = self.vocab_size, len(ctx) + 1
        hids = self._history_ids(ctx)
        if self.smoothing == "add-k":
            for k in range(top, 0, -1):  # back off to the longest seen history
                lv, hid = self._levels[k - 1], hids[k - 1]
                if hid >= 0 and lv["count_total"][hid] > 0:
                    denom = lv["count_total"][hid] + self.k * V
                    p = np.full(V, self.k / denom)
                    ws, cs = self._row(lv, hid, "count")
                    p[ws] += cs / denom
                    return p
        p = np.full(V, 1.0 / V)
        for k in range(1, top + 1):
            lv, hid = self._levels[k - 1], hids[k - 1]
            which = "count" if k == top else "cont"
            if hid < 0 or lv[which + "_total"][hid] <= 0:
                continue  # unseen history: all mass to the lower order
            total, types = lv[which + "_total"][hid], lv[which + "_types"][hid]
            ws, cs = self._row(lv, hid, which)
            p *= self.discount * types / total
            p[ws] += np.maximum(cs - self.discount, 0.0) / total
        return p

    def sample(self, context: Sequence[int], n_tokens: int, seed: int = 0) -> list[int]:
        """``n_tokens`` ids drawn one at a time from ``prob_dist``; same seed, same ids."""
        rng = np.random.default_rng(seed)
        ctx, out = list(_as_array(context)), []
        for _ in range(n_tokens):
            p = self.prob_dist(ctx[-(self.order - 1) :] if self.order > 1 else [])
            out.append(int(rng.choice(len(p), p=p / p.sum())))
            ctx.append(out[-1])
        return out
