"""Beam-search speed: B = 10 vs B = 1, 30 output steps, on the default bundled seq2seq model;
and the search tree's height on the bundled language models, the old layout against the new.

Run: python benchmarks/bench_beam.py [--heights-only]. One thread. The end token is disabled so
every timed run really takes 30 steps; "tree" also records every kept hypothesis's top-B
children for drawing. Heights: the old layout gave every leaf its own 26 px row (plus 160 px);
the layered one (``seqviz.decoding.tree_layout``) gives each node a row within its column.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqviz.attention.checkpoint import load_s2s_payload  # noqa: E402
from seqviz.attention.tasks import TaskSpec, build_task  # noqa: E402
from seqviz.checkpoint import load_weights, pretrained_path, spec_from_dict  # noqa: E402
from seqviz.decoding.beam import beam_search  # noqa: E402
from seqviz.decoding.figures import beam_tree_figure  # noqa: E402
from seqviz.decoding.seq2seq import s2s_problem  # noqa: E402
from seqviz.models.seq2seq import Seq2Seq, Seq2SeqSpec  # noqa: E402


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


def tree_heights(sources=(("lm_prose", "The "), ("lm_python", "def ")),
                 settings=((3, 3), (5, 5), (10, 10)), max_len: int = 30) -> list[tuple]:
    """(model, B, children drawn, nodes, old px, new px, build ms) per setting."""
    from seqviz.decoding.sources import bundled_source

    rows = []
    for name, prompt in sources:
        problem = bundled_source(name).problem(prompt)
        for width, expand in settings:
            tree = problem.search(width, max_len, 0.6, expand=expand)
            nodes = tree.nodes
            parents = [n.parent for n in nodes]
            leaves = len(nodes) - len(set(parents))
            start = time.perf_counter()
            fig = beam_tree_figure(parents, [n.step for n in nodes],
                                   [problem.label(n.token) for n in nodes],
                                   [n.logp for n in nodes], [n.score for n in nodes],
                                   [n.status for n in nodes])
            ms = (time.perf_counter() - start) * 1000
            rows.append((name, width, expand, len(nodes), max(420, 26 * leaves + 160),
                         fig.layout.height, ms))
    return rows


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    torch.set_num_threads(1)
    if "--heights-only" not in argv:
        speed()
    print(f"\n{'model':<10} {'B':>3} {'drawn':>5} {'nodes':>6} {'old px':>7} {'new px':>7} "
          f"{'build ms':>9}")
    for name, width, expand, n, old, new, ms in tree_heights():
        print(f"{name:<10} {width:>3} {expand:>5} {n:>6} {old:>7} {new:>7} {ms:>9.0f}")


def speed() -> None:
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
