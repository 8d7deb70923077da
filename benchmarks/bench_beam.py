"""Beam-search speed: B = 10 vs B = 1, 30 output steps, on the default bundled seq2seq model.

Run: python benchmarks/bench_beam.py. One thread. The end token is disabled so every run
really takes 30 steps; "tree" also records every kept hypothesis's top-B children for drawing.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqviz.beam import beam_search  # noqa: E402
from seqviz.checkpoint import load_weights, pretrained_path, spec_from_dict  # noqa: E402
from seqviz.models.seq2seq import Seq2Seq, Seq2SeqSpec  # noqa: E402
from seqviz.s2s_checkpoint import load_s2s_payload  # noqa: E402
from seqviz.s2s_tasks import TaskSpec, build_task  # noqa: E402
from seqviz.search_s2s import s2s_problem  # noqa: E402


def load(name: str = "seq2seq_dates"):
    payload = load_s2s_payload(pretrained_path(name))
    data = build_task(spec_from_dict(TaskSpec, payload["task"]))
    model = Seq2Seq(spec_from_dict(Seq2SeqSpec, payload["spec"]))
    load_weights(model, payload["state_dict"])
    return model.eval(), data


def time_search(problem, width: int, expand: int, steps: int = 30, reps: int = 30) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        tree = beam_search(problem.step, problem.reorder, problem.state, bos=problem.bos,
                           eos=-1, beam_width=width, max_len=steps, expand=expand)
        times.append(time.perf_counter() - start)
        assert len(tree.finals[0].tokens) == steps
    return statistics.median(times) * 1000


def main() -> None:
    torch.set_num_threads(1)
    model, data = load()
    problem = s2s_problem(model, data, data.test[0][0])
    print(f"model: {model.spec}\ninput: {data.test[0][0]!r}; 30 steps, one thread, median of 30")
    time_search(problem, 10, 10, reps=3)  # warm-up
    rows = []
    for width in (1, 10):
        rows.append((width, time_search(problem, width, 1), time_search(problem, width, width)))
    print(f"{'B':>3} {'search ms':>10} {'with tree ms':>13}")
    for width, plain, tree in rows:
        print(f"{width:>3} {plain:>10.2f} {tree:>13.2f}")
    print(f"ratio B=10 / B=1: {rows[1][1] / rows[0][1]:.2f} (search), "
          f"{rows[1][2] / rows[0][2]:.2f} (with tree); goal: B=10 under 20 ms")


if __name__ == "__main__":
    main()
