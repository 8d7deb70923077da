"""Rewind: weights at past steps in bounded memory (seqviz.engine.rewind), served by live runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqviz.data import build_text_data, load_corpus
from seqviz.engine.rewind import (MAX_KEPT, PAGE_KEPT, RUN_BYTES, SESSION_BYTES, SESSION_RUNS,
                                  WORKER_RUN_BYTES, WORKER_RUNS, ModuleHistory, WeightHistory,
                                  nbytes)
from seqviz.hidden.probes import trace_lm
from seqviz.lm.config import LMConfig
from seqviz.lm.experiment import LMExperiment
from seqviz.lm.live import LiveLM, build_run
from seqviz.lm.experiment import fit_baselines

TINY = LMConfig(corpus="grammar", level="word", hidden_size=16, embed_size=8, seq_len=8,
                batch_size=4, seed=3)


def _weights(size: int, value: float = 0.0) -> dict:
    return {"w": np.full(size, value, dtype=np.float32)}


def test_the_memory_bound_holds_for_any_model_size():
    """Capacity = budget // measured snapshot bytes (at most MAX_KEPT); the kept bytes never
    pass the budget; a model whose two snapshots do not fit keeps none."""
    budget = 1_000_000
    for size in (10, 25_000, 100_000, 200_000):  # 40 B ... 800 kB per snapshot
        h = WeightHistory(budget=budget)
        for step in range(3000):
            h.offer(step, lambda: _weights(size))
            assert h.bytes <= budget
        per = 4 * size
        assert h.snapshot_bytes == per
        capacity = min(MAX_KEPT, budget // per)
        assert h.capacity == (capacity if capacity >= 2 else 0)
        assert len(h.steps()) == h.capacity
    big = WeightHistory(budget=budget)
    assert not big.offer(0, lambda: _weights(300_000))  # 1.2 MB > budget / 2
    assert big.steps() == [] and big.bytes == 0 and not big.wants(1)


def test_a_session_stays_under_50_mb():
    """Every run that keeps weights has RUN_BYTES in its worker and as much on its page (two
    snapshots fit a run's budget whenever it keeps any); a session has SESSION_RUNS of them."""
    assert SESSION_BYTES == 50 * 2**20
    assert 2 * SESSION_RUNS * RUN_BYTES <= SESSION_BYTES
    assert PAGE_KEPT == 2
    # the runs drawn in the worker (their rebuilt models within their budget, nothing on the
    # page) share the third run's place with the language model and word2vec beside them
    assert 2 * 2 * RUN_BYTES + WORKER_RUNS * WORKER_RUN_BYTES <= SESSION_BYTES


def test_a_module_history_rebuilds_past_modules_within_its_budget():
    """``modules_at`` copies the modules with a kept step's weights (the live ones untouched);
    one snapshot of the budget is kept free for those copies."""
    torch.manual_seed(0)
    nets = {"a": torch.nn.Linear(10, 10), "b": torch.nn.GRU(4, 5)}
    size = sum(p.numel() * 4 for n in nets.values() for p in n.state_dict().values())
    h = ModuleHistory(nets, budget=5 * size)
    then = {k: v.clone() for k, v in nets["a"].state_dict().items()}
    h.keep(0)
    for step in range(1, 20):
        with torch.no_grad():
            for net in nets.values():
                for p in net.parameters():
                    p.add_(1.0)
        h.keep(step)
    assert h.capacity == 4 and len(h.steps()) == 4 and h.bytes <= 4 * size
    kept, past = h.modules_at(0)
    assert kept == 0 and past["a"] is not nets["a"] and not past["a"].training
    for k, v in past["a"].state_dict().items():
        torch.testing.assert_close(v, then[k])
    assert not torch.equal(nets["a"].weight, past["a"].weight)
    assert h.modules_at(0)[1] is past  # built once


def test_spacing_is_dense_near_the_start_and_near_now():
    """Step 0 and the newest are kept; any step of the run has a kept one within a quarter of
    its distance from the nearer end (log spacing from both ends), or within half the copying
    stride near now."""
    h = WeightHistory(budget=64 * 400)
    taken = sum(h.offer(step, lambda: _weights(100)) for step in range(100_001))
    kept = h.steps()
    assert kept[0] == 0 and kept[-1] >= 100_000 - 100_000 // (4 * 64)
    assert len(kept) == 64 and kept == sorted(set(kept))
    assert kept[:4] == [0, 1, 2, 3]  # the first steps, where most changes
    assert taken < 2500  # copies are rare: about step / (4 * capacity) apart
    now = kept[-1]
    for t in range(0, now, 97):
        near = h.nearest(t)
        assert abs(near - t) <= max(now // (8 * 64) + 1, 0.25 * min(t, now - t)), (t, near)


def test_kept_weights_are_copies_and_get_returns_the_nearest():
    h = WeightHistory(budget=10_000)
    w = torch.zeros(3)
    for step in range(5):
        w += 1
        h.offer(step, lambda: {"w": w})
    assert h.get(2)[1]["w"].tolist() == [3.0, 3.0, 3.0]
    assert h.get(2.4)[0] == 2 and h.nearest(100) == 4 and h.nearest(-5) == 0
    with pytest.raises(KeyError):
        WeightHistory().get(3)


def test_the_lm_run_keeps_the_weights_it_had():
    """A run stepped in the worker's way: the weights kept for step s are the model's after s
    steps of an identical run (same seed, same numbers)."""
    run = build_run(TINY)
    run.step(40)
    kept = run.rewind.steps()
    assert kept[0] == 0 and kept[-1] == 40 and nbytes(run.weights_at(40)["weights"]) > 0
    s = kept[len(kept) // 2]
    other = LMExperiment.build(TINY, build_text_data(load_corpus("grammar"), "word"))
    other.step(s)
    got = run.weights_at(s)
    assert got["step"] == s
    for name, value in other.model.state_dict().items():
        np.testing.assert_array_equal(got["weights"][name], value.numpy())


def test_the_past_trace_equals_the_trace_shown_then(engine):
    """The hidden-states page's trace of a past step, rebuilt from the kept weights, equals the
    trace it drew when the live model was at that step."""
    data = build_text_data(load_corpus("grammar"), "word")
    exp = LiveLM.open(engine, TINY, data, fit_baselines(data, (1,)))
    try:
        probe = data.val[:20].numpy()
        exp.step(7)
        assert exp.steps == 7
        shown = trace_lm(exp.model(), probe)  # what the page drew at step 7
        exp.step(30)
        assert exp.steps == 37 and 7 in exp.kept_steps() and 37 in exp.kept_steps()
        past = trace_lm(exp.model_at(7), probe)
        for a, b in zip(shown.layers, past.layers):
            np.testing.assert_array_equal(a.hidden, b.hidden)
            np.testing.assert_array_equal(a.cell, b.cell)
        now = trace_lm(exp.model(), probe)
        assert not np.array_equal(now.layers[0].hidden, past.layers[0].hidden)
        assert exp.model_at(7) is exp.model_at(7)  # built once
    finally:
        exp.close()


def test_the_past_sample_equals_the_sample_shown_then(engine):
    """The language-model page's sample at a past step, rebuilt from the kept weights with the
    page's prompt, temperature and seed, is the sample the page showed at that step."""
    from seqviz.lm.live import SAMPLE_LENGTH
    from seqviz.lm.rewind import next_tokens, sample_text

    data = build_text_data(load_corpus("grammar"), "word")
    exp = LiveLM.open(engine, TINY, data, [])
    try:
        exp.set_prompt("the king")
        exp.step(6)
        shown = exp.view.sample
        assert shown is not None and shown.step == 6 and shown.prompt == "the king"
        exp.step(20)
        text, unknown = sample_text(exp.model_at(6), data, "the king", SAMPLE_LENGTH["word"],
                                    TINY.temperature, TINY.seed)
        assert text == shown.text and unknown == shown.unknown == 0
        top = next_tokens(exp.model_at(6), data, "the king")
        assert len(top) == 5 and abs(sum(p for _, p in top)) <= 1.0 + 1e-6
        assert top == sorted(top, key=lambda kv: -kv[1])
        assert next_tokens(exp.model_at(6), data, "") == []
    finally:
        exp.close()
