"""word2vec's output layers: hand-written gradients against autograd, the Huffman tree's
probabilities, the full softmax against torch's cross-entropy."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz.models.w2v_objectives import (OBJECTIVES, Objective, chance_loss, hs_probabilities,
                                          huffman_tree, objective_grads)
from seqviz.models.word2vec import noise_distribution

V, E, B, K = 11, 5, 7, 4
COUNTS = np.array([50, 30, 20, 9, 9, 6, 4, 3, 2, 1, 1])


@pytest.fixture
def toy():
    g = torch.Generator().manual_seed(0)
    v = torch.randn(B, E, generator=g, dtype=torch.float64)
    u = torch.randn(V, E, generator=g, dtype=torch.float64)
    target = torch.randint(0, V, (B,), generator=g)
    negatives = torch.randint(0, V, (B, K), generator=g)
    negatives[0, 0] = target[0]  # a collision: skipped (negative sampling) or left out (sampled)
    return v, u, target, negatives


def _reference(name, v, u, target, negatives, tree, log_q):
    """Each loss written with torch ops only, for autograd."""
    if name == "full":
        return F.cross_entropy(v @ u.T, target, reduction="none")
    if name == "negative":
        keep = (negatives != target[:, None]).double()
        return -(F.logsigmoid((u[target] * v).sum(-1))
                 + (F.logsigmoid(-(u[negatives] * v[:, None]).sum(-1)) * keep).sum(-1))
    if name == "sampled":
        cand = torch.cat([target[:, None], negatives], 1)
        logits = (u[cand] * v[:, None]).sum(-1) - log_q.double()[cand] - math.log(K)
        hit = torch.cat([torch.zeros(B, 1, dtype=torch.bool), negatives == target[:, None]], 1)
        return F.cross_entropy(logits.masked_fill(hit, -math.inf), torch.zeros(B, dtype=torch.long),
                               reduction="none")
    probs = hs_probabilities(v, u, tree)  # hierarchical: -log P(target)
    return -probs[torch.arange(B), target].log()


@pytest.mark.parametrize("name", OBJECTIVES)
def test_hand_written_gradients_equal_autograd(toy, name):
    v, u, target, negatives = toy
    tree = huffman_tree(COUNTS)
    log_q = noise_distribution(COUNTS).log()
    vr, ur = v.clone().requires_grad_(), u.clone().requires_grad_()
    ref = _reference(name, vr, ur, target, negatives, tree, log_q)
    ref.mean().backward()
    got = objective_grads(name, v, u, target, negatives=negatives, tree=tree, log_q=log_q.double())
    torch.testing.assert_close(got.loss, ref.detach())
    torch.testing.assert_close(got.grad_v / B, vr.grad)
    torch.testing.assert_close(got.dense_u(u.shape) / B, ur.grad)
    # and through the autograd function the Trainer drives
    vf, uf = v.clone().requires_grad_(), u.clone().requires_grad_()
    loss = Objective.apply(vf, uf, name, target, negatives, tree, log_q.double())
    loss.backward()
    torch.testing.assert_close(loss, ref.mean().detach())
    torch.testing.assert_close(vf.grad, vr.grad)
    torch.testing.assert_close(uf.grad, ur.grad)


def test_full_softmax_is_torch_cross_entropy(toy):
    v, u, target, _ = toy
    got = objective_grads("full", v, u, target)
    torch.testing.assert_close(got.loss, F.cross_entropy(v @ u.T, target, reduction="none"))
    assert chance_loss("full", V, K) == pytest.approx(
        float(F.cross_entropy(torch.zeros(1, V), torch.tensor([3]))))


def test_hierarchical_softmax_probabilities_sum_to_one(toy):
    v, u, *_ = toy
    tree = huffman_tree(COUNTS)
    p = hs_probabilities(v * 3, u, tree)  # (B, V)
    torch.testing.assert_close(p.sum(1), torch.ones(B, dtype=torch.float64))
    # all scores 0: every turn is a coin flip, P(w) = 2^-depth
    p0 = hs_probabilities(torch.zeros(1, E, dtype=torch.float64), u, tree)[0]
    torch.testing.assert_close(p0, 0.5 ** tree.depth.double())


def test_huffman_tree_gives_frequent_words_short_paths():
    tree = huffman_tree(COUNTS)
    depth = tree.depth.numpy()
    assert np.all(np.diff(depth) >= 0)  # counts are sorted: depths never shrink
    assert depth[0] == 2 and depth[-1] > 4
    assert (0.5 ** depth).sum() == pytest.approx(1.0)  # a full binary tree (Kraft)
    # a prefix code: no word's path is the start of another's
    codes = {tuple(tree.codes[w, :d].int().tolist()) for w, d in enumerate(depth)}
    assert len(codes) == V
    assert not any(a != b and b[:len(a)] == a for a in codes for b in codes)
    assert int(tree.nodes.max()) == V - 2  # V - 1 inner nodes
    with pytest.raises(ValueError, match="at least 2 words"):
        huffman_tree([5])
