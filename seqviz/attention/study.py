"""The long-input problem: two seq2seq models that differ only in attention, trained for the same
number of steps, then scored (exact match, sacrebleu BLEU) per input length on fresh held-out
inputs. Without attention the fixed-size context vector degrades on long inputs; with it, it
does not (Cho et al. 2014; Bahdanau, Cho and Bengio 2015, Fig. 2). ``load_studies`` reads the
precomputed studies shipped for lectures.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Sequence

from seqviz.attention.bleu import corpus_bleu, exact_match
from seqviz.attention.experiment import (S2SConfig, S2SExperiment, decode_texts, model_spec,
                                         task_spec)
from seqviz.attention.tasks import S2SData, build_task, examples_by_length
from seqviz.checkpoint import PRETRAINED_DIR
from seqviz.models.seq2seq import build_seq2seq

STUDY_FILE = PRETRAINED_DIR / "seq2seq_long_input.json"


class LongInputStudy:
    """Trains two models that differ only in attention for the same number of steps, in chunks
    (``advance(seconds)``, or ``step(n)`` in an engine worker), then scores both per input length
    on fresh held-out inputs."""

    def __init__(self, cfg: S2SConfig, steps: int = 1500, per_length: int = 60,
                 data: S2SData | None = None):
        base = replace(cfg, pretrained="none", snapshot_every=10**9)
        data = data if data is not None else build_task(task_spec(base))
        att = cfg.attention if cfg.attention != "none" else "additive"
        self.steps, self.per_length, self.data = int(steps), int(per_length), data
        self.runs: dict[str, S2SExperiment] = {}
        for kind in (att, "none"):
            run_cfg = replace(base, attention=kind)
            exp = S2SExperiment(run_cfg, data, build_seq2seq(model_spec(run_cfg, data),
                                                             seed=cfg.seed))
            exp.eval_every = 10**9  # no evaluations while training: only the budget counts
            self.runs[kind] = exp
        self.cfg, self.seconds = base, {kind: 0.0 for kind in self.runs}
        self._result: dict | None = None

    @property
    def progress(self) -> float:
        return self.steps_done / (self.steps * len(self.runs))

    @property
    def done(self) -> bool:
        return all(r.trainer.steps >= self.steps for r in self.runs.values())

    @property
    def steps_done(self) -> int:
        """Training steps taken by both models together (at most ``2 * steps``)."""
        return sum(min(r.trainer.steps, self.steps) for r in self.runs.values())

    def step(self, n: int = 1) -> bool:
        """n steps, each of whichever model is behind; returns ``done``."""
        for _ in range(int(n)):
            if self.done:
                break
            kind = min(self.runs, key=lambda k: self.runs[k].trainer.steps)
            self.seconds[kind] += sum(s.seconds for s in self.runs[kind].trainer.step(1))
        return self.done

    def advance(self, seconds: float) -> bool:
        """Train whichever model is behind for about ``seconds``; returns ``done``."""
        if not self.done:
            kind = min(self.runs, key=lambda k: self.runs[k].trainer.steps)
            trainer = self.runs[kind].trainer
            stats = trainer.train_for(seconds, max_steps=self.steps - trainer.steps) or []
            self.seconds[kind] += sum(s.seconds for s in stats)
        return self.done

    def result(self) -> dict:
        """Exact match (0-1) and BLEU per input length for both models (computed once)."""
        if self._result is None:
            if not self.done:
                raise RuntimeError("the study has not finished training")
            spec = self.data.spec
            by_len = examples_by_length(self.data, range(spec.min_len, spec.max_len + 1),
                                        self.per_length)
            lengths = [n for n, pairs in by_len.items() if pairs]
            models = {}
            for kind, run in self.runs.items():
                scores = {"exact": [], "bleu": []}
                for n in lengths:
                    refs = [t for _, t in by_len[n]]
                    hyps = decode_texts(run.model, self.data, [s for s, _ in by_len[n]])
                    scores["exact"].append(exact_match(hyps, refs))
                    scores["bleu"].append(corpus_bleu(hyps, refs, self.data.bleu_level))
                scores["seconds"] = round(self.seconds[kind], 1)
                models["no attention" if kind == "none" else f"{kind} attention"] = scores
            self._result = {"task": spec.name, "level": self.data.level,
                            "config": asdict(self.cfg), "steps": self.steps,
                            "lengths": lengths, "counts": [len(by_len[n]) for n in lengths],
                            "models": models}
        return self._result


def attention_gap(study: dict) -> float:
    """How much attention matters in a study: the largest lead (0-1) in exact match of a model
    with attention over the one without, at any input length (0 when they tie everywhere)."""
    models = study["models"]
    base = models.get("no attention")
    if base is None:
        return 0.0
    leads = [a - b for name, m in models.items() if name != "no attention"
             for a, b in zip(m["exact"], base["exact"])]
    return max(leads, default=0.0)


def default_study(studies: Sequence[dict], task: str, least_gap: float = 0.25) -> dict | None:
    """The study to show first: the task's own when attention matters there (a lead of at
    least ``least_gap``), else the one where it matters most (the dates study is flat at 100 %
    for both models, so a page on dates opens on one that shows the problem)."""
    own = [s for s in studies if s["task"] == task and attention_gap(s) >= least_gap]
    return own[0] if own else max(studies, key=attention_gap, default=None)


def load_studies(path: str | Path = STUDY_FILE) -> list[dict]:
    """The precomputed studies shipped for lectures (made by scripts/train_seq2seq.py)."""
    try:
        studies = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [s for s in studies if isinstance(s, dict) and {"task", "lengths", "models"} <= set(s)]
