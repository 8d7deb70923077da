import itertools
import math

import pytest
import torch

from seqviz.decoding.beam import (beam_search, greedy_search, normalised, search_with_greedy,
                                  sequence_logp)

V, D, BOS, EOS = 4, 6, 0, 3  # token 0 doubles as the start token; 3 ends a sequence


class ToyModel:
    """A tiny recurrent scorer: log P depends on the whole prefix through a state vector."""

    def __init__(self, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.emb = torch.randn(V, D, generator=g)
        self.rec = torch.randn(D, D, generator=g) * 0.8
        self.out = torch.randn(D, V, generator=g) * 1.5
        self.calls = 0

    def init(self):
        return torch.zeros(1, D)

    def step(self, prev, state):  # prev (N,), state (N, D)
        self.calls += 1
        state = torch.tanh(state @ self.rec + self.emb[prev])
        return torch.log_softmax(state @ self.out, dim=-1), state

    @staticmethod
    def reorder(state, index):
        return state[index]


def brute_force(model, max_len, alpha):
    best = None
    for length in range(1, max_len + 1):
        for seq in itertools.product(range(V), repeat=length):
            if EOS in seq[:-1]:
                continue
            if length < max_len and seq[-1] != EOS:
                continue  # only finished outputs, or outputs cut at max_len
            logp = sum(sequence_logp(model.step, model.init(), list(seq), bos=BOS))
            cand = (normalised(logp, length, alpha), logp, seq)
            best = cand if best is None or cand[0] > best[0] else best
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("alpha", [0.0, 0.7, 1.0])
def test_wide_beam_equals_brute_force(seed, alpha):
    model, max_len = ToyModel(seed), 4
    tree = beam_search(model.step, model.reorder, model.init(), bos=BOS, eos=EOS,
                       beam_width=V ** max_len, max_len=max_len, alpha=alpha)
    score, logp, seq = brute_force(model, max_len, alpha)
    assert tree.best.tokens == seq
    assert tree.best.score == pytest.approx(score, abs=1e-5)
    assert tree.best.logp == pytest.approx(logp, abs=1e-5)


@pytest.mark.parametrize("seed", range(8))
def test_greedy_path_is_in_the_tree(seed):
    model = ToyModel(seed)
    tree = search_with_greedy(model.step, model.reorder, model.init(), bos=BOS, eos=EOS,
                              beam_width=2, max_len=6, expand=2)
    path = tree.path(tree.greedy.node)
    assert tuple(p.token for p in path) == tree.greedy.tokens
    assert path[-1].logp == pytest.approx(tree.greedy.logp, abs=1e-5)


@pytest.mark.parametrize("seed", range(5))
def test_width_one_is_greedy(seed):
    model = ToyModel(seed)
    tree = beam_search(model.step, model.reorder, model.init(), bos=BOS, eos=EOS,
                       beam_width=1, max_len=8)
    greedy = greedy_search(model.step, model.init(), bos=BOS, eos=EOS, max_len=8)
    assert tree.best.tokens == greedy.tokens
    assert tree.best.logp == pytest.approx(greedy.logp, abs=1e-6)


def test_tree_invariants_and_scores():
    model = ToyModel(3)
    tree = search_with_greedy(model.step, model.reorder, model.init(), bos=BOS, eos=EOS,
                              beam_width=3, max_len=6, alpha=0.6)
    scores = [h.score for h in tree.finals]
    assert scores == sorted(scores, reverse=True)
    by_id = {n.id: n for n in tree.nodes}
    for n in tree.nodes:
        if n.parent >= 0:
            assert by_id[n.parent].step == n.step - 1  # parent exists in the previous step
            parent = by_id[n.parent]
            # only kept hypotheses are expanded; the grafted greedy path may leave the beam
            assert parent.status in ("kept", "greedy") or n.status == "greedy"
        else:
            assert n.step == 1
        assert n.score == pytest.approx(n.logp / n.step ** 0.6)
    for h in tree.finals:  # the final's path reproduces its tokens and teacher-forced log P
        path = tree.path(h.node)
        assert tuple(p.token for p in path) == h.tokens
        ref = sum(sequence_logp(model.step, model.init(), list(h.tokens), bos=BOS))
        assert h.logp == pytest.approx(ref, abs=1e-5)
    assert {"kept", "pruned"} <= {n.status for n in tree.nodes}
    greedy_path = tree.path(tree.greedy.node)
    assert tuple(p.token for p in greedy_path) == tree.greedy.tokens


def test_length_limit_one_and_wider_than_vocab():
    model = ToyModel(0)
    tree = beam_search(model.step, model.reorder, model.init(), bos=BOS, eos=EOS,
                       beam_width=50, max_len=1)
    assert len(tree.finals) == V and all(len(h.tokens) == 1 for h in tree.finals)


def test_beams_advance_as_one_batch():
    model = ToyModel(0)
    beam_search(model.step, model.reorder, model.init(), bos=BOS, eos=EOS, beam_width=10,
                max_len=7)
    assert model.calls <= 7  # one batched step per output position


@pytest.mark.parametrize("kw", [dict(beam_width=0), dict(max_len=0), dict(alpha=-1.0)])
def test_bad_arguments(kw):
    model = ToyModel(0)
    args = dict(bos=BOS, eos=EOS, beam_width=2, max_len=3) | kw
    with pytest.raises(ValueError):
        beam_search(model.step, model.reorder, model.init(), **args)


def test_normalised_score():
    assert normalised(-6.0, 4, 0.5) == pytest.approx(-3.0)
    assert normalised(-6.0, 4, 0.0) == -6.0
    assert math.isclose(normalised(-6.0, 4, 1.0), -1.5)
