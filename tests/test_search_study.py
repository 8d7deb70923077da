"""One input at every width, and the tallies over many inputs (both conventions)."""

from __future__ import annotations

import pytest

from seqviz.data import build_text_data
from seqviz.decoding.outcomes import WidthResult
from seqviz.decoding.problem import lm_problem
from seqviz.decoding.study import compare, first_best, tally, width_sweep
from seqviz.models.lm import LMSpec, build_lm


@pytest.fixture(scope="module")
def lm_and_data():
    data = build_text_data("abc abd\nabc abe\nab a\n" * 30, "char")
    model = build_lm(LMSpec(vocab_size=len(data.vocab), embed_size=6, hidden_size=12,
                            cell="gru"), seed=1).eval()
    return model, data


def test_sweep_equals_one_search_per_width(lm_and_data):
    model, data = lm_and_data
    problem = lm_problem(model, data.vocab, "char", "ab")
    ref = problem.encode_target("c abd")
    results = width_sweep(problem, [1, 2, 4], 8, 0.6, "keep", ref)
    for r in results:
        best = problem.best(r.width, 8, 0.6, "keep").best
        assert (r.tokens, r.logp, r.score) == (best.tokens, best.logp, best.score)
        assert r.kind in ("correct", "search error", "model error")
    assert all(r.kind is None for r in width_sweep(problem, [1, 2], 8, 0.6))


def test_first_best_is_the_narrowest_width_reaching_the_top_score():
    rows = [WidthResult(1, (1,), -3.0, -1.5, None), WidthResult(2, (2,), -2.0, -1.0, None),
            WidthResult(3, (2,), -2.0, -1.0, None), WidthResult(4, (3,), -2.5, -1.2, None)]
    assert first_best(rows).width == 2
    assert compare(-1.0, -1.2) == "keep better" and compare(-1.2, -1.0) == "shrink better"
    assert compare(-1.0, -1.0 + 1e-6) == "same"


def test_tally_counts_every_example_once_per_width(lm_and_data):
    model, data = lm_and_data
    prompts = ["ab", "abc a", "a", "ab a"]
    pairs = [(lm_problem(model, data.vocab, "char", p), None) for p in prompts]
    pairs = [(pr, pr.encode_target("c")) for pr, _unused in pairs]
    seen = []
    result = tally(iter(pairs), [1, 2, 3], 6, 0.6, "shrink", progress=seen.append)
    assert result.n == 4 and seen == [1, 2, 3, 4]
    for width in (1, 2, 3):
        assert sum(result.outcomes[width].values()) == 4
        assert sum(result.conventions[width].values()) == 4
        direct = [compare(pr.best(width, 6, 0.6, "keep").best.score,
                          pr.best(width, 6, 0.6, "shrink").best.score) for pr, _ref in pairs]
        assert result.conventions[width] == {k: direct.count(k) for k in result.conventions[1]}
    assert result.conventions[1]["same"] == 4  # width 1 is greedy under both conventions


def test_tally_says_which_convention_won_on_the_constructed_model():
    """The table model of test_search_conventions: at B = 2 and alpha 1 the refilled beam finds
    "b end" and the shrinking beam does not; at B = 1 both are greedy."""
    from seqviz.decoding.problem import SearchProblem
    from tests.test_search_conventions import END, START, table_reorder, table_step

    problem = SearchProblem(table_step, table_reorder, [()], START, END, str,
                            lambda ids: " ".join(map(str, ids)), lambda text: [END])
    result = tally([(problem, [1, END])], [1, 2], 5, 1.0, "shrink")
    assert result.conventions[2] == {"keep better": 1, "same": 0, "shrink better": 0}
    assert result.conventions[1]["same"] == 1
    # under the shrinking beam the reference "b end" (scored higher) is a search error
    assert result.outcomes[2] == {"correct": 0, "search error": 1, "model error": 0}
    assert tally([(problem, [1, END])], [2], 5, 1.0, "keep").outcomes[2]["correct"] == 1
