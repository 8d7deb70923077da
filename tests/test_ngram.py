"""N-gram baseline: hand computations, a slow dict-based reference, invariants, behaviour."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch

from seqviz.data import build_text_data, generate_grammar_corpus
from seqviz.models.ngram import NGramLM

# Toy corpus "a b a b c" with ids a=1, b=2, c=3 and <unk>=0, so V = 4.
TRAIN, V = [1, 2, 1, 2, 3], 4
TEST = [1, 2, 1, 3, 3]  # "a b a c c": the bigram "c c" has an unseen history (c is never followed)


def test_add_k_bigram_by_hand():
    # Unigram: (c(w) + 1) / (5 + 4); bigram: (c(h w) + 1) / (c(h) + 4), c(a) = c(b) = 2 as
    # contexts; c(c) = 0 as a context, so "c c" backs off to the unigram (1 + 1) / 9.
    expected = [3 / 9, 3 / 6, 2 / 6, 1 / 6, 2 / 9]
    lm = NGramLM(2, "add-k", k=1.0).fit(TRAIN, V)
    np.testing.assert_allclose(lm.log_probs(TEST), np.log(expected), rtol=1e-12)
    ppl = math.exp(-np.mean(np.log(expected)))
    assert lm.perplexity(TEST) == pytest.approx(ppl, rel=1e-12)
    assert lm.name == "2-gram (add-1)"


def test_kneser_ney_bigram_by_hand():
    D = 0.75
    # Unigram with raw counts (first token): c = {a: 2, b: 2, c: 1}, N = 5, 3 types seen.
    p_first_a = (2 - D) / 5 + D * 3 / 5 * (1 / 4)  # 0.3625
    # Continuation unigram: distinct bigrams (a b), (b a), (b c) -> N1+(. w) = 1 for a, b, c;
    # N1+(. .) = 3 and 3 types, interpolated with the uniform 1/4.
    p_cont = (1 - D) / 3 + D * 3 / 3 * (1 / 4)  # 0.2708333 for a, b and c
    # Bigram histories: a is followed by {b: 2} (total 2, 1 type); b by {a: 1, c: 1} (2, 2).
    p_b_after_a = (2 - D) / 2 + D * 1 / 2 * p_cont  # 0.7265625
    p_a_after_b = (1 - D) / 2 + D * 2 / 2 * p_cont  # 0.328125
    p_c_after_a = 0 + D * 1 / 2 * p_cont  # 0.1015625, unseen bigram
    p_c_after_c = p_cont  # c never has a follower: all mass to the lower order
    expected = [p_first_a, p_b_after_a, p_a_after_b, p_c_after_a, p_c_after_c]
    np.testing.assert_allclose(expected[:4], [0.3625, 0.7265625, 0.328125, 0.1015625])
    lm = NGramLM(2, "kn", discount=D).fit(TRAIN, V)
    np.testing.assert_allclose(lm.log_probs(TEST), np.log(expected), rtol=1e-12)
    assert lm.perplexity(TEST) == pytest.approx(math.exp(-np.mean(np.log(expected))), rel=1e-12)
    assert lm.name == "2-gram (Kneser-Ney)"


def test_unigram_add_k_closed_form():
    rng = np.random.default_rng(0)
    train, test, k, vocab = rng.integers(0, 30, 2_000), rng.integers(0, 40, 500), 0.5, 40
    counts = np.bincount(train, minlength=vocab)
    closed = math.exp(-np.mean(np.log((counts[test] + k) / (len(train) + k * vocab))))
    lm = NGramLM(1, "add-k", k=k).fit(torch.as_tensor(train), vocab)
    assert lm.perplexity(torch.as_tensor(test)) == pytest.approx(closed, rel=1e-12)


def _reference_log_probs(train, test, vocab, order, smoothing, k=1.0, D=0.75):
    """Slow, literal implementation of the formulas in seqviz.models.ngram's docstring."""
    counts = Counter(tuple(train[i : i + n]) for n in range(1, order + 1)
                     for i in range(len(train) - n + 1))
    left = {}  # continuation counts: distinct words seen before each n-gram
    for gram in counts:
        if len(gram) >= 2:
            left.setdefault(gram[1:], set()).add(gram[0])
    cont = {g: len(s) for g, s in left.items()}

    def stats(table, h):
        row = {g[-1]: c for g, c in table.items() if len(g) == len(h) + 1 and g[:-1] == h}
        return row, sum(row.values()), sum(1 for c in row.values() if c > 0)

    def addk(w, h):
        row, total, _ = stats(counts, h)
        if total == 0:
            return addk(w, h[1:])
        return (row.get(w, 0) + k) / (total + k * vocab)

    def kn(w, h, top):
        lower = 1 / vocab if not h else kn(w, h[1:], False)
        row, total, types = stats(counts if top else cont, h)
        if total == 0:
            return lower
        return max(row.get(w, 0) - D, 0) / total + D * types / total * lower

    out = []
    for i, w in enumerate(test):
        h = tuple(test[max(0, i - order + 1) : i])
        out.append(math.log(addk(w, h) if smoothing == "add-k" else kn(w, h, True)))
    return np.array(out)


@pytest.mark.parametrize("smoothing", ["kn", "add-k"])
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_matches_slow_reference(order, smoothing):
    rng = np.random.default_rng(order)
    train = [int(t) for t in rng.integers(1, 5, 80)]
    test = [int(t) for t in rng.integers(0, 6, 30)]
    lm = NGramLM(order, smoothing, k=0.5, discount=0.6).fit(train, 6)
    ref = _reference_log_probs(train, test, 6, order, smoothing, k=0.5, D=0.6)
    np.testing.assert_allclose(lm.log_probs(test), ref, rtol=1e-10)


@pytest.mark.parametrize("smoothing", ["kn", "add-k"])
@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_prob_dist_is_a_distribution_and_matches_log_probs(order, smoothing):
    rng = np.random.default_rng(order)
    vocab = 12
    lm = NGramLM(order, smoothing).fit(rng.integers(1, 9, 400), vocab)  # ids 0, 9..11 unseen
    for _ in range(20):
        p = lm.prob_dist(rng.integers(0, vocab, rng.integers(0, 7)))
        assert p.shape == (vocab,) and (p > 0).all() and p.sum() == pytest.approx(1.0, abs=1e-12)
    test = rng.integers(0, vocab, 40)
    direct = [math.log(lm.prob_dist(test[:i])[t]) for i, t in enumerate(test)]
    np.testing.assert_allclose(lm.log_probs(test), direct, rtol=1e-12)


def test_higher_order_beats_unigram_on_structured_text():
    data = build_text_data(generate_grammar_corpus(3_000, seed=1), "char")
    ppl = {n: NGramLM(n).fit(data.train, len(data.vocab)).perplexity(data.val) for n in (1, 3, 5)}
    assert ppl[5] < ppl[3] < ppl[1] / 2


def test_bad_arguments():
    for order in (0, 10, 2.5):  # up to 9: the feed-forward LM reads 8 tokens
        with pytest.raises(ValueError, match="order"):
            NGramLM(order)
    with pytest.raises(ValueError, match="smoothing"):
        NGramLM(2, "witten-bell")
    with pytest.raises(ValueError, match="ids"):
        NGramLM(2).fit([0, 1, 5], 4)
    with pytest.raises(RuntimeError, match="fit"):
        NGramLM(2).prob_dist([1])
    lm = NGramLM(3).fit([1, 2], 3)  # shorter than the order: still a valid model
    assert lm.prob_dist([1, 2]).sum() == pytest.approx(1.0)
    assert lm.sample([1], 5, seed=0) == lm.sample([1], 5, seed=0)
