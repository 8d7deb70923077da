"""Train the bundled seq2seq checkpoints and the precomputed long-input studies.

    python scripts/train_seq2seq.py                 # everything
    python scripts/train_seq2seq.py dates reverse   # only these checkpoints, no study
    python scripts/train_seq2seq.py --studies       # only the long-input studies
    python scripts/train_seq2seq.py --studies reverse zh_digits  # only these studies (the
                                                    # others in the file are kept)

Writes ``seqviz/pretrained/seq2seq_<name>.pt`` (weights in float16 plus vocabularies, config,
training curves and the probe's attention timeline) and ``seqviz/pretrained/
seq2seq_long_input.json``. Seeded: the same command gives the same files (one torch thread).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqviz.attention.checkpoint import load_s2s_payload, pretrained_path  # noqa: E402
from seqviz.attention.experiment import S2SConfig, S2SExperiment, describe, evaluate  # noqa: E402
from seqviz.attention.study import STUDY_FILE, LongInputStudy, load_studies  # noqa: E402

# name -> (config, training steps); snapshot_every * 120 >= steps keeps every snapshot.
CHECKPOINTS = {
    "dates": (S2SConfig(task="dates", min_len=8, max_len=30, snapshot_every=10), 1200),
    "reverse": (S2SConfig(task="reverse", min_len=3, max_len=10, snapshot_every=5), 600),
    "translate": (S2SConfig(task="translate", min_len=5, max_len=15, snapshot_every=10), 1200),
    "zh_digits": (S2SConfig(task="zh_digits", min_len=1, max_len=23, snapshot_every=10), 1200),
    "digits_zh": (S2SConfig(task="digits_zh", min_len=1, max_len=12, snapshot_every=10), 1200),
}
# The long-input problem: same model with and without attention, same budget, wide lengths.
STUDIES = [
    (S2SConfig(task="reverse", min_len=3, max_len=20), 1200),
    (S2SConfig(task="translate", min_len=5, max_len=25), 1200),
    (S2SConfig(task="dates", min_len=8, max_len=30), 1200),
    (S2SConfig(task="sort", min_len=3, max_len=20), 1200),
    (S2SConfig(task="zh_digits", min_len=1, max_len=23), 1200),
]


def train_checkpoint(name: str, cfg: S2SConfig, steps: int) -> dict:
    exp = S2SExperiment.build(cfg)
    start = time.perf_counter()
    exp.trainer.step(steps)
    seconds = time.perf_counter() - start
    final = evaluate(exp.model.eval(), exp.data, exp.data.test, exp.trainer.steps)
    meta = {"steps": exp.trainer.steps, "seconds": round(seconds, 1),
            "exact_match": final.exact, "bleu": round(final.bleu, 2),
            "test_size": len(exp.data.test), "description": describe(exp.cfg),
            "probe": list(exp.probe)}
    path = pretrained_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    exp.save(path, meta)
    # the saved (float16) weights must score like the trained ones
    reloaded = S2SExperiment.from_checkpoint(load_s2s_payload(path), data=exp.data)
    check = evaluate(reloaded.model, exp.data, exp.data.test, steps)
    meta.update(size_kb=round(path.stat().st_size / 1024), reloaded_exact=check.exact)
    return meta


def run_study(cfg: S2SConfig, steps: int) -> dict:
    study = LongInputStudy(cfg, steps, per_length=100)
    while not study.advance(5.0):
        pass
    return study.result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"checkpoints: any of {', '.join(CHECKPOINTS)}; "
                        "with --studies, study tasks")
    parser.add_argument("--studies", action="store_true", help="only the long-input studies")
    args = parser.parse_args()
    known = [c.task for c, _steps in STUDIES] if args.studies else list(CHECKPOINTS)
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown name(s) {unknown}; choose from {known}")
    torch.set_num_threads(1)
    names = [] if args.studies else (args.names or list(CHECKPOINTS))
    for name in names:
        cfg, steps = CHECKPOINTS[name]
        meta = train_checkpoint(name, cfg, steps)
        print(f"{name}: {meta['description']}, {meta['steps']} steps in {meta['seconds']} s, "
              f"exact match {100 * meta['exact_match']:.1f} % (reloaded "
              f"{100 * meta['reloaded_exact']:.1f} %), BLEU {meta['bleu']}, "
              f"{meta['size_kb']} KB", flush=True)
    if args.studies or not args.names:
        wanted = set(args.names) if args.studies and args.names else None
        kept = {s["task"]: s for s in load_studies()} if wanted else {}
        results = []
        for cfg, steps in STUDIES:
            if wanted is not None and cfg.task not in wanted:
                if cfg.task in kept:
                    results.append(kept[cfg.task])
                continue
            start = time.perf_counter()
            result = run_study(replace(cfg), steps)
            results.append(result)
            summary = {k: [round(100 * v) for v in m["exact"]] for k, m in result["models"].items()}
            print(f"study {cfg.task} {cfg.min_len}-{cfg.max_len} "
                  f"({time.perf_counter() - start:.0f} s): exact % by length "
                  f"{result['lengths']}: {summary}", flush=True)
        STUDY_FILE.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
