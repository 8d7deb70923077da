"""The benchmark scripts still run (tiny sizes, one repetition): they are how speed goals are
reported, so they must not rot between the sessions that read them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_gradients_runs_and_prints_every_part(capsys):
    threads = torch.get_num_threads()
    try:
        _load("bench_gradients").main(["--reps", "1", "--warmup", "0", "--hidden", "16",
                                       "--seq-len", "8", "--batch", "4"])
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    for word in ("rnn", "lstm", "W_hh terms", "terms product", "terms count", "the goal leaves"):
        assert word in out


def test_pair_slots_count_every_entry_once_per_pair():
    bench = _load("bench_gradients")
    terms = torch.randn(5, 64)
    pairs = bench._pair_slots(terms, bins=41)
    assert pairs.numel() == 5 * 32
    per_step = torch.bincount(pairs // 42 ** 2, minlength=5)
    assert per_step.tolist() == [32] * 5  # each step's pairs stay in that step's slots


def test_bench_load_runs_and_prints_every_figure(capsys):
    threads = torch.get_num_threads()
    try:
        _load("bench_load").main(["--tiny", "--sessions", "3", "--seconds", "2",
                                  "--capacity-seconds", "1", "--max-per-worker", "1"])
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    for words in ("sessions per core at >= 10 steps/s", "PLAYING_PER_WORKER", "N =   3 (cap",
                  "Pause median", "per session", "after they ended", "of warm before",
                  "of cold"):
        assert words in out, out


def test_bench_fflm_prints_the_same_order_n_gram_beside_the_feed_forward_lm(capsys):
    threads = torch.get_num_threads()
    try:
        _load("bench_fflm").main(["--corpus", "grammar", "--level", "word", "--steps", "2,4",
                                  "--windows", "1", "--no-gru"])
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert "| feed-forward, n = 2 |" in out and "2-gram" in out


def test_bench_word2vec_tiny_runs_without_gensim(capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_gensim(name, *args, **kwargs):
        if name == "gensim" or name.startswith("gensim."):
            raise ImportError("no gensim here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_gensim)
    threads = torch.get_num_threads()
    bench = _load("bench_word2vec")
    try:
        assert bench.main(["--tiny"]) == 0
        out = capsys.readouterr().out
        assert "pairs per CPU-second" in out and "gensim not installed" in out
        for name in ("negative", "hierarchical", "sampled", "full"):
            assert name in out
        assert bench.main([]) == 2  # the full comparison says plainly that gensim is missing
        assert "gensim is not installed" in capsys.readouterr().out
    finally:
        torch.set_num_threads(threads)


def test_bench_follow_runs_and_prints_both_columns(capsys):
    _load("bench_follow").main(["--tiny", "--followers", "3", "--seconds", "1", "--rounds", "1"])
    out = capsys.readouterr().out
    for words in ("0 followers", "3 followers", "with none", "per redraw"):
        assert words in out


def test_engine_rate_is_the_lecturers_steps_per_second_from_two_stats_lines(tmp_path):
    """bench_follow / bench_live read the lecturer's rate from the engine's stats file: the run
    that moved most between two lines, over the lines' own times."""
    import json

    live = _load("bench_live")
    stats = tmp_path / "engine.jsonl"
    assert live.engine_steps(stats)[1] == {}  # no file yet: no runs
    stats.write_text(json.dumps({"t": 100.0, "runs": [[1, 10, True, 0, 0], [2, 5, False, 0, 0]],
                                 "queued": 0}) + "\n")
    before = live.engine_steps(stats)
    with stats.open("a") as f:
        f.write(json.dumps({"t": 104.0, "runs": [[1, 210, True, 0, 0], [2, 5, False, 0, 0]],
                            "queued": 0}) + "\n")
    after = live.engine_steps(stats)
    assert before == (100.0, {1: 10, 2: 5}) and after == (104.0, {1: 210, 2: 5})
    assert live.engine_rate(before, after) == pytest.approx(50.0)
    assert live.engine_rate(after, after) == 0.0


def test_word2vec_per_pair_reference_learns_the_grammar():
    """``--per-pair`` (gensim's loop in NumPy) is the reference the prose gap is judged by: it
    must train, not just run. After one epoch on the grammar it answers 15 % of the analogies
    (chance: about 1 in the vocabulary's few hundred words; untrained vectors score 0-1 %)."""
    import dataclasses

    bench = _load("bench_word2vec")
    cfg = dataclasses.replace(bench.EmbConfig(), epochs=1)
    text = bench.corpus_text("grammar")
    corpus, vectors = bench.per_pair_reference(text, cfg, seed=0)
    assert vectors.shape == (corpus.vocab_size, cfg.embed_size)
    assert bench._accuracy(vectors, corpus.words) >= 0.1
    untrained = np.random.default_rng(0).uniform(-1, 1, vectors.shape) / cfg.embed_size
    assert bench._accuracy(untrained, corpus.words) < 0.05


def test_word2vec_bootstrap_interval_of_the_overlap_difference():
    """The prose goal compares two means of pairwise overlaps; the benchmark prints a bootstrap
    interval for their difference, resampling runs (not pairs) on both sides."""
    bench = _load("bench_word2vec")
    sg, gg = np.full((4, 5), 0.5), np.full((5, 5), 0.4)
    lo, hi = bench.bootstrap_difference(sg, gg, reps=200)
    assert abs(lo - 0.1) < 1e-12 and abs(hi - 0.1) < 1e-12  # no spread: the difference itself
    rng = np.random.default_rng(1)
    sg = 0.32 + rng.normal(0, 0.01, (6, 6)) + rng.normal(0, 0.01, (6, 1))  # a seqviz run effect
    g = 0.33 + rng.normal(0, 0.01, (6, 6))
    gg = (g + g.T) / 2
    lo, hi = bench.bootstrap_difference(sg, gg, reps=500)
    pairs = [gg[i, j] for i in range(6) for j in range(i + 1, 6)]
    assert lo < sg.mean() - np.mean(pairs) < hi and hi - lo > 0.005


def test_word2vec_reference_overlaps_leave_out_runs_of_the_same_seed():
    """A gensim seed fixes the initial vectors, so gensim on another sentence order is compared
    with corpus-order runs of other seeds only: the same-seed pairs (index i with i) are left
    out, every other pair is kept."""
    bench = _load("bench_word2vec")
    a = [[{0, 1}, {5, 6}], [{0, 2}, {5, 7}], [{0, 3}, {5, 8}]]  # runs: neighbour sets of 2 words
    b = [list(run) for run in a]  # run i of b equals run i of a; any two others share half
    got = bench.other_seed_overlaps(a, b)
    assert got == [0.5] * 6  # no same-seed pair (1.0) counted, none of the others missed
