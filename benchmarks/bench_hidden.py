"""Speed of the hidden-states page's work for one probe text, on one thread.

    python benchmarks/bench_hidden.py [--tokens 500] [--hidden 256] [--layers 2] [--repeats 7]

Issue 3's goal: tracing a 500-token probe through a 2-layer LSTM with hidden size 256 and
building all figures takes under 300 ms on one core. Measured here, per repeat:

- trace: ``trace_lm`` (the loop path with every gate, states, top-5, surprisal);
- analysis: span ranking, unit order, corpus matching, n-gram surprisal, PCA transform;
- figures: heatmap, gates, trajectory, top-5, surprisal, and three coloured-text HTML views;
- serialise: ``fig.to_json()`` of every figure, which Streamlit also has to do before sending.

Work the page caches per model (the corpus states, the PCA fit, the n-gram fit) is timed once,
separately. The reference printed alongside is the fused (cuDNN-style) forward pass of the same
model, which computes the output without exposing gates.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqviz.hidden.coloured_text import coloured_text_html  # noqa: E402
from seqviz.hidden.figures import (gates_figure, heatmap_figure, surprisal_figure,  # noqa: E402
                                   topk_figure, trajectory_figure)
from seqviz.hidden.neurons import default_span, find_matches, rank_units, unit_order  # noqa: E402
from seqviz.hidden.pca import fit_pca  # noqa: E402
from seqviz.hidden.probes import fit_ngram, ngram_surprisal, trace_corpus, trace_lm  # noqa: E402
from seqviz.models.lm import LMSpec, build_lm  # noqa: E402

VOCAB = 100


CPU: list[float] = []  # process CPU ms of the last ``_ms`` call (one thread: one core's time)


def _ms(fn, repeats: int) -> tuple[float, object]:
    """Median wall-clock ms; the median CPU ms goes to CPU[-1]. On a shared, busy machine the
    wall clock includes waiting for a core, so both are printed."""
    fn()  # warm-up
    times, cpu, out = [], [], None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    CPU.append(statistics.median(cpu))
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=500)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    spec = LMSpec(vocab_size=VOCAB, embed_size=64, hidden_size=args.hidden,
                  num_layers=args.layers, cell="lstm")
    model = build_lm(spec, seed=0).eval()
    ids = rng.integers(0, VOCAB, args.tokens)
    tokens = [chr(33 + i % 90) if i % 7 else "\n" for i in ids]  # any printable stand-ins
    corpus_ids = rng.integers(0, VOCAB, 60_000)

    start = time.perf_counter()
    corpus = trace_corpus(model, corpus_ids[:8192], rows=32, max_tokens=8192)
    pca = fit_pca(corpus.hidden[-1])
    ngram = fit_ngram(corpus_ids, VOCAB, 5)
    cached_ms = (time.perf_counter() - start) * 1000

    fused_ms, _ = _ms(lambda: model.run(torch.as_tensor(ids)[None]), args.repeats)
    trace_ms, trace = _ms(lambda: trace_lm(model, ids), args.repeats)
    layer = trace.layers[-1]

    def analysis():
        ranking = rank_units(layer.hidden, *default_span(tokens))
        order = unit_order(layer.hidden, "variance")
        matches = find_matches(corpus.hidden[-1], ranking, n_units=2)
        return ranking, order, matches, ngram_surprisal(ngram, ids), pca.transform(layer.hidden)

    analysis_ms, (ranking, order, _, base, points) = _ms(analysis, args.repeats)
    unit = int(order[0])

    def figures():
        series = {n: g[:, unit] for n, g in layer.gates.items()}
        means = {n: g.mean(axis=1) for n, g in layer.gates.items()}
        series["c"], means["c"] = layer.cell[:, unit], layer.cell.mean(axis=1)
        series["h"], means["h"] = layer.hidden[:, unit], layer.hidden.mean(axis=1)
        figs = [heatmap_figure(layer.hidden, tokens, order, selected_unit=unit,
                               span=ranking.span),
                gates_figure(series, means, tokens, unit=unit),
                trajectory_figure(points, tokens, explained=pca.explained,
                                  background=pca.transform(corpus.hidden[-1])[::4]),
                topk_figure([str(i) for i in trace.top_ids[10]], trace.top_probs[10], actual="x"),
                surprisal_figure(tokens, trace.surprisal, base)]
        html = [coloured_text_html(tokens, layer.hidden[:, unit], scale=1.0),
                coloured_text_html(tokens, trace.surprisal, diverging=False, scale=4.6),
                coloured_text_html(tokens, base, diverging=False, scale=4.6)]
        return figs, html

    figures_ms, (figs, _) = _ms(figures, args.repeats)
    serialise_ms, _ = _ms(lambda: [f.to_json() for f in figs], args.repeats)
    fused_cpu, trace_cpu, analysis_cpu, figures_cpu, serialise_cpu = CPU[-5:]
    total, total_cpu = trace_ms + analysis_ms + figures_ms, trace_cpu + analysis_cpu + figures_cpu
    print(f"LSTM {args.layers} x {args.hidden}, {args.tokens}-token probe, one thread, "
          f"median of {args.repeats}; CPU ms (wall ms):")
    rows = [("trace (loop path, all gates)", trace_cpu, trace_ms),
            ("analysis (rank, match, n-gram, PCA)", analysis_cpu, analysis_ms),
            ("figures + coloured text", figures_cpu, figures_ms),
            ("= trace + all figures (goal < 300)", total_cpu, total),
            ("plotly to_json (Streamlit does it)", serialise_cpu, serialise_ms),
            ("= everything", total_cpu + serialise_cpu, total + serialise_ms),
            ("reference: fused forward, no gates", fused_cpu, fused_ms)]
    for name, cpu, wall in rows:
        print(f"  {name:38s} {cpu:7.1f}  ({wall:7.1f})")
    print(f"  once per model (cached): corpus states, PCA, 5-gram fit: {cached_ms:.0f} ms wall")


if __name__ == "__main__":
    main()
