"""The two conventions for finished hypotheses: a shrinking beam and a refilled one (fairseq,
Hugging Face). Both equal brute-force enumeration when the beam holds every candidate, both
equal greedy search at width 1, and a constructed model shows where they differ."""

from __future__ import annotations

import math

import pytest
import torch

from seqviz.decoding.beam import FINISHED, beam_search, greedy_search, search_with_greedy
from tests.test_beam import BOS, EOS, V, ToyModel, brute_force


@pytest.mark.parametrize("finished", FINISHED)
@pytest.mark.parametrize("seed", [0, 1, 2, 5])
@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
def test_a_beam_holding_every_candidate_equals_brute_force(finished, seed, alpha):
    model, max_len = ToyModel(seed), 4
    tree = beam_search(model.step, model.reorder, model.init(), bos=BOS, eos=EOS,
                       beam_width=V ** max_len, max_len=max_len, alpha=alpha, finished=finished)
    score, logp, seq = brute_force(model, max_len, alpha)
    assert tree.best.tokens == seq
    assert tree.best.score == pytest.approx(score, abs=1e-5)
    assert tree.best.logp == pytest.approx(logp, abs=1e-5)


@pytest.mark.parametrize("finished", FINISHED)
@pytest.mark.parametrize("seed", range(8))
def test_width_one_is_greedy_under_both_conventions(finished, seed):
    model = ToyModel(seed)
    tree = beam_search(model.step, model.reorder, model.init(), bos=BOS, eos=EOS,
                       beam_width=1, max_len=8, alpha=0.6, finished=finished)
    greedy = greedy_search(model.step, model.init(), bos=BOS, eos=EOS, max_len=8)
    assert tree.best.tokens == greedy.tokens
    assert tree.best.logp == pytest.approx(greedy.logp, abs=1e-6)


# A constructed model over {a, b, end}: the start prefers to end at once (0.45), then a (0.30),
# then b (0.25); after b the model ends almost surely; after a it hesitates. With B = 2 and
# alpha = 1, "end" finishes at step 1 and takes one of the two places.
A, B_, END, START = 0, 1, 2, 3
TABLE = {(): (0.30, 0.25, 0.45), (A,): (0.30, 0.37, 0.33), (B_,): (0.005, 0.005, 0.99)}


def _dist(prefix: tuple[int, ...]) -> tuple[float, float, float]:
    return TABLE.get(prefix, (0.0, 0.0, 1.0))  # any longer prefix ends


def table_step(prev: torch.Tensor, state: list[tuple[int, ...]]):
    """state: the prefix of every hypothesis; ``prev`` extends it (the start token does not)."""
    new = [s + (int(t),) if int(t) != START else s for s, t in zip(state, prev)]
    logp = [[math.log(p) if p > 0 else -1e9 for p in _dist(s)] for s in new]
    return torch.tensor(logp), new


def table_reorder(state, index: torch.Tensor):
    return [state[i] for i in index.tolist()]


def _search(finished: str, width: int = 2):
    return beam_search(table_step, table_reorder, [()], bos=START, eos=END, beam_width=width,
                       max_len=5, alpha=1.0, finished=finished)


def test_a_refilled_beam_finds_a_final_the_shrinking_beam_misses():
    shrink, keep = _search("shrink"), _search("keep")
    # shrinking: after "end" finishes only one place is left, taken by "a"; "b" is never tried
    assert shrink.best.tokens == (A, B_, END)
    assert shrink.best.score == pytest.approx(math.log(0.30 * 0.37) / 3)
    # refilled: "b" takes the free place and "b end" wins
    assert keep.best.tokens == (B_, END)
    assert keep.best.score == pytest.approx(math.log(0.25 * 0.99) / 2)
    assert keep.best.score > shrink.best.score
    # and "b end" is the best output there is
    assert max(score for score, _seq in _every_output(5)) == pytest.approx(keep.best.score)


def _every_output(max_len: int, prefix: tuple[int, ...] = (), logp: float = 0.0):
    """(score at alpha 1, tokens) of every finished output of the table model."""
    for tok, p in enumerate(_dist(prefix)):
        if p > 0 and len(prefix) < max_len:
            if tok == END:
                yield (logp + math.log(p)) / (len(prefix) + 1), prefix + (tok,)
            else:
                yield from _every_output(max_len, prefix + (tok,), logp + math.log(p))


def test_a_shrinking_beam_holds_fewer_live_hypotheses_after_each_end():
    """Per output position: live ("kept") nodes. The shrinking beam loses one place for every
    finished hypothesis; the refilled beam keeps B live until B have finished."""
    width = 3
    for seed in range(12):
        model = ToyModel(seed)
        for finished in FINISHED:
            tree = beam_search(model.step, model.reorder, model.init(), bos=BOS, eos=EOS,
                               beam_width=width, max_len=10, alpha=0.6, finished=finished)
            done = 0
            for step in range(1, max(n.step for n in tree.nodes) + 1):
                kept = sum(1 for n in tree.nodes if n.step == step and n.status == "kept")
                ended = sum(1 for n in tree.nodes if n.step == step and n.status == "finished")
                live_places = width - done if finished == "shrink" else width
                assert kept + (ended if finished == "shrink" else 0) <= live_places
                if finished == "keep" and done + ended < width and step < 10:
                    assert kept == width  # refilled to B
                done += ended
            ended_total = sum(h.finished for h in tree.finals)
            # shrinking: at most B finals; refilled: up to B - 1 more may end in the last step
            assert ended_total <= (width if finished == "shrink" else 2 * width - 1)


def test_the_tree_records_its_convention_and_bad_names_are_refused():
    model = ToyModel(0)
    tree = search_with_greedy(model.step, model.reorder, model.init(), bos=BOS, eos=EOS,
                              beam_width=2, max_len=5, finished="keep")
    assert tree.finished == "keep"
    with pytest.raises(ValueError, match="finished must be one of"):
        beam_search(model.step, model.reorder, model.init(), bos=BOS, eos=EOS, beam_width=2,
                    max_len=5, finished="sometimes")


def test_over_many_toy_searches_each_convention_sometimes_wins():
    """Neither convention dominates: over 160 toy searches (40 models x B = 2..5, alpha 0.6)
    each finds the better final some of the time (measured: refilled 9, shrinking 16)."""
    wins = {"keep": 0, "shrink": 0}
    for seed in range(40):
        model = ToyModel(seed)
        for width in (2, 3, 4, 5):
            score = {f: beam_search(model.step, model.reorder, model.init(), bos=BOS, eos=EOS,
                                    beam_width=width, max_len=10, alpha=0.6,
                                    finished=f).best.score for f in FINISHED}
            if abs(score["keep"] - score["shrink"]) > 1e-6:
                wins[max(score, key=score.get)] += 1
    print(f"better final over 160 toy searches: {wins}")
    assert wins["keep"] >= 3 and wins["shrink"] >= 3
