"""The feed-forward LM (Bengio et al. 2003): a hand computation, a distribution, state carried
across chunks, training, sampling and beam search, and its URL settings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqviz.config import from_query, to_query
from seqviz.data import build_text_data
from seqviz.decoding.beam import beam_search
from seqviz.lm.config import LMConfig
from seqviz.lm.decode import lm_search_fns
from seqviz.lm.experiment import LMExperiment, baseline_orders, fit_baselines, model_name
from seqviz.models.fflm import FeedForwardLM
from seqviz.models.lm import LMSpec, build_lm

SPEC = LMSpec(vocab_size=5, embed_size=3, hidden_size=4, cell="ff", window=2)


def _fixed(spec: LMSpec = SPEC) -> FeedForwardLM:
    model = build_lm(spec, seed=0, device="cpu").double()
    rng = np.random.default_rng(1)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.normal(size=tuple(p.shape))))
    return model


def test_equals_a_hand_computation_in_numpy():
    model = _fixed()
    C = model.embed.weight.detach().numpy()  # (V, E)
    start = model.start.detach().numpy()
    Hw, d = model.hidden.weight.detach().numpy(), model.hidden.bias.detach().numpy()
    U, b = model.head.weight.detach().numpy(), model.head.bias.detach().numpy()
    ids = [3, 1, 4, 0, 2]
    probs = torch.softmax(model.run(torch.tensor([ids])).logits[0], -1).detach().numpy()
    padded = [None, None] + ids  # two positions before the start
    for t in range(len(ids)):
        x = np.concatenate([start if i is None else C[i] for i in padded[t + 1:t + 3]])
        h = np.tanh(Hw @ x + d)
        z = U @ h + b
        p = np.exp(z - z.max())
        np.testing.assert_allclose(probs[t], p / p.sum(), rtol=1e-12)


def test_probabilities_sum_to_one_and_a_state_carries_the_context():
    model = _fixed(LMSpec(vocab_size=7, embed_size=4, hidden_size=5, cell="ff", window=3))
    ids = torch.randint(0, 7, (2, 9), generator=torch.Generator().manual_seed(0))
    whole = model.run(ids)
    np.testing.assert_allclose(torch.softmax(whole.logits, -1).sum(-1).detach(), 1.0, rtol=1e-12)
    first = model.run(ids[:, :4])
    rest = model.run(ids[:, 4:], first.state)
    torch.testing.assert_close(torch.cat([first.logits, rest.logits], 1), whole.logits)
    assert whole.state.tolist() == ids[:, -3:].tolist()


def test_it_only_sees_n_minus_1_tokens():
    model = _fixed()
    a, b = torch.tensor([[0, 1, 2, 3]]), torch.tensor([[4, 4, 2, 3]])
    torch.testing.assert_close(model.run(a).logits[0, -1], model.run(b).logits[0, -1])


TEXT = "the cat sat on the mat. the dog sat on the log. " * 40


def _experiment(**kw) -> LMExperiment:
    cfg = LMConfig(corpus="prose", level="char", cell="ff", window=3, hidden_size=32,
                   embed_size=8, seq_len=16, batch_size=8, lr=0.01, **kw)
    return LMExperiment.build(cfg, build_text_data(TEXT, "char"), eval_every=40)


def test_it_trains_and_samples_and_beam_searches():
    exp = _experiment()
    exp.trainer.evaluate_now()
    exp.step(80)
    losses = [h.loss for h in exp.trainer.history]
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:5])
    (_, first), (_, last) = exp.trainer.evals[0], exp.trainer.evals[-1]
    assert last < 0.3 * first
    text, unknown = exp.sample("the ", length=40, temperature=0.0)
    assert unknown == 0 and len(text) == 40
    vocab = exp.data.vocab
    step, reorder, state, start = lm_search_fns(exp.model, vocab.encode(list("the c")))
    wide = beam_search(step, reorder, state, bos=start, eos=-1, beam_width=3, max_len=6)
    narrow = beam_search(step, reorder, state, bos=start, eos=-1, beam_width=1, max_len=6)
    assert wide.best.logp >= narrow.best.logp - 1e-9  # the reordered (N, W) contexts hold up


def test_same_seed_same_numbers_and_names():
    a, b = _experiment(), _experiment()
    a.step(5)
    b.step(5)
    assert [h.loss for h in a.trainer.history] == [h.loss for h in b.trainer.history]
    assert model_name(a.cfg) == "feed-forward, n = 4"
    assert model_name(LMConfig(cell="gru")) == "GRU"


def test_the_baselines_include_the_n_gram_of_its_order():
    assert baseline_orders("char", 9) == (1, 2, 3, 5, 9)
    assert baseline_orders("word", None) == (1, 2, 3)
    lines = fit_baselines(build_text_data(TEXT, "char"), baseline_orders("char", 4))
    assert [b.order for b in lines] == [1, 2, 3, 4, 5]


def test_config_round_trip_and_bad_window_values():
    cfg = LMConfig(cell="ff", window=7)
    assert from_query(LMConfig, to_query(cfg)) == (cfg, [])
    assert cfg.order == 8 and LMConfig().order is None
    for raw in ("0", "9", "-1", "4.5", "two", "１"):
        back, notices = from_query(LMConfig, {"cell": "ff", "window": raw})
        assert back.window == LMConfig().window and back.cell == "ff"
        assert len(notices) == 1 and "window" in notices[0]
    old, notices = from_query(LMConfig, {"cell": "gru", "hidden_size": "64"})  # an old link
    assert not notices and old.cell == "gru" and old.hidden_size == 64


def test_a_bad_window_is_refused_by_the_model():
    with pytest.raises(ValueError, match="window"):
        FeedForwardLM(LMSpec(vocab_size=5, cell="ff", window=9))


def test_the_embeddings_page_can_read_its_embeddings_and_hidden_layer():
    from seqviz.embeddings.experiment import lm_source_set, token_counts

    exp = _experiment()
    vocab, ids = exp.data.vocab, exp.data.val[:60]
    counts = token_counts(exp.data.train, len(vocab))
    for source in ("lm_embed", "lm_hidden"):
        eset = lm_source_set(source, exp.model, vocab, "char", "ff", counts, ids)
        assert len(eset.labels) > 0
