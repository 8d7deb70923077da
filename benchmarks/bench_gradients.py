"""Cost of capturing per-timestep gradients and their histograms, against one training step.

    python benchmarks/bench_gradients.py [--reps 40] [--cells rnn,lstm]

The issue's speed goal: for a vanilla RNN and an LSTM (hidden 128, T 64, batch 32, one
thread), capturing dL/dh_t for every t, the step-t terms of dL/dW_hh and histograms of both
(``seqviz.gradients.analysis.snapshot`` without the Jacobian analysis) should cost at most
1.5x one plain training step on the same batch (fused forward, backward, Adam). Both are run
alternately on the same model and batch, so load from other processes hits both alike; medians
of wall time and of this thread's CPU time are printed (CPU time is the steadier one on a shared machine).
The Jacobian / gate analysis ("why") is timed on its own.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from seqviz.gradients.analysis import (bptt, histogram_per_step, snapshot,  # noqa: E402
                                       weight_term_stats, why)
from seqviz.gradients.bptt import _fused_states  # noqa: E402
from seqviz.gradients.tasks import build_net, build_task  # noqa: E402


def _timed(fn) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.thread_time()
    fn()
    return (time.perf_counter() - w0) * 1e3, (time.thread_time() - c0) * 1e3


def bench_cell(cell: str, args) -> dict[str, tuple[float, float]]:
    task = build_task("recall", args.seq_len, args.batch, seed=0)
    net = build_net(cell, task, args.hidden, "tanh", 1.0, seed=0)
    x, y = task.next()
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)

    def plain() -> None:  # what Trainer does per step, minus bookkeeping
        opt.zero_grad(set_to_none=True)
        task.loss(net(x), y).backward()
        opt.step()

    def forward_backward() -> None:  # the plain step without Adam
        opt.zero_grad(set_to_none=True)
        task.loss(net(x), y).backward()

    def capture() -> None:
        snapshot(net.rnn, x, net.head_loss(task, y), with_why=False)

    def analysis() -> None:
        why(bptt(net.rnn, x, net.head_loss(task, y))[1])

    tr = bptt(net.rnn, x, net.head_loss(task, y))[1]
    h0 = x.new_zeros(x.size(0), args.hidden)
    terms = tr.weight_hh_terms().view(tr.dh.size(0), -1)  # (T, G*H*H)
    pairs = _pair_slots(terms)
    n_slots = int(pairs.max()) + 1
    parts = {  # where a capture's time goes (their sum is about one capture)
        "forward": lambda: _fused_states(net.rnn, x, h0, h0 if cell == "lstm" else None),
        "bptt": lambda: bptt(net.rnn, x, net.head_loss(task, y)),
        "W_hh terms": lambda: weight_term_stats(tr),
        "dh hist": lambda: histogram_per_step(tr.dh.reshape(tr.dh.size(0), -1)),
        # two irreducible pieces of "W_hh terms", each in its fastest form measured here
        "terms product": lambda: tr.weight_hh_terms(),
        "terms count": lambda: torch.bincount(pairs, minlength=n_slots),
        "training fwd+bwd": forward_backward,
    }
    jobs = {"plain step": plain, "capture": capture, "capture + why": analysis, **parts}
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in jobs}
    for i in range(args.warmup + args.reps):
        order = list(jobs) if i % 2 == 0 else list(reversed(jobs))  # interleaved
        for name in order:
            t = _timed(jobs[name])
            if i >= args.warmup:
                times[name].append(t)
    return {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
            for k, v in times.items()}


def _pair_slots(terms: torch.Tensor, bins: int = 41) -> torch.Tensor:
    """The bincount input that counting every term entry needs at the least: one slot per
    (step, bin of entry k, bin of entry k + N/2) pair, as ``step_hist._bin_rows`` forms it."""
    m = float(terms.abs().max())
    idx = ((terms + m) * (bins / (2 * m))).clamp_(0, bins).to(torch.int32)
    half, slots = terms.size(1) // 2, (bins + 1) ** 2
    pair = idx[:, :half] * (bins + 1) + idx[:, half:2 * half]
    return (pair + torch.arange(terms.size(0), dtype=torch.int32)[:, None] * slots).flatten()


PARTS = ("forward", "bptt", "W_hh terms", "dh hist")
FLOOR = ("terms product", "terms count")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reps", type=int, default=40)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--cells", default="rnn,lstm")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--batch", type=int, default=32)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, H={args.hidden} T={args.seq_len} "
          f"B={args.batch}, median of {args.reps} interleaved repetitions (ms)")
    print(f"{'cell':<6}{'plain wall':>12}{'capture wall':>14}{'ratio':>7}"
          f"{'plain cpu':>11}{'capture cpu':>13}{'ratio':>7}{'why (bptt+why) cpu':>20}")
    rows = []
    for cell in [c.strip() for c in args.cells.split(",") if c.strip()]:
        r = bench_cell(cell, args)
        (pw, pc), (cw, cc), (_, ac) = r["plain step"], r["capture"], r["capture + why"]
        print(f"{cell:<6}{pw:>12.2f}{cw:>14.2f}{cw / pw:>7.2f}{pc:>11.2f}{cc:>13.2f}"
              f"{cc / pc:>7.2f}{ac:>20.2f}")
        rows.append((cell, {k: r[k][1] for k in PARTS}, {k: r[k][1] for k in FLOOR}, pc,
                     r["training fwd+bwd"][1]))
    print("where a capture's CPU time goes (ms; 'bptt' includes its forward pass):")
    for cell, parts, *_ in rows:
        print(f"  {cell:<6}" + "  ".join(f"{k} {v:.2f}" for k, v in parts.items()))
    print("making the W_hh terms (one batched product) and counting them (one bincount of "
          "their paired bin slots), alone:")
    for cell, _, floor, pc, fb in rows:
        total = sum(floor.values())
        print(f"  {cell:<6}" + "  ".join(f"{k} {v:.2f}" for k, v in floor.items())
              + f"  = {total:.2f} ms, {total / pc:.2f}x the plain step; the goal leaves "
              f"{1.5 - total / pc:.2f}x for the capture's forward and backward, training's "
              f"own take {fb / pc:.2f}x")


if __name__ == "__main__":
    main()
