"""A language-model experiment: config -> data -> model -> trainer, plus n-gram baselines.

This is what the language-model page drives, kept free of Streamlit so a notebook can do the
same: ``exp = LMExperiment.build(LMConfig(), build_text_data(text, "char")); exp.trainer.step(10)``.
Validation perplexity and the n-gram baselines are computed on the same validation tokens, so
the chart answers "is the RNN better than a trigram yet?" like for like.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from seqviz.config import LMConfig
from seqviz.data import BatchSampler, TextData, detokenize, eval_batches, tokenize
from seqviz.decode import sample_lm
from seqviz.models.lm import LanguageModel, LMSpec, build_lm
from seqviz.models.ngram import NGramLM
from seqviz.train import Trainer

VAL_TOKENS = 8192  # validation tokens scored by the RNN and the n-grams alike
EVAL_BATCH = 32
DIVERGED_FACTOR = 10.0  # a loss 10x that of guessing uniformly over the vocabulary has blown up


@dataclass(frozen=True)
class Baseline:
    name: str
    order: int
    perplexity: float


def val_slice(data: TextData, max_tokens: int = VAL_TOKENS) -> torch.Tensor:
    """The first ``max_tokens`` + 1 validation ids (inputs and their next-token targets)."""
    return data.val[: max_tokens + 1]


@torch.no_grad()
def lm_perplexity(model: LanguageModel, ids: torch.Tensor, seq_len: int) -> float:
    """exp(mean cross-entropy) over every target in ``ids[1:]``, each scored exactly once."""
    total, count = 0.0, 0
    for x, y in eval_batches(ids, EVAL_BATCH, seq_len):
        logits, _ = model(x.to(model.device))
        total += float(F.cross_entropy(logits.reshape(-1, logits.size(-1)),
                                       y.to(model.device).reshape(-1), reduction="sum"))
        count += y.numel()
    mean = total / max(count, 1)
    return math.exp(mean) if mean < 700 else math.inf  # a diverged model: say inf, not crash


def fit_baselines(data: TextData, orders: tuple[int, ...] | None = None) -> list[Baseline]:
    """Interpolated Kneser-Ney n-grams fitted on the training ids, scored on ``val_slice``."""
    if orders is None:
        orders = (1, 2, 3, 5) if data.level == "char" else (1, 2, 3)
    ids = val_slice(data).tolist()
    out = []
    for order in orders:
        ngram = NGramLM(order, smoothing="kn").fit(data.train.tolist(), len(data.vocab))
        nll = -np.asarray(ngram.log_probs(ids))[1:]  # same targets as the RNN: ids[1:]
        out.append(Baseline(ngram.name, order, float(np.exp(nll.mean()))))
    return out


class LMExperiment:
    """Holds the model and trainer for one ``LMConfig`` on one ``TextData``."""

    def __init__(self, cfg: LMConfig, data: TextData, model: LanguageModel, trainer: Trainer):
        self.cfg, self.data, self.model, self.trainer = cfg, data, model, trainer

    @classmethod
    def build(cls, cfg: LMConfig, data: TextData, eval_every: int = 25) -> "LMExperiment":
        spec = LMSpec(vocab_size=len(data.vocab), embed_size=cfg.embed_size,
                      hidden_size=cfg.hidden_size, num_layers=cfg.num_layers, cell=cfg.cell)
        model = build_lm(spec, seed=cfg.seed)
        sampler = BatchSampler(data.train, cfg.batch_size, cfg.seq_len, seed=cfg.seed)
        device = model.device
        val_ids = val_slice(data)

        def loss_fn(m: LanguageModel, batch) -> torch.Tensor:
            x, y = batch
            return m(x.to(device), y.to(device))[1]

        trainer = Trainer(model, sampler, loss_fn, optimizer=cfg.optimizer, lr=cfg.lr,
                          clip=cfg.clip, clip_threshold=cfg.clip_threshold,
                          evaluate=lambda m: lm_perplexity(m, val_ids, cfg.seq_len),
                          eval_every=eval_every,
                          max_loss=DIVERGED_FACTOR * math.log(max(len(data.vocab), 2)))
        return cls(cfg, data, model, trainer)

    def apply_live(self, cfg: LMConfig) -> None:
        """Learning rate and clipping act on the next step; nothing else changes."""
        with self.trainer.lock:
            self.trainer.set_lr(cfg.lr)
            self.trainer.set_clip(cfg.clip, cfg.clip_threshold)
            self.cfg = cfg

    def step(self, n: int = 1) -> None:
        self.trainer.step(n)

    def sample(self, prompt: str, length: int = 200, temperature: float | None = None,
               top_k: int = 0, seed: int | None = None) -> tuple[str, int]:
        """Continue a typed prompt; returns (text, number of prompt tokens not in the vocab)."""
        tokens = tokenize(prompt, self.data.level)
        ids = self.data.vocab.encode(tokens)
        unknown = sum(1 for t in tokens if t not in self.data.vocab)
        temp = self.cfg.temperature if temperature is None else temperature
        with self.trainer.lock:
            new = sample_lm(self.model, ids, length, temperature=temp, top_k=top_k,
                            seed=self.cfg.seed if seed is None else seed)
        return detokenize(self.data.vocab.decode(new), self.data.level), unknown
