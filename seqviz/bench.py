"""Training-step speed of seqviz's recurrent layers against torch.nn's, measured in one run.

    python -m seqviz.bench [--steps 30] [--cells lstm,gru,rnn] [--loop-steps 5]

Model: a tiny language model, nn.Embedding -> recurrent layer -> nn.Linear, cross-entropy,
backward, Adam step, on one thread (as the app runs). Both implementations start from the same
weights and see the same batches; their steps are interleaved so drift in machine load hits both
alike. Reported: median milliseconds per step, and seqviz / torch. The loop path
(``fused=False``) is printed for information: it is what ``return_internals=True`` costs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from seqviz.models import CELLS

TORCH_CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class TinyLM(nn.Module):
    """Embedding (V -> E) -> recurrent (E -> H) -> linear head (H -> V)."""

    def __init__(self, layer: nn.Module, vocab: int, embed: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.rnn = layer
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(idx))  # (B, T, H)
        return self.head(out)  # (B, T, V)


def make_models(cell: str, args) -> dict[str, TinyLM]:
    """seqviz fused, torch, seqviz loop: identical initial weights."""
    torch.manual_seed(args.seed)
    ref = TinyLM(TORCH_CELLS[cell](args.embed, args.hidden, batch_first=True),
                 args.vocab, args.embed, args.hidden)
    models = {"torch": ref}
    for name, fused in [("seqviz", True), ("loop", False)]:
        ours = TinyLM(CELLS[cell](args.embed, args.hidden), args.vocab, args.embed, args.hidden)
        ours.load_state_dict(ref.state_dict(), strict=True)
        ours.rnn.fused = fused
        models[name] = ours
    return models


def make_stepper(model: TinyLM, lr: float = 1e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()

    def step(batch: torch.Tensor) -> float:
        """One training step; returns its wall time in ms."""
        t0 = time.perf_counter()
        logits = model(batch[:, :-1])  # (B, T, V)
        loss = loss_fn(logits.reshape(-1, logits.size(-1)), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return (time.perf_counter() - t0) * 1e3

    return step


def bench_cell(cell: str, args) -> dict[str, float]:
    """Median ms per step for each implementation, interleaved step by step."""
    models = make_models(cell, args)
    steppers = {name: make_stepper(m) for name, m in models.items()}
    gen = torch.Generator().manual_seed(args.seed)
    batches = [torch.randint(args.vocab, (args.batch, args.seq_len + 1), generator=gen)
               for _ in range(8)]
    times: dict[str, list[float]] = {name: [] for name in steppers}
    for i in range(args.warmup + args.steps):
        batch = batches[i % len(batches)]
        order = ["seqviz", "torch"] if i % 2 == 0 else ["torch", "seqviz"]
        if i < args.warmup + args.loop_steps:
            order.append("loop")
        for name in order:
            ms = steppers[name](batch)
            if i >= args.warmup:
                times[name].append(ms)
    return {name: statistics.median(ts) if ts else float("nan") for name, ts in times.items()}


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m seqviz.bench", description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=30, help="timed steps per implementation")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--cells", default="lstm,gru,rnn", help="comma-separated: lstm,gru,rnn")
    p.add_argument("--loop-steps", type=int, default=5, help="timed steps of the loop path")
    p.add_argument("--vocab", type=int, default=100)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    args.cells = [c.strip().lower() for c in args.cells.split(",") if c.strip()]
    unknown = [c for c in args.cells if c not in CELLS]
    if unknown:
        p.error(f"unknown cell(s) {unknown}; valid: {', '.join(CELLS)}")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, V={args.vocab} "
          f"E={args.embed} H={args.hidden} T={args.seq_len} B={args.batch}, median of "
          f"{args.steps} steps ({args.loop_steps} for the loop path) after {args.warmup} warm-up")
    header = ("cell", "seqviz ms", "torch ms", "ratio", "loop ms", "loop/torch")
    print("{:<6}{:>11}{:>10}{:>8}{:>10}{:>12}".format(*header))
    for cell in args.cells:
        r = bench_cell(cell, args)
        print(f"{cell:<6}{r['seqviz']:>11.2f}{r['torch']:>10.2f}{r['seqviz'] / r['torch']:>8.3f}"
              f"{r['loop']:>10.2f}{r['loop'] / r['torch']:>12.1f}")


if __name__ == "__main__":
    main()
