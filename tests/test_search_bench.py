"""benchmarks/bench_beam.py still runs: its tree-height table on a bundled language model."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_beam_tree_heights():
    spec = importlib.util.spec_from_file_location("bench_beam",
                                                  ROOT / "benchmarks" / "bench_beam.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.tree_heights(sources=(("lm_prose", "The "),), settings=((3, 3),), max_len=20)
    (name, width, expand, nodes, old, new, _ms), = rows
    assert (name, width, expand) == ("lm_prose", 3, 3) and nodes > 50
    assert new < old and new <= 1500
