"""The benchmark scripts still run (tiny sizes, one repetition): they are how speed goals are
reported, so they must not rot between the sessions that read them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

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
