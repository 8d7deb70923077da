"""The feed-forward LM against the n-gram of its own order and against a GRU (issue 16).

    python benchmarks/bench_fflm.py [--steps 100,300,1000] [--windows 4,8] [--corpus prose]

Each model is the LM page's experiment (``LMExperiment``: page defaults, seed 0, one thread)
on the same corpus, validation tokens and batches; the Kneser-Ney n-grams are fitted in the same
run on the same tokens. Prints validation perplexity at each checkpoint step with the seconds of
training it took (the "within seconds of Play" figure), beside the same-order n-gram and a GRU
trained the same way. The lecture's feed-forward step quotes these numbers.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", default="100,300,1000")
    ap.add_argument("--windows", default="4,8")
    ap.add_argument("--corpus", default="prose")
    ap.add_argument("--level", default="char")
    ap.add_argument("--no-gru", action="store_true")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    from seqviz.data import build_text_data, load_corpus
    from seqviz.lm.config import LMConfig
    from seqviz.lm.experiment import LMExperiment, baseline_orders, fit_baselines, model_name

    checkpoints = sorted(int(s) for s in args.steps.split(","))
    windows = [int(w) for w in args.windows.split(",")]
    base = LMConfig(corpus=args.corpus, level=args.level)
    data = build_text_data(load_corpus(args.corpus), args.level)
    orders = set(baseline_orders(args.level))
    for w in windows:
        orders.add(w + 1)
    lines = {b.order: b.perplexity for b in fit_baselines(data, tuple(sorted(orders)))}
    print(f"## {args.corpus}, {args.level}: validation perplexity (seed 0, page defaults)")
    print("Kneser-Ney: " + ", ".join(f"{n}-gram {p:.2f}" for n, p in sorted(lines.items())))
    print("| model | " + " | ".join(f"step {s} (s)" for s in checkpoints)
          + " | same-order n-gram |")
    print("| --- " * (len(checkpoints) + 2) + "|")
    cfgs = [replace(base, cell="ff", window=w) for w in windows]
    cfgs += [] if args.no_gru else [replace(base, cell="gru")]
    for cfg in cfgs:
        exp = LMExperiment.build(cfg, data, eval_every=10**9)
        cells, done, spent = [], 0, 0.0
        for s in checkpoints:
            start = time.perf_counter()
            exp.step(s - done)
            spent += time.perf_counter() - start
            done = s
            cells.append(f"{exp.trainer.evaluate_now():.2f} ({spent:.0f})")
        same = f"{lines[cfg.order]:.2f}" if cfg.order else "–"
        print(f"| {model_name(cfg)} | " + " | ".join(cells) + f" | {same} |", flush=True)


if __name__ == "__main__":
    main()
