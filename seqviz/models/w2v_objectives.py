"""word2vec's output layer: four ways to score a target word, with hand-written gradients.

Given a hidden vector v (B, E) (skip-gram: the input word's vector; CBOW: the mean context
vector) and a target word t (B,), each objective returns the loss per pair, dL/dv and the
gradient of the output weights U, without autograd (the updates are what word2vec.c and gensim
apply; tests check them against ``torch.autograd``):

- ``full``: the softmax over the whole vocabulary, -log softmax(U v)_t. Exact; costs V dot
  products per pair.
- ``negative``: negative sampling (Mikolov et al. 2013b), -log σ(u_t·v) - Σ_k log σ(-u_k·v)
  with K noise words u_k ~ count^0.75. K + 1 dot products; not a probability.
- ``hierarchical``: hierarchical softmax over a Huffman tree (Morin & Bengio 2005; Mikolov et
  al. 2013a): P(t | v) = Π_j σ(s_j u_{n_j}·v) along the path n_1..n_L from the root to t, with
  s_j = +1 for a left turn and -1 for a right one; frequent words have short paths (≈ log2 V
  dot products), and the probabilities of all V words sum to 1.
- ``sampled``: sampled softmax (Jean et al. 2015): the softmax over the target and the K noise
  words only, each logit corrected by -log(K Q(w)) so it estimates the full softmax.

The output matrix U is (V, E) for every objective; the tree's V - 1 inner nodes use rows
0..V-2. ``Objective`` wraps one as an autograd function (the backward pass hands back the
gradients the forward already computed), so the shared ``Trainer`` and its optimisers drive it.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import torch

OBJECTIVES = ("negative", "hierarchical", "sampled", "full")


@dataclass(frozen=True)
class HuffmanTree:
    """Every word's path from the root: inner-node ids, turns (0 left, 1 right), valid steps."""

    nodes: torch.Tensor  # (V, D) int64 inner-node ids (row of U), padded with 0
    codes: torch.Tensor  # (V, D) float32, 1 = right turn
    mask: torch.Tensor  # (V, D) float32, 1 where the path has a step
    depth: torch.Tensor  # (V,) int64 path lengths


def huffman_tree(counts) -> HuffmanTree:
    """The Huffman tree of word counts (word2vec.c's ``CreateBinaryTree``; ties by word id)."""
    counts = np.asarray(counts, dtype=np.int64)
    v = len(counts)
    if v < 2:
        raise ValueError(f"a Huffman tree needs at least 2 words, got {v}")
    heap = [(int(c), i) for i, c in enumerate(counts)]  # leaves 0..V-1, inner V..2V-2
    heapq.heapify(heap)
    parent, right = np.zeros(2 * v - 1, np.int64), np.zeros(2 * v - 1, np.int64)
    nxt = v
    while len(heap) > 1:
        c1, a = heapq.heappop(heap)
        c2, b = heapq.heappop(heap)
        parent[a] = parent[b] = nxt
        right[b] = 1
        heapq.heappush(heap, (c1 + c2, nxt))
        nxt += 1
    root = 2 * v - 2
    paths = []
    for w in range(v):
        nodes, codes, x = [], [], w
        while x != root:
            nodes.append(parent[x] - v)  # inner node -> row of U
            codes.append(right[x])
            x = parent[x]
        paths.append((nodes[::-1], codes[::-1]))
    d = max(len(p[0]) for p in paths)
    out = np.zeros((3, v, d))
    for w, (nodes, codes) in enumerate(paths):
        out[0, w, :len(nodes)], out[1, w, :len(nodes)], out[2, w, :len(nodes)] = nodes, codes, 1
    return HuffmanTree(torch.as_tensor(out[0], dtype=torch.long),
                       torch.as_tensor(out[1], dtype=torch.float32),
                       torch.as_tensor(out[2], dtype=torch.float32),
                       torch.as_tensor([len(p[0]) for p in paths], dtype=torch.long))


@dataclass
class Grads:
    loss: torch.Tensor  # (B,) loss per pair, nats
    grad_v: torch.Tensor  # (B, E) dL_b/dv_b
    rows: tuple | None  # tensors (M_i,) of rows of U touched (None: ``grad_u`` is dense)
    grad_u: tuple | torch.Tensor  # tensors (M_i, E), their gradients, or (V, E) dense

    def dense_u(self, shape) -> torch.Tensor:
        """dL/dU (V, E), summed over the batch."""
        if self.rows is None:
            return self.grad_u
        out = torch.zeros(shape, dtype=self.grad_v.dtype)
        for rows, grads in zip(self.rows, self.grad_u):
            out.index_add_(0, rows, grads)
        return out


def _log_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.logsigmoid(x)


def _rows(u: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """u[ids] (ids of any shape) with ``index_select``: several times faster than indexing."""
    return u.index_select(0, ids.reshape(-1)).view(*ids.shape, u.shape[1])


def negative_sampling(v, u, target, negatives) -> Grads:
    """v (B, E), u (V, E), target (B,), negatives (B, K); a noise word equal to the target is
    skipped (word2vec.c does)."""
    ut, un = _rows(u, target), _rows(u, negatives)  # (B, E), (B, K, E)
    sp = (ut * v).sum(-1)  # (B,)
    sn = (un * v[:, None, :]).sum(-1)  # (B, K); faster than bmm at these sizes
    keep = (negatives != target[:, None]).to(v.dtype)  # (B, K)
    loss = -(_log_sigmoid(sp) + (_log_sigmoid(-sn) * keep).sum(-1))
    gp = torch.sigmoid(sp) - 1  # dL/ds_t  (B,)
    gn = torch.sigmoid(sn) * keep  # dL/ds_k  (B, K)
    grad_v = gp[:, None] * ut + (gn[:, :, None] * un).sum(1)  # (B, E)
    return Grads(loss, grad_v, (target, negatives.reshape(-1)),
                 (gp[:, None] * v, (gn[:, :, None] * v[:, None, :]).reshape(-1, v.shape[1])))


def hierarchical_softmax(v, u, target, tree: HuffmanTree) -> Grads:
    """-log P(t | v) along t's Huffman path; U's rows are the tree's inner nodes."""
    nodes, codes, mask = (t.index_select(0, target) for t in (tree.nodes, tree.codes, tree.mask))
    un = _rows(u, nodes)  # (B, D, E)
    x = torch.bmm(un, v[:, :, None]).squeeze(-1)  # (B, D)
    sign = 1 - 2 * codes  # +1 left, -1 right
    loss = -(_log_sigmoid(sign * x) * mask).sum(-1)
    g = (torch.sigmoid(x) - (1 - codes)) * mask  # dL/dx  (B, D), word2vec.c's -(1 - code - f)
    grad_v = torch.bmm(g[:, None, :], un).squeeze(1)
    return Grads(loss, grad_v, (nodes.reshape(-1),),
                 ((g[:, :, None] * v[:, None, :]).reshape(-1, v.shape[1]),))


def hs_probabilities(v, u, tree: HuffmanTree) -> torch.Tensor:
    """P(w | v) for every word (B, V): the product of the turns' probabilities on w's path."""
    x = torch.einsum("be,vde->bvd", v, u[tree.nodes])  # (B, V, D)
    logp = (_log_sigmoid((1 - 2 * tree.codes) * x) * tree.mask).sum(-1)
    return logp.exp()


def sampled_softmax(v, u, target, negatives, log_q) -> Grads:
    """Softmax over [target, K noise words] with logits s - log(K Q(w)); a noise word equal to
    the target is left out. ``log_q`` (V,) log noise probabilities."""
    k = negatives.shape[1]
    cand = torch.cat([target[:, None], negatives], 1)  # (B, 1 + K)
    uc = _rows(u, cand)  # (B, 1 + K, E)
    logits = torch.bmm(uc, v[:, :, None]).squeeze(-1) - (log_q[cand] + math.log(k))
    hit = torch.zeros_like(cand, dtype=torch.bool)
    hit[:, 1:] = negatives == target[:, None]
    logits = logits.masked_fill(hit, -math.inf)
    logp = torch.log_softmax(logits, -1)
    loss = -logp[:, 0]
    g = logp.exp()  # dL/dlogit = softmax - onehot(0)
    g[:, 0] -= 1
    grad_v = torch.bmm(g[:, None, :], uc).squeeze(1)
    return Grads(loss, grad_v, (cand.reshape(-1),),
                 ((g[:, :, None] * v[:, None, :]).reshape(-1, v.shape[1]),))


def full_softmax(v, u, target) -> Grads:
    """-log softmax(U v)_t over all V words; U's gradient is dense."""
    logits = v @ u.T  # (B, V)
    logp = torch.log_softmax(logits, -1)
    loss = -logp.gather(1, target[:, None]).squeeze(1)
    g = logp.exp()
    g[torch.arange(len(target)), target] -= 1  # (B, V)
    return Grads(loss, g @ u, None, g.T @ v)


def objective_grads(name: str, v, u, target, *, negatives=None, tree=None, log_q=None) -> Grads:
    if name == "negative":
        return negative_sampling(v, u, target, negatives)
    if name == "hierarchical":
        return hierarchical_softmax(v, u, target, tree)
    if name == "sampled":
        return sampled_softmax(v, u, target, negatives, log_q)
    if name == "full":
        return full_softmax(v, u, target)
    raise ValueError(f"objective must be one of {OBJECTIVES}, got {name!r}")


class Objective(torch.autograd.Function):
    """Mean loss per pair; backward returns the hand-written gradients (scaled by 1/B)."""

    @staticmethod
    def forward(ctx, v, u, name, target, negatives, tree, log_q):  # noqa: D401
        g = objective_grads(name, v.detach(), u.detach(), target, negatives=negatives, tree=tree,
                            log_q=log_q)
        ctx.grads, ctx.shape = g, u.shape
        return g.loss.mean()

    @staticmethod
    def backward(ctx, grad_out):
        g = ctx.grads
        scale = grad_out / len(g.loss)
        return g.grad_v * scale, g.dense_u(ctx.shape) * scale, None, None, None, None, None


def chance_loss(name: str, vocab_size: int, negatives: int, tree: HuffmanTree | None = None
                ) -> float:
    """The loss per pair when every score is 0 (the untrained model's level)."""
    if name == "negative":
        return (1 + negatives) * math.log(2)
    if name == "hierarchical":
        return float(tree.depth.float().mean()) * math.log(2) if tree is not None \
            else math.log(vocab_size)
    if name == "sampled":
        return math.log(1 + negatives)
    return math.log(vocab_size)
