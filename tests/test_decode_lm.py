import pytest
import torch

from seqviz.decoding.beam import beam_search, greedy_search, sequence_logp
from seqviz.lm.decode import lm_search_fns, next_token_distribution, sample_lm
from seqviz.models.lm import LMSpec, build_lm


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm", "ff"])
def test_lm_adapters_match_a_full_forward(cell):
    model = build_lm(LMSpec(vocab_size=7, embed_size=5, hidden_size=8, cell=cell,
                            num_layers=2, window=2), seed=1).eval()
    prompt, cont = [1, 2, 3], [4, 5, 6]
    step, reorder, state, bos = lm_search_fns(model, prompt)
    ours = sequence_logp(step, state, cont, bos=bos)
    with torch.no_grad():
        logits, _ = model(torch.tensor([prompt + cont]))
    ref = torch.log_softmax(logits[0], -1)
    expected = [float(ref[len(prompt) - 1 + i, t]) for i, t in enumerate(cont)]
    assert ours == pytest.approx(expected, abs=1e-5)
    tree = beam_search(step, reorder, state, bos=bos, eos=-1, beam_width=1, max_len=5)
    greedy = greedy_search(step, state, bos=bos, eos=-1, max_len=5)
    assert tree.best.tokens == greedy.tokens
    assert tuple(sample_lm(model, prompt, 5, temperature=0.0)) == greedy.tokens


def test_temperature_and_top_k():
    logits = torch.tensor([1.0, 2.0, 3.0, 0.5])
    assert next_token_distribution(logits, 0.0).tolist() == [0, 0, 1, 0]
    p = next_token_distribution(logits, 1.0, top_k=2)
    assert p[0] == 0 and p[3] == 0 and float(p.sum()) == pytest.approx(1.0)
    hot, cold = next_token_distribution(logits, 2.0), next_token_distribution(logits, 0.5)
    assert float(hot.max()) < float(torch.softmax(logits, 0).max()) < float(cold.max())


def test_sampling_is_seeded():
    model = build_lm(LMSpec(vocab_size=9, embed_size=4, hidden_size=6), seed=0)
    assert sample_lm(model, [1], 20, seed=5) == sample_lm(model, [1], 20, seed=5)
    assert sample_lm(model, [1], 20, seed=5) != sample_lm(model, [1], 20, seed=6)
