import pytest
import torch

from seqviz.attention.tasks import TaskSpec, build_task, pad
from seqviz.decoding.problem import analyse
from seqviz.decoding.seq2seq import s2s_problem
from seqviz.models.seq2seq import Seq2SeqSpec, build_seq2seq


@pytest.fixture(scope="module")
def model_and_data():
    data = build_task(TaskSpec(name="reverse"))
    spec = Seq2SeqSpec(src_vocab_size=len(data.src_vocab), tgt_vocab_size=len(data.tgt_vocab),
                       embed_size=8, hidden_size=16, cell="lstm", attention="general")
    return build_seq2seq(spec, seed=0).eval(), data


def test_reference_logp_equals_model_score(model_and_data):
    model, data = model_and_data
    src, tgt = data.test[0]
    problem = s2s_problem(model, data, src)
    ref = problem.encode_target(tgt)
    ids, lengths = pad([data.encode_src(src)])
    with torch.no_grad():
        expected = float(model.score(ids, lengths, torch.tensor([ref])).sum())
    assert problem.logp(ref) == pytest.approx(expected, abs=1e-4)


def test_width_one_equals_model_greedy(model_and_data):
    model, data = model_and_data
    for src, _ in data.test[:5]:
        problem = s2s_problem(model, data, src)
        tree = problem.search(1, 20, 0.0)
        ids, lengths = pad([data.encode_src(src)])
        greedy = model.greedy_decode(ids, lengths, max_len=20)
        assert list(tree.best.tokens[:len(greedy.ids[0])]) == greedy.ids[0]
        assert tree.greedy.tokens == tree.best.tokens


def test_wide_beam_scores_at_least_greedy(model_and_data):
    model, data = model_and_data
    src, tgt = data.test[1]
    problem = s2s_problem(model, data, src)
    narrow, wide = problem.search(1, 12, 0.0), problem.search(10, 12, 0.0)
    assert wide.best.logp >= narrow.best.logp - 1e-6
    verdict, _ = analyse(problem, problem.encode_target(tgt), 3, 12, 0.6)
    assert verdict.kind in ("correct", "search error", "model error")


def test_empty_and_unknown_input(model_and_data):
    model, data = model_and_data
    problem = s2s_problem(model, data, "")
    assert problem.search(3, 5, 0.5).finals
    problem = s2s_problem(model, data, "1 2 @@ 3")
    assert problem.unknown >= 1
