"""The CTC experiment: a bidirectional LSTM reads generated "speech" frames and is trained with
CTC (Graves et al. 2006) on the shared ``Trainer``; held-out label error rate with best-path and
prefix beam search decoding; one held-out utterance probed for the page's figures.

The model is ``frames (B, T, BANDS) -> LSTM (both directions, H each) -> linear -> log-softmax
(B, T, K + 1)``, blank at id 0. Training uses ``torch.nn.functional.ctc_loss`` (one fused kernel;
``seqviz.ctc.ctc.ctc_loss`` is the same number written out, tested). Held-out evaluation runs at
fixed steps (``EVAL_EARLY``, then every ``EVAL_EVERY`` and later every ``EVAL_LATER``), so a
run's curve is the same on any machine, whatever the load.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from seqviz.ctc.config import CTCConfig
from seqviz.ctc.ctc import best_alignments, collapse, trellis
from seqviz.ctc.decode import greedy, label_error_rate, prefix_beam_search
from seqviz.ctc.tasks import (BANDS, Batch, SpeechBatches, SpeechSpec, Utterance, make_batch,
                              test_set)
from seqviz.models import LSTM
from seqviz.models.seeding import seeded
from seqviz.train import Trainer

EVAL_EVERY = 25  # steps between held-out evaluations up to step EVAL_DENSE ...
EVAL_DENSE = 200
EVAL_LATER = 50  # ... and after it: an evaluation costs about 5 training steps, <= 10 % later
EVAL_EARLY = (1, 5, 10)
TEST_UTTERANCES = 100  # held-out utterances for the greedy LER
BEAM_UTTERANCES = 30  # ... of which this many are also beam-searched (slower, in Python)
MAX_LOSS = 1e4  # a CTC loss (per label symbol) above this counts as a divergence


class CTCModel(nn.Module):
    """Bidirectional LSTM + linear read-out: per-frame log-probabilities over blank + K."""

    def __init__(self, symbols: int, hidden_size: int, num_layers: int = 1):
        super().__init__()
        self.spec = {"symbols": symbols, "hidden_size": hidden_size, "num_layers": num_layers}
        self.rnn = LSTM(BANDS, hidden_size, num_layers, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden_size, symbols + 1)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        h, _state = self.rnn(frames)  # (B, T, 2H): both directions, concatenated
        return F.log_softmax(self.out(h), dim=-1)  # (B, T, C)


def build_model(cfg: CTCConfig) -> CTCModel:
    with seeded(cfg.seed):
        return CTCModel(cfg.symbols, cfg.hidden_size, cfg.num_layers)


def ctc_batch_loss(model: nn.Module, batch: Batch) -> torch.Tensor:
    """Mean over the batch of -log p(label | frames) / label length (torch's "mean")."""
    log_probs = model(batch.frames).transpose(0, 1)  # (T, B, C), as ctc_loss wants it
    return F.ctc_loss(log_probs, batch.targets, batch.frame_lengths, batch.target_lengths,
                      blank=0, reduction="mean", zero_infinity=True)


@dataclass(frozen=True)
class Evaluation:
    step: int
    greedy: float  # label error rate, 0-1, best path over TEST_UTTERANCES
    beam: float  # ... prefix beam search over the first BEAM_UTTERANCES
    greedy_sub: float  # best path on the same BEAM_UTTERANCES (a fair comparison)
    beam_width: int
    blank_share: float  # share of held-out frames whose most likely output is the blank
    loss: float  # held-out CTC loss, as in training (per label symbol, mean over utterances)


def log_probs_of(model: nn.Module, utterances: list[Utterance], with_loss: bool = False):
    """Each utterance's (T_i, C) log-probabilities (float64 numpy), the model in eval mode;
    with ``with_loss`` also their CTC loss (as in training)."""
    batch = make_batch(utterances)
    was = model.training
    model.eval()
    with torch.no_grad():
        out = model(batch.frames)  # (B, T_max, C)
        loss = float(F.ctc_loss(out.transpose(0, 1), batch.targets, batch.frame_lengths,
                                batch.target_lengths, zero_infinity=True)) if with_loss else None
    model.train(was)
    arr = out.double().numpy()
    lps = [arr[i, : int(n)] for i, n in enumerate(batch.frame_lengths)]
    return (lps, loss) if with_loss else lps


def evaluate(model: nn.Module, test: list[Utterance], beam: int, step: int) -> Evaluation:
    lps, loss = log_probs_of(model, test, with_loss=True)
    refs = [u.label for u in test]
    best = [greedy(lp)[1] for lp in lps]
    sub = slice(0, BEAM_UTTERANCES)
    beamed = [prefix_beam_search(lp, beam)[0].label for lp in lps[sub]]
    frames = np.concatenate([lp.argmax(axis=1) for lp in lps])
    return Evaluation(step, label_error_rate(best, refs), label_error_rate(beamed, refs[sub]),
                      label_error_rate(best[sub], refs[sub]), beam, float(np.mean(frames == 0)),
                      loss)


@dataclass(frozen=True)
class Probe:
    """One held-out utterance as the model sees it now, with its trellis and decodings."""

    step: int
    index: int
    frames: np.ndarray  # (T, BANDS)
    truth: np.ndarray  # (T,) the symbol that made each frame (0 = silence); never trained on
    label: tuple[int, ...]  # (L,)
    log_probs: np.ndarray  # (T, C)
    ext: tuple[int, ...]  # (2L + 1,) the blank-augmented label
    log_alpha: np.ndarray  # (T, 2L + 1), -inf where no path reaches
    gamma: np.ndarray  # (T, 2L + 1) each state's share of all alignments at each frame
    log_p: float  # log p(label | frames)
    alignments: int  # how many paths collapse to the label
    best_paths: tuple[tuple[tuple[int, ...], float], ...]  # (states (T,), log prob), best first
    greedy_path: tuple[int, ...]  # (T,)
    greedy_label: tuple[int, ...]
    greedy_log_p: float  # log p of the greedy *label* (all its paths), -inf if impossible
    # (label, the beam's log score, exact log p(label | frames)), best first: the beam keeps
    # only the paths whose prefixes survived its pruning, so its score is at most the exact one
    beams: tuple[tuple[tuple[int, ...], float, float], ...]
    beam_width: int


def probe(model: nn.Module, utt: Utterance, index: int, beam: int, step: int) -> Probe:
    lp = log_probs_of(model, [utt])[0]
    tr = trellis(lp, utt.label)
    paths = best_alignments(lp, utt.label, k=3)
    path, label = greedy(lp)
    beams = prefix_beam_search(lp, beam)
    g = trellis(lp, label).log_p if len(label) <= 3 * len(utt.label) + 8 else -math.inf
    return Probe(step, index, utt.frames, utt.truth, utt.label, lp, tr.ext, tr.log_alpha,
                 tr.gamma, tr.log_p, tr.alignments,
                 tuple((a.states, a.log_prob) for a in paths), path, collapse(path), g,
                 tuple((h.label, h.log_prob, trellis(lp, h.label).log_p) for h in beams),
                 beam)


@functools.lru_cache(maxsize=8)
def held_out(spec: SpeechSpec) -> list[Utterance]:
    """The spec's held-out utterances, made once per process (read-only: never modified)."""
    return test_set(spec, TEST_UTTERANCES)


class CTCExperiment:
    """Model, trainer, held-out set and the evaluations so far."""

    def __init__(self, cfg: CTCConfig, model: CTCModel, trainer: Trainer,
                 test: list[Utterance]):
        self.cfg, self.model, self.trainer, self.test = cfg, model, trainer, test
        self.evals: list[Evaluation] = []

    @classmethod
    def build(cls, cfg: CTCConfig) -> "CTCExperiment":
        spec = cfg.spec()
        problems = spec.check()
        if problems:
            raise ValueError("; ".join(problems))
        model = build_model(cfg)
        batches = SpeechBatches(spec, cfg.batch_size, seed=cfg.seed)
        trainer = Trainer(model, batches, ctc_batch_loss, optimizer="adam", lr=cfg.lr,
                          clip="norm", clip_threshold=cfg.clip_threshold, max_loss=MAX_LOSS)
        exp = cls(cfg, model, trainer, held_out(spec))
        exp.evaluate_now()
        return exp

    def apply_live(self, cfg: CTCConfig) -> None:
        self.trainer.set_lr(cfg.lr)
        self.trainer.set_clip("norm", cfg.clip_threshold)
        self.cfg = cfg

    def step(self, n: int = 1) -> None:
        for _ in range(int(n)):
            stats = self.trainer.step(1)[-1]
            s = stats.step
            if not stats.diverged and (s in EVAL_EARLY or s % EVAL_LATER == 0
                                       or (s <= EVAL_DENSE and s % EVAL_EVERY == 0)):
                self.evaluate_now()

    def evaluate_now(self) -> Evaluation:
        while self.evals and self.evals[-1].step >= self.trainer.steps:  # a rolled-back step
            self.evals.pop()
        ev = evaluate(self.model, self.test, self.cfg.beam, self.trainer.steps)
        self.evals.append(ev)
        return ev

    def probe(self) -> Probe:
        i = min(self.cfg.example, len(self.test) - 1)
        return probe(self.model, self.test[i], i, self.cfg.beam, self.trainer.steps)
