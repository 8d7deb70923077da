"""GloVe (seqviz.embeddings.glove) and hard debiasing (seqviz.embeddings.debias) against direct
evaluations of their formulas, autograd and scikit-learn's PCA."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from seqviz.embeddings.debias import (bias_direction, debias, definitional_pairs, equalise,
                                      neutralise)
from seqviz.embeddings.experiment import EmbConfig
from seqviz.embeddings.glove import (Cooccurrence, GloVe, cooccurrence, glove_loss_direct,
                                     weighting)
from seqviz.embeddings.grammars import TEACHING
from seqviz.embeddings.live import corpus_for, text_of
from seqviz.embeddings.queries import Index, analogy_accuracy


def test_cooccurrence_counts_one_over_distance_within_sentences():
    ids = [0, 1, 2, 1, 0, 2]
    sent = [0, 0, 0, 1, 1, 1]
    x = cooccurrence(ids, sent, 3, window=2).dense()
    expect = np.zeros((3, 3))
    for s in (0, 1):
        pos = [t for t in range(6) if sent[t] == s]
        for a in pos:
            for b in pos:
                if 0 < abs(a - b) <= 2:
                    expect[ids[a], ids[b]] += 1 / abs(a - b)
    np.testing.assert_allclose(x, expect)
    assert np.allclose(x, x.T)


def _tiny(seed=0, v=5, e=3):
    rng = np.random.default_rng(seed)
    x = np.where(rng.random((v, v)) < 0.6, rng.random((v, v)) * 150 + 0.5, 0.0)
    r, c = np.nonzero(x)
    return x, Cooccurrence(r, c, x[r, c], v)


def test_weighting_is_capped_power():
    x = np.array([0.5, 10.0, 100.0, 500.0])
    np.testing.assert_allclose(weighting(x, 100.0, 0.75), [(0.005) ** 0.75, 0.1 ** 0.75, 1, 1])
    np.testing.assert_allclose(weighting(torch.tensor(x), 100.0, 0.75).numpy(),
                               weighting(x, 100.0, 0.75))


def test_loss_equals_the_formula_and_gradient_equals_autograd():
    x, cooc = _tiny()
    g = GloVe(cooc, 3, seed=1, dtype=torch.float64)
    p = [t.numpy() for t in g.params]
    assert g.loss() == pytest.approx(glove_loss_direct(x, *p), rel=1e-12)
    k = torch.arange(g.nonzeros)
    loss, grads = g.gradients(k)
    leaves = [t.clone().requires_grad_(True) for t in g.params]
    i, j = g.rows, g.cols
    r = (leaves[0][i] * leaves[1][j]).sum(1) + leaves[2][i] + leaves[3][j] - g.logx
    total = (g.f * r ** 2).sum()
    assert loss == pytest.approx(total.detach().item(), rel=1e-12)
    total.backward()
    for got, leaf in zip(grads, leaves):
        torch.testing.assert_close(got, leaf.grad)


def test_adagrad_step_and_vectors():
    _, cooc = _tiny(2)
    g = GloVe(cooc, 3, seed=0, dtype=torch.float64, batch=10**6, lr=0.05)
    before = [t.clone() for t in g.params]
    k = torch.arange(g.nonzeros)
    _, grads = g.gradients(k)
    g._order, g._pos = k, 0  # the next batch: every entry, in order
    g.step()
    for old, new, grad in zip(before, g.params, grads):
        torch.testing.assert_close(new, old - 0.05 * grad / torch.sqrt(1 + grad * grad))
    np.testing.assert_allclose(g.vectors(), (g.theta + g.e).numpy(), rtol=1e-6)
    first = g.loss()
    for _ in range(200):
        g.step()
    assert g.loss() < 0.2 * first


def test_glove_solves_grammar_analogies_in_bounded_steps():
    cfg = EmbConfig()
    corpus = corpus_for(text_of(cfg, None), cfg.min_count)
    cooc = cooccurrence(corpus.ids, corpus.sentence, corpus.vocab_size, cfg.window)
    g = GloVe(cooc, cfg.embed_size, seed=0)
    for _ in range(200):
        g.step()
    t = TEACHING["grammar"]
    score = analogy_accuracy(Index.build(g.vectors(), corpus.words), t.analogies, t.relation_of)
    assert score.total == 162 and score.accuracy >= 0.4  # chance: ~1 %


# ---- debiasing ---------------------------------------------------------------------------------
def test_bias_direction_equals_hand_computation_and_pca():
    unit = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.6, 0.0, 0.8], [0.0, 0.6, 0.8]])
    bias = bias_direction(unit, [(0, 1), (2, 3)])
    # both pairs differ by (a, -a, 0): the direction is (1, -1, 0) / √2, pointing to the first
    np.testing.assert_allclose(bias.direction, np.array([1, -1, 0]) / np.sqrt(2), atol=1e-12)
    assert bias.explained[0] == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    unit = rng.normal(size=(8, 5))
    pairs = [(0, 1), (2, 3), (4, 5), (6, 7)]
    rows = []
    for a, b in pairs:
        mu = (unit[a] + unit[b]) / 2
        rows += [unit[a] - mu, unit[b] - mu]
    pca = PCA(n_components=3).fit(np.array(rows))
    got = bias_direction(unit, pairs)
    assert abs(got.direction @ pca.components_[0]) == pytest.approx(1.0)
    np.testing.assert_allclose(got.explained[:3], pca.explained_variance_ratio_, rtol=1e-9)


def test_neutralise_and_equalise():
    rng = np.random.default_rng(1)
    g = rng.normal(size=6)
    g /= np.linalg.norm(g)
    words = rng.normal(size=(4, 6))
    out = neutralise(words / np.linalg.norm(words, axis=1, keepdims=True), g)
    np.testing.assert_allclose(out @ g, 0, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1)
    a, b = (v / np.linalg.norm(v) for v in rng.normal(size=(2, 6)))
    a2, b2 = equalise(a, b, g)
    assert np.linalg.norm(a2) == pytest.approx(1) and np.linalg.norm(b2) == pytest.approx(1)
    assert a2 @ g == pytest.approx(-(b2 @ g))  # symmetric about the neutral subspace
    np.testing.assert_allclose(a2 - (a2 @ g) * g, b2 - (b2 @ g) * g, atol=1e-12)
    assert np.sign(a2 @ g - b2 @ g) == np.sign(a @ g - b @ g)  # each keeps its side


def test_debias_on_vectors():
    rng = np.random.default_rng(2)
    words = ["he", "she", "king", "queen", "cook", "crown", "dog"]
    vectors = rng.normal(size=(7, 8))
    r = debias(vectors, words, [("he", "she"), ("king", "queen"), ("cat", "cats")])
    assert r.pairs == [("he", "she"), ("king", "queen")]
    assert list(r.neutral) == [False] * 4 + [True] * 3
    np.testing.assert_allclose(r.proj_after[r.neutral], 0, atol=1e-12)
    np.testing.assert_allclose(r.proj_after[0], -r.proj_after[1])
    np.testing.assert_allclose(np.linalg.norm(r.after, axis=1), 1)
    assert set(r.leaning(2)) <= {4, 5, 6}
    with pytest.raises(ValueError):
        debias(vectors, words, [("cat", "cats")])


def test_grammar_pairs():
    assert definitional_pairs("grammar", ["he", "she", "king", "queen", "dog"]) == [
        ("he", "she"), ("king", "queen")]
    assert ("他", "她") in definitional_pairs("grammar_zh", ["他", "她"])
    assert definitional_pairs("prose", ["he", "she", "him"]) == [("he", "she")]
