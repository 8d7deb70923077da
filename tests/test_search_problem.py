import pytest
import torch

from seqviz.data import build_text_data
from seqviz.decoding.problem import analyse, classify, lm_problem, tally_by_width
from seqviz.models.lm import LMSpec, build_lm


@pytest.fixture
def lm_and_data():
    data = build_text_data("abc abd\nabc abe\n" * 30, "char")
    model = build_lm(LMSpec(vocab_size=len(data.vocab), embed_size=6, hidden_size=12,
                            cell="lstm"), seed=0).eval()
    return model, data


def test_reference_logp_equals_teacher_forcing(lm_and_data):
    model, data = lm_and_data
    problem = lm_problem(model, data.vocab, "char", "ab")
    ref = problem.encode_target("c ab")
    assert ref[-1] == data.vocab.stoi["\n"]
    ids = data.vocab.encode(list("ab")) + ref
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids]))
    lp = torch.log_softmax(logits[0], -1)
    expected = sum(float(lp[1 + i, t]) for i, t in enumerate(ref))
    assert problem.logp(ref) == pytest.approx(expected, abs=1e-5)


def test_classify_kinds():
    assert classify([1, 2], [1, 2], -1.0, -1.0, 0.0).kind == "correct"
    assert classify([1, 2], [3], -1.0, -2.0, 0.0).kind == "search error"
    assert classify([1, 2], [3], -2.0, -1.0, 0.0).kind == "model error"
    # length normalisation changes the verdict: -3/2 > -2/1 only with alpha = 1
    assert classify([1, 2], [3], -3.0, -2.0, 0.0).kind == "model error"
    assert classify([1, 2], [3], -3.0, -2.0, 1.0).kind == "search error"


def test_analyse_and_tally_are_consistent(lm_and_data):
    model, data = lm_and_data
    pairs = [(lm_problem(model, data.vocab, "char", p), None) for p in ["ab", "abc a", "a"]]
    pairs = [(pr, pr.encode_target("c")) for pr, _ in pairs]
    by_width = tally_by_width(pairs, [1, 3], max_len=4, alpha=0.5)
    for width, counts in by_width.items():
        assert sum(counts.values()) == 3
        kinds = [analyse(pr, ref, width, 4, 0.5)[0].kind for pr, ref in pairs]
        assert sorted(kinds) == sorted(counts.elements())


def test_a_wide_beam_has_no_search_errors_on_short_outputs(lm_and_data):
    model, data = lm_and_data
    problem = lm_problem(model, data.vocab, "char", "ab")
    for ref_text in ["c", "d", "e", "ca"]:
        ref = problem.encode_target(ref_text)
        verdict, _ = analyse(problem, ref, beam_width=len(data.vocab) ** len(ref), max_len=len(ref),
                             alpha=0.0)
        assert verdict.kind != "search error"


def test_next_tokens_and_sample(lm_and_data):
    model, data = lm_and_data
    problem = lm_problem(model, data.vocab, "char", "ab")
    top = problem.next_tokens([], k=3)
    assert len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1]
    assert problem.sample(10, 1.0, seed=1) == problem.sample(10, 1.0, seed=1)
